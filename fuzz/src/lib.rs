//! Fuzz targets for the mqtt-napi codec and session, as plain functions so that the same code runs
//! under libFuzzer (`cargo fuzz run decode|session`, `fuzz_targets/`) and as a deterministic smoke run on
//! stable Rust without sanitizers (`cargo run --release --bin smoke`, and `cargo test`).
//!
//! Each function panics when an invariant breaks; that is what the fuzzer reports.
//!
//! * [`decode`]: arbitrary bytes into `codec::decode`. Never panics; a stream fed in arbitrary chunks
//!   decodes to the same packets and the same error as fed whole; nothing over the size limit is returned;
//!   every decoded packet re-encodes (`encoded_len` agrees) and decodes back to itself.
//! * [`session`]: a `Session` driven by an op stream taken from the input: transport open/close,
//!   publish/subscribe/unsubscribe/disconnect/remove commands, clock advances, raw bytes through the decoder,
//!   and packets synthesized to hit the ids the session has in flight. Every transmitted packet must encode
//!   and round-trip; nothing is transmitted while the transport is closed; the first packet on a connection
//!   is CONNECT; delivered messages have valid topic names; every callback token completes at most once,
//!   and after `shutdown()` exactly once.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use mqtt_napi_engine::codec::v5::ReasonCode;
use mqtt_napi_engine::codec::{
    self, validate_topic_name, ConnAck, ConnectReasonCode, Disconnect, Packet, PacketId,
    PacketProperties, ProtocolVersion, Publish, PublishAck, QoS, SubAck, SubscribeFilter,
    SubscribeReasonCode, UnsubAck,
};
use mqtt_napi_engine::session::{Command, Event, OfflineLimits, Session, SessionConfig, Token};

mod properties;
pub use properties::{properties, properties_input};

/// The protocol maximum: 1 byte of type, 4 of remaining length, 268,435,455 of body.
pub const PROTOCOL_MAX_PACKET: usize = 268_435_460;

// ------------------------------------------------------------------------------------------- input

/// Reads an op stream from fuzz input; returns zeros once exhausted.
pub struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Input { data, pos: 0 }
    }
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }
    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    pub fn u16(&mut self) -> u16 {
        u16::from(self.byte()) << 8 | u16::from(self.byte())
    }
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let start = self.pos.min(self.data.len());
        let end = (self.pos + n).min(self.data.len());
        self.pos += n;
        &self.data[start..end]
    }
}

// ------------------------------------------------------------------------------------------ decode

/// The version a session runs: 3.x only, as the session does not speak MQTT 5 yet.
fn version_of(bit: u8) -> ProtocolVersion {
    if bit & 1 == 0 {
        ProtocolVersion::V311
    } else {
        ProtocolVersion::V31
    }
}

/// The version the codec targets decode and encode: every version the codec speaks, MQTT 5 included.
fn codec_version_of(byte: u8) -> ProtocolVersion {
    match byte % 3 {
        0 => ProtocolVersion::V311,
        1 => ProtocolVersion::V31,
        _ => ProtocolVersion::V5,
    }
}

/// What decoding a stream yields: the packets, then how it stopped.
#[derive(Debug, PartialEq)]
struct Decoded {
    packets: Vec<Packet>,
    /// `None`: ran out of bytes (incomplete or empty); `Some`: the first error.
    error: Option<codec::DecodeError>,
}

fn decode_whole(bytes: &[u8], version: ProtocolVersion, max: usize) -> Decoded {
    let mut buf = BytesMut::from(bytes);
    let mut packets = Vec::new();
    loop {
        let before = buf.len();
        match codec::decode(&mut buf, version, max) {
            Ok(Some(packet)) => {
                let consumed = before - buf.len();
                assert!(
                    consumed >= 2,
                    "a packet is at least 2 bytes, consumed {consumed}"
                );
                assert!(
                    consumed <= max,
                    "decoded a {consumed}-byte packet over the limit {max}"
                );
                packets.push(packet);
            }
            Ok(None) => {
                assert_eq!(
                    buf.len(),
                    before,
                    "Ok(None) must leave the buffer untouched"
                );
                return Decoded {
                    packets,
                    error: None,
                };
            }
            Err(error) => {
                // the error's text is what reaches JS: it must render
                let _ = error.to_string();
                return Decoded {
                    packets,
                    error: Some(error),
                };
            }
        }
    }
}

fn decode_chunked(bytes: &[u8], chunks: &[u8], version: ProtocolVersion, max: usize) -> Decoded {
    let mut buf = BytesMut::new();
    let mut packets = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < bytes.len() {
        let n = 1 + usize::from(chunks.get(i % chunks.len().max(1)).copied().unwrap_or(0) % 16);
        i += 1;
        let end = (pos + n).min(bytes.len());
        buf.extend_from_slice(&bytes[pos..end]);
        pos = end;
        loop {
            match codec::decode(&mut buf, version, max) {
                Ok(Some(packet)) => packets.push(packet),
                Ok(None) => break,
                Err(error) => {
                    return Decoded {
                        packets,
                        error: Some(error),
                    }
                }
            }
        }
    }
    Decoded {
        packets,
        error: None,
    }
}

/// Re-encodes a decoded packet and decodes it again: it must come back unchanged.
pub fn assert_round_trip(packet: &Packet, version: ProtocolVersion) {
    let mut out = BytesMut::new();
    if let Err(e) = codec::encode(packet, version, &mut out) {
        panic!("cannot encode a packet the decoder accepted ({e}): {packet:?}");
    }
    assert_eq!(
        codec::encoded_len(packet, version),
        Ok(out.len()),
        "encoded_len disagrees with encode for {packet:?}"
    );
    let len = out.len();
    match codec::decode(&mut out, version, PROTOCOL_MAX_PACKET) {
        Ok(Some(back)) => assert_eq!(&back, packet, "round trip changed the packet"),
        other => panic!("re-encoded packet ({len} bytes) does not decode: {other:?}, {packet:?}"),
    }
    assert!(out.is_empty(), "re-encoded packet left {} bytes", out.len());
}

/// The decoder target. Byte 0 selects the protocol version (its value mod 3: 3.1.1, 3.1, 5.0) and the size limit, byte 1 seeds the
/// chunking; the rest is the stream.
pub fn decode(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let control = data[0];
    let version = codec_version_of(control);
    let max = match (control >> 1) & 3 {
        0 => PROTOCOL_MAX_PACKET,
        1 => 2 + usize::from(control >> 3) * 8,
        2 => 1024,
        _ => usize::MAX,
    };
    let stream = &data[2..];
    let whole = decode_whole(stream, version, max);
    let chunks: Vec<u8> = std::iter::once(data[1])
        .chain(stream.iter().take(63).map(|b| b ^ data[1]))
        .collect();
    let chunked = decode_chunked(stream, &chunks, version, max);
    assert_eq!(
        whole, chunked,
        "chunked decoding differs from whole decoding"
    );
    for packet in &whole.packets {
        assert_round_trip(packet, version);
    }
}

// ----------------------------------------------------------------------------------------- session

/// How deep the session target got, summed over all runs (printed by the smoke binary).
pub static SESSION_STATS: [AtomicU64; 6] = [
    AtomicU64::new(0), // CONNACK accepted (Connected events)
    AtomicU64::new(0), // packets transmitted
    AtomicU64::new(0), // PUBLISH with DUP=1 transmitted (resends)
    AtomicU64::new(0), // completions (callbacks)
    AtomicU64::new(0), // messages delivered
    AtomicU64::new(0), // protocol errors raised by the session
];
pub const SESSION_STAT_NAMES: [&str; 6] = [
    "connected",
    "transmitted",
    "dup resends",
    "completions",
    "messages",
    "session errors",
];

const TOPICS: [&str; 6] = [
    "a",
    "a/b",
    "a/b/c",
    "x",
    "$SYS/x",
    "long/topic/name/with/levels",
];
const FILTERS: [&str; 6] = ["a", "a/+", "#", "+/+/c", "x", "a/b/#"];

struct Harness {
    next_token: Token,
    /// completions seen per token issued
    tokens: HashMap<Token, u32>,
    /// QoS 0 publishes issued and not yet written or lost: they complete in token order when the
    /// harness "writes" what it polled (`Session::qos0_polled_through`) or on `QoS0Dropped`
    qos0: BTreeSet<Token>,
    /// ids seen in packets the session transmitted or was told about, for synthesized acks
    ids: Vec<PacketId>,
    open: bool,
    /// the next transmitted packet must be CONNECT
    expect_connect: bool,
    version: ProtocolVersion,
}

impl Harness {
    fn token(&mut self) -> Token {
        let t = self.next_token;
        self.next_token += 1;
        self.tokens.insert(t, 0);
        t
    }
    fn note_id(&mut self, id: PacketId) {
        if self.ids.len() >= 16 {
            self.ids.remove(0);
        }
        self.ids.push(id);
    }
    fn pick_id(&self, input: &mut Input<'_>) -> PacketId {
        let b = input.byte();
        if !self.ids.is_empty() && b < 224 {
            self.ids[usize::from(b) % self.ids.len()]
        } else {
            u16::from(b).max(1)
        }
    }
    /// QoS 0 publishes up to `through` were written (or lost): each completes, except one the
    /// session already failed with an event (it never queued that one).
    fn qos0_done(&mut self, through: Token) {
        let rest = self.qos0.split_off(&(through + 1));
        for token in std::mem::replace(&mut self.qos0, rest) {
            if self.tokens.get(&token) == Some(&0) {
                self.complete(token);
            }
        }
    }
    fn complete(&mut self, token: Token) {
        if token == 0 {
            return; // internal (resubscribe): nobody waits
        }
        match self.tokens.get_mut(&token) {
            Some(n) => {
                *n += 1;
                assert!(*n <= 1, "token {token} completed {n} times");
            }
            None => panic!("completion for token {token}, which was never issued"),
        }
    }
}

fn drain(session: &mut Session, h: &mut Harness, now: Instant) {
    while let Some(packet) = session.poll_transmit(now) {
        assert!(
            h.open,
            "transmitted {packet:?} while the transport is closed"
        );
        if h.expect_connect {
            assert!(
                matches!(packet, Packet::Connect(_)),
                "first packet on a connection is {packet:?}, not CONNECT"
            );
            h.expect_connect = false;
        }
        assert_round_trip(&packet, h.version);
        SESSION_STATS[1].fetch_add(1, Relaxed);
        if matches!(&packet, Packet::Publish(p) if p.dup) {
            SESSION_STATS[2].fetch_add(1, Relaxed);
        }
        match &packet {
            Packet::Publish(Publish {
                packet_id: Some(id),
                ..
            }) => h.note_id(*id),
            Packet::PubRel(ack)
            | Packet::PubRec(ack)
            | Packet::PubComp(ack)
            | Packet::PubAck(ack) => h.note_id(ack.packet_id),
            Packet::Subscribe(s) => h.note_id(s.packet_id),
            Packet::Unsubscribe(u) => h.note_id(u.packet_id),
            _ => {}
        }
    }
    // Everything polled is "written" at once here: QoS 0 publishes up to the last polled complete.
    h.qos0_done(session.qos0_polled_through());
    while let Some(event) = session.poll_event() {
        match event {
            Event::Published { token, .. }
            | Event::Subscribed { token, .. }
            | Event::Unsubscribed { token, .. } => {
                SESSION_STATS[3].fetch_add(1, Relaxed);
                h.complete(token)
            }
            Event::Message(publish) => {
                SESSION_STATS[4].fetch_add(1, Relaxed);
                assert!(
                    validate_topic_name(&publish.topic).is_ok(),
                    "delivered a message with an invalid topic {:?}",
                    publish.topic
                );
            }
            Event::HeldMessage {
                publish,
                connection,
            } => {
                SESSION_STATS[4].fetch_add(1, Relaxed);
                // As JS does once handleMessage calls back.
                if let Some(id) = publish.packet_id {
                    session.acknowledge(id, connection, ReasonCode::SUCCESS);
                }
            }
            Event::Connected { .. } => {
                SESSION_STATS[0].fetch_add(1, Relaxed);
            }
            // QoS 0 publishes complete when written (the connection task's report, not the
            // session's); a loss report may only name a token that was issued.
            Event::QoS0Dropped { through } => {
                assert!(
                    through < h.next_token,
                    "QoS 0 loss reported through {through}, never issued"
                );
                h.qos0_done(through);
            }
            Event::OutgoingEmpty
            | Event::ServerDisconnect(_)
            | Event::Auth(_)
            | Event::PacketIdAllocated(_)
            | Event::SubscriptionsRefused { .. } => {}
        }
    }
}

fn close(session: &mut Session, h: &mut Harness, now: Instant) {
    session.on_transport_closed(now);
    h.open = false;
    h.expect_connect = false;
}

fn feed(session: &mut Session, h: &mut Harness, packet: Packet, now: Instant) {
    if !h.open {
        return; // the connection task only feeds packets read from an open transport
    }
    if let Err(error) = session.handle_packet(packet, now) {
        let _ = error.to_string();
        SESSION_STATS[5].fetch_add(1, Relaxed);
        close(session, h, now);
    }
}

fn synthesize(input: &mut Input<'_>, h: &Harness) -> Packet {
    let id = h.pick_id(input);
    match input.byte() % 10 {
        0 => {
            // Built field by field, not through `ConnAck::refused`: the session must cope with a
            // refusal that claims a session, which the decoder would have rejected.
            let session_present = input.byte() & 1 == 1;
            let reason_code = match input.byte() % 8 {
                7 => ConnectReasonCode::from_byte(1 + input.byte() % 5)
                    .unwrap_or(ConnectReasonCode::NotAuthorized),
                _ => ConnectReasonCode::Success,
            };
            Packet::ConnAck(ConnAck {
                session_present,
                reason_code,
                properties: PacketProperties::NONE,
            })
        }
        1 => Packet::PubAck(PublishAck::new(id)),
        2 => Packet::PubRec(PublishAck::new(id)),
        3 => Packet::PubRel(PublishAck::new(id)),
        4 => Packet::PubComp(PublishAck::new(id)),
        5 => {
            let n = 1 + usize::from(input.byte() % 3);
            Packet::SubAck(SubAck {
                packet_id: id,
                reason_codes: (0..n)
                    .map(|_| match input.byte() % 5 {
                        4 => SubscribeReasonCode::Failure,
                        0 => SubscribeReasonCode::GrantedQoS0,
                        1 => SubscribeReasonCode::GrantedQoS1,
                        _ => SubscribeReasonCode::GrantedQoS2,
                    })
                    .collect(),
                properties: PacketProperties::NONE,
            })
        }
        6 => Packet::UnsubAck(UnsubAck::new(id)),
        7 | 8 => {
            let qos = QoS::from_u8(input.byte() % 3).unwrap_or(QoS::AtMostOnce);
            Packet::Publish(Publish {
                dup: qos != QoS::AtMostOnce && input.byte() & 1 == 1,
                qos,
                retain: input.byte() & 1 == 1,
                topic: TOPICS[usize::from(input.byte()) % TOPICS.len()].into(),
                packet_id: (qos != QoS::AtMostOnce).then_some(id),
                payload: {
                    let n = usize::from(input.byte() % 8);
                    Bytes::copy_from_slice(input.take(n))
                },
                properties: PacketProperties::NONE,
            })
        }
        _ => Packet::PingResp,
    }
}

/// The session target: see the crate documentation.
pub fn session(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.byte();
    let version = version_of(flags);
    let limits = input.byte();
    let config = SessionConfig {
        protocol: version,
        client_id: Bytes::from_static(b"fuzz"),
        clean_session: flags & 2 != 0,
        keep_alive_secs: u16::from(input.byte() % 8),
        connect_timeout: Duration::from_secs(5),
        username: None,
        password: None,
        will: None,
        resubscribe: flags & 4 != 0,
        queue_qos_zero: flags & 8 != 0,
        auto_reconnect: flags & 16 != 0,
        offline_limits: OfflineLimits {
            max_messages: (limits & 1 != 0).then_some(usize::from(limits >> 1 & 7)),
            max_bytes: (limits & 16 != 0).then_some(usize::from(limits >> 5) * 8),
        },
        subscribe_batch_size: (flags & 32 != 0).then_some(usize::from(limits & 3) + 1),
        manual_acks: flags & 64 != 0,
        hold_pubrec: flags & 128 != 0,
        connect_properties: PacketProperties::NONE,
        auto_use_topic_alias: false,
        auto_assign_topic_alias: false,
    };
    let mut now = Instant::now();
    let mut session = Session::new(config, now);
    let mut h = Harness {
        next_token: 1,
        tokens: HashMap::new(),
        qos0: BTreeSet::new(),
        ids: Vec::new(),
        open: false,
        expect_connect: false,
        version,
    };

    let mut ops = 0;
    while !input.is_empty() && ops < 4096 {
        ops += 1;
        match input.byte() % 13 {
            0 => {
                if h.open {
                    close(&mut session, &mut h, now);
                }
                let started = now;
                now += Duration::from_millis(u64::from(input.byte() % 4));
                session.on_transport_open(started, now);
                h.open = true;
                h.expect_connect = true;
            }
            1 => {
                if h.open {
                    close(&mut session, &mut h, now);
                }
            }
            2 | 3 => {
                let token = h.token();
                let qos = QoS::from_u8(input.byte() % 3).unwrap_or(QoS::AtMostOnce);
                if qos == QoS::AtMostOnce {
                    h.qos0.insert(token);
                }
                let topic = TOPICS[usize::from(input.byte()) % TOPICS.len()].to_string();
                let n = usize::from(input.byte() % 16);
                let payload = Bytes::copy_from_slice(input.take(n));
                session.handle_command(
                    Command::Publish {
                        token,
                        topic: topic.into(),
                        payload,
                        qos,
                        retain: input.byte() & 1 == 1,
                        properties: PacketProperties::NONE,
                    },
                    now,
                );
            }
            4 => {
                let token = h.token();
                let n = 1 + usize::from(input.byte() % 3);
                let filters = (0..n)
                    .map(|_| {
                        SubscribeFilter::new(
                            FILTERS[usize::from(input.byte()) % FILTERS.len()].to_string(),
                            QoS::from_u8(input.byte() % 3).unwrap_or(QoS::AtMostOnce),
                        )
                    })
                    .collect();
                let properties = PacketProperties::NONE;
                session.handle_command(
                    Command::Subscribe {
                        token,
                        filters,
                        properties,
                    },
                    now,
                );
            }
            5 => {
                let token = h.token();
                let filters = vec![FILTERS[usize::from(input.byte()) % FILTERS.len()].to_string()];
                let properties = PacketProperties::NONE;
                session.handle_command(
                    Command::Unsubscribe {
                        token,
                        filters,
                        properties,
                    },
                    now,
                );
            }
            6 => {
                if input.byte().is_multiple_of(4) {
                    session.handle_command(Command::Disconnect(Disconnect::NORMAL), now);
                }
            }
            7 => {
                let id = h.pick_id(&mut input);
                session.handle_command(Command::RemoveOutgoing(id), now);
            }
            8 => {
                now += Duration::from_millis(u64::from(input.byte()) * 50);
                if let Err(error) = session.handle_timeout(now) {
                    let _ = error.to_string();
                    if h.open {
                        close(&mut session, &mut h, now);
                    }
                }
            }
            9 => {
                // raw bytes through the decoder, as the connection task does
                let n = usize::from(input.byte() % 48);
                let mut buf = BytesMut::from(input.take(n));
                loop {
                    match codec::decode(&mut buf, version, PROTOCOL_MAX_PACKET) {
                        Ok(Some(packet)) => feed(&mut session, &mut h, packet, now),
                        Ok(None) => break,
                        Err(_) => {
                            if h.open {
                                close(&mut session, &mut h, now);
                            }
                            break;
                        }
                    }
                }
            }
            _ => {
                let packet = synthesize(&mut input, &h);
                feed(&mut session, &mut h, packet, now);
            }
        }
        drain(&mut session, &mut h, now);
        let _ = session.poll_timeout();
    }

    session.shutdown();
    h.open = false;
    drain(&mut session, &mut h, now);
    let mut incomplete: Vec<Token> = h
        .tokens
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(t, _)| *t)
        .collect();
    incomplete.sort_unstable();
    assert!(
        incomplete.is_empty(),
        "after shutdown, tokens never completed: {incomplete:?}"
    );
}

// ------------------------------------------------------------------- deterministic input generation

/// Random valid packets come from the engine's generator (its `testing` feature), the one its own
/// round-trip tests use; this crate builds fuzz inputs from them.
pub use mqtt_napi_engine::codec::random::Rng;

/// Input for [`decode`]: valid packets (some corrupted, truncated or interleaved with noise) or noise.
pub fn decode_input(rng: &mut Rng) -> Vec<u8> {
    let control = rng.byte();
    let version = codec_version_of(control);
    let mut out = vec![control, rng.byte()];
    let mut stream = BytesMut::new();
    match rng.below(4) {
        0 => out.extend(rng.bytes(96)),
        _ => {
            for _ in 0..1 + rng.below(4) {
                let packet = rng.packet(version);
                codec::encode(&packet, version, &mut stream).expect("generated packets are valid");
            }
            let mut bytes = stream.to_vec();
            match rng.below(5) {
                0 if !bytes.is_empty() => {
                    let i = rng.below(bytes.len());
                    bytes[i] ^= 1 << rng.below(8);
                }
                1 => bytes.truncate(rng.below(bytes.len() + 1)),
                2 => bytes.extend(rng.bytes(8)),
                3 if bytes.len() > 1 => {
                    let i = rng.below(bytes.len());
                    bytes[i] = rng.byte();
                }
                _ => {}
            }
            out.extend(bytes);
        }
    }
    out
}

/// Input for [`session`]: a random op stream (the session target reads it as ops).
pub fn session_input(rng: &mut Rng) -> Vec<u8> {
    let len = 16 + rng.below(512);
    let mut out = Vec::with_capacity(len);
    // bias towards a connected session: open, CONNACK, then anything
    // (flags, limits, keepalive; op 0 = open, delay; op 12 = synthesize: id, kind 0 = CONNACK,
    // session present, accepted)
    out.extend([
        rng.byte(),
        rng.byte(),
        rng.byte(),
        0,
        0,
        12,
        0,
        0,
        rng.byte(),
        0,
    ]);
    for _ in 0..len {
        out.push(rng.byte());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_valid_packets_round_trip_through_encode_and_decode() {
        let mut rng = Rng::new(0xC0DEC);
        for i in 0..20_000 {
            let version = codec_version_of(i as u8);
            let packet = rng.packet(version);
            assert_round_trip(&packet, version);
        }
    }

    #[test]
    fn a_stream_of_random_packets_decodes_identically_whole_and_in_random_chunks() {
        let mut rng = Rng::new(42);
        for _ in 0..2_000 {
            let version = codec_version_of(rng.byte());
            let mut stream = BytesMut::new();
            let mut packets = Vec::new();
            for _ in 0..1 + rng.below(8) {
                let p = rng.packet(version);
                codec::encode(&p, version, &mut stream).unwrap();
                packets.push(p);
            }
            let chunks = rng.bytes(32);
            let whole = decode_whole(&stream, version, PROTOCOL_MAX_PACKET);
            assert_eq!(whole.packets, packets);
            assert_eq!(whole.error, None);
            assert_eq!(
                decode_chunked(&stream, &chunks, version, PROTOCOL_MAX_PACKET),
                whole
            );
        }
    }

    #[test]
    fn decode_target_smoke() {
        let mut rng = Rng::new(1);
        for _ in 0..20_000 {
            decode(&decode_input(&mut rng));
        }
    }

    #[test]
    fn session_target_smoke() {
        let mut rng = Rng::new(2);
        for _ in 0..3_000 {
            session(&session_input(&mut rng));
        }
    }

    #[test]
    fn every_checked_in_corpus_file_passes() {
        for (target, run) in [("decode", decode as fn(&[u8])), ("session", session)] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("corpus")
                .join(target);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                run(&std::fs::read(entry.path()).unwrap());
            }
        }
    }
}

//! encode -> decode round trips across the whole packet space, and decoding hostile input without panics.
//! Randomness comes from a seeded xorshift generator so every failure reproduces.

use bytes::{BufMut, Bytes, BytesMut};

use super::*;

const V311: ProtocolVersion = ProtocolVersion::V311;

fn round_trip(packet: &Packet, version: ProtocolVersion) -> Packet {
    let mut buf = BytesMut::new();
    encode(packet, version, &mut buf).unwrap_or_else(|e| panic!("{e}: {packet:?}"));
    assert_eq!(encoded_len(packet, version), Ok(buf.len()));
    let decoded =
        decode(&mut buf, version, usize::MAX).unwrap_or_else(|e| panic!("{e}: {packet:?}"));
    assert!(buf.is_empty());
    decoded.expect("complete packet")
}

#[test]
fn every_fixture_packet_survives_encode_then_decode() {
    for fixture in super::fixtures::all() {
        assert_eq!(
            round_trip(&fixture.packet, fixture.version),
            fixture.packet,
            "{}",
            fixture.name
        );
    }
}

#[test]
fn publish_round_trips_at_each_remaining_length_boundary() {
    // Topic "t" (3 bytes) + packet id (2 bytes) + payload = remaining length.
    for (remaining_len, length_bytes) in [
        (127, 1),
        (128, 2),
        (16_383, 2),
        (16_384, 3),
        (2_097_151, 3),
        (2_097_152, 4),
    ] {
        let packet = Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: false,
            topic: "t".into(),
            packet_id: Some(9),
            payload: Bytes::from(vec![0x5A; remaining_len - 5]),
        });
        assert_eq!(
            encoded_len(&packet, V311),
            Ok(1 + length_bytes + remaining_len)
        );
        assert_eq!(
            round_trip(&packet, V311),
            packet,
            "remaining length {remaining_len}"
        );
    }
}

/// xorshift64*: tiny, seeded, good enough to spread test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn qos(&mut self) -> QoS {
        QoS::from_u8(self.below(3) as u8).unwrap()
    }
    fn packet_id(&mut self) -> PacketId {
        1 + self.below(usize::from(u16::MAX)) as u16
    }
    fn bytes(&mut self, max_len: usize) -> Bytes {
        let len = self.below(max_len + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }
    /// A topic name: levels of ASCII and multi-byte characters, possibly empty levels, never a wildcard.
    fn topic_name(&mut self) -> String {
        const PIECES: [&str; 8] = ["a", "sensor", "é", "温度", "🙂", "$SYS", " ", "x-y_z"];
        let mut topic = String::new();
        for level in 0..1 + self.below(4) {
            if level > 0 {
                topic.push('/');
            }
            for _ in 0..self.below(3) {
                topic.push_str(PIECES[self.below(PIECES.len())]);
            }
        }
        if topic.is_empty() {
            topic.push('t');
        }
        topic
    }
    fn topic_filter(&mut self) -> String {
        let mut levels: Vec<String> = self.topic_name().split('/').map(str::to_owned).collect();
        for level in &mut levels {
            if self.chance(4) {
                *level = "+".into();
            }
        }
        if self.chance(4) {
            levels.push("#".into());
        }
        levels.join("/")
    }
    fn packet(&mut self, version: ProtocolVersion) -> Packet {
        match self.below(14) {
            0 => Packet::Connect(Box::new(self.connect(version))),
            1 => {
                let return_code = self.below(6) as u8;
                let session_present = return_code == 0 && self.chance(2);
                Packet::ConnAck(ConnAck {
                    session_present,
                    return_code,
                })
            }
            2 => {
                let qos = self.qos();
                let packet_id = (qos != QoS::AtMostOnce).then(|| self.packet_id());
                let max_payload = if self.chance(50) { 20_000 } else { 200 };
                Packet::Publish(Publish {
                    dup: packet_id.is_some() && self.chance(2),
                    qos,
                    retain: self.chance(2),
                    topic: self.topic_name().into(),
                    packet_id,
                    payload: self.bytes(max_payload),
                })
            }
            3 => Packet::PubAck(self.packet_id()),
            4 => Packet::PubRec(self.packet_id()),
            5 => Packet::PubRel(self.packet_id()),
            6 => Packet::PubComp(self.packet_id()),
            7 => Packet::Subscribe(Subscribe {
                packet_id: self.packet_id(),
                filters: (0..1 + self.below(4))
                    .map(|_| SubscribeFilter {
                        filter: self.topic_filter(),
                        qos: self.qos(),
                    })
                    .collect(),
            }),
            8 => Packet::SubAck(SubAck {
                packet_id: self.packet_id(),
                return_codes: (0..1 + self.below(4))
                    .map(|_| [0, 1, 2, 0x80][self.below(4)])
                    .collect(),
            }),
            9 => Packet::Unsubscribe(Unsubscribe {
                packet_id: self.packet_id(),
                filters: (0..1 + self.below(4))
                    .map(|_| self.topic_filter())
                    .collect(),
            }),
            10 => Packet::UnsubAck(self.packet_id()),
            11 => Packet::PingReq,
            12 => Packet::PingResp,
            _ => Packet::Disconnect,
        }
    }
    fn connect(&mut self, protocol: ProtocolVersion) -> Connect {
        let username = self.chance(2).then(|| Bytes::from(self.topic_name()));
        Connect {
            protocol,
            clean_session: self.chance(2),
            keep_alive: self.next() as u16,
            client_id: if self.chance(5) {
                Bytes::new()
            } else {
                Bytes::from(self.topic_name())
            },
            will: self.chance(2).then(|| LastWill {
                topic: self.topic_name(),
                payload: self.bytes(100),
                qos: self.qos(),
                retain: self.chance(2),
            }),
            password: (username.is_some() && self.chance(2)).then(|| self.bytes(30)),
            username,
        }
    }
}

#[test]
fn ten_thousand_random_packets_survive_encode_then_decode() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..10_000 {
        let version = if rng.chance(2) {
            ProtocolVersion::V31
        } else {
            V311
        };
        let packet = rng.packet(version);
        assert_eq!(round_trip(&packet, version), packet);
    }
}

#[test]
fn a_random_stream_split_into_random_chunks_decodes_to_the_same_packets() {
    let mut rng = Rng(42);
    let packets: Vec<Packet> = (0..2_000).map(|_| rng.packet(V311)).collect();
    let mut wire = BytesMut::new();
    for packet in &packets {
        encode(packet, V311, &mut wire).unwrap();
    }

    let mut read_buf = BytesMut::new();
    let mut decoded = Vec::new();
    let mut wire = wire.freeze();
    while !wire.is_empty() {
        let chunk = wire.split_to((1 + rng.below(300)).min(wire.len()));
        read_buf.put_slice(&chunk);
        while let Some(packet) = decode(&mut read_buf, V311, usize::MAX).unwrap() {
            decoded.push(packet);
        }
    }
    assert!(read_buf.is_empty());
    assert_eq!(decoded, packets);
}

/// Decodes until the buffer is exhausted, an error occurs or more input is needed. Only panics matter here.
fn decode_everything(bytes: &[u8], max_packet_size: usize) {
    let mut buf = BytesMut::from(bytes);
    while let Ok(Some(_)) = decode(&mut buf, V311, max_packet_size) {}
}

#[test]
fn random_bytes_never_panic_the_decoder() {
    let mut rng = Rng(7);
    for _ in 0..20_000 {
        let mut bytes = rng.bytes(64).to_vec();
        // Bias towards plausible headers so the body parsers are reached, not just the type check.
        if let Some(first) = bytes.first_mut() {
            *first = (*first & 0x0F) | ((1 + rng.below(14) as u8) << 4);
        }
        if bytes.len() > 1 {
            bytes[1] = rng.below(bytes.len()) as u8;
        }
        decode_everything(&bytes, 1 + rng.below(100));
        decode_everything(&bytes, usize::MAX);
    }
}

#[test]
fn valid_packets_with_one_corrupted_byte_never_panic_the_decoder() {
    let mut rng = Rng(99);
    for _ in 0..20_000 {
        let mut wire = BytesMut::new();
        encode(&rng.packet(V311), V311, &mut wire).unwrap();
        let index = rng.below(wire.len());
        wire[index] = rng.next() as u8;
        let cut = rng.below(wire.len() + 1);
        decode_everything(&wire[..cut], usize::MAX);
        decode_everything(&wire, usize::MAX);
    }
}

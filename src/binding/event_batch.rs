//! Serialises a batch of client events into one byte buffer for JS.
//!
//! One `Buffer` per batch crosses the N-API boundary instead of one JS object
//! per event; `lib/event-batch.js` reads it back. Little-endian throughout.
//! Strings are UTF-8 with a u32 length; every record starts with a kind byte
//! (`batch_format::kind`, which JS reads from the addon).

use bytes::Bytes;

use super::batch_format::{
    kind, FLAG_ACK_HELD, FLAG_DUP, FLAG_PAYLOAD_ATTACHED, FLAG_PROPERTIES, FLAG_QOS_MASK,
    FLAG_RETAIN,
};
use super::properties::{put_properties, put_property_list};
use engine::codec::v5::ReasonCode;
use engine::codec::{Packet, PacketProperties, Publish, PublishAck, SubscriptionOptions};
use engine::connection::{ClientError, ClientEvent, ErrorCode};
use engine::session::{CommandError, Event};

use super::PAYLOAD_BY_REFERENCE_BYTES;

/// A batch as it goes to JS: the records, and the large payloads that
/// MESSAGE records refer to, in record order.
#[derive(Debug, Default)]
pub struct EncodedBatch {
    pub records: Vec<u8>,
    pub payloads: Vec<Bytes>,
}

impl EncodedBatch {
    pub fn with_capacity(records: usize) -> Self {
        EncodedBatch {
            records: Vec::with_capacity(records),
            payloads: Vec::new(),
        }
    }
}

pub fn encode_events(events: &[ClientEvent], out: &mut EncodedBatch) {
    for event in events {
        match event {
            ClientEvent::Session(Event::Message(publish)) => put_message(out, publish, None),
            ClientEvent::Session(Event::HeldMessage {
                publish,
                connection,
            }) => put_message(out, publish, Some(*connection)),
            event => encode_event(event, &mut out.records),
        }
    }
}

/// `held_on`: the connection a held message came on (see `FLAG_ACK_HELD`). A large payload is
/// attached to the batch, not copied into it.
fn put_message(out: &mut EncodedBatch, publish: &Publish, held_on: Option<u32>) {
    out.records.push(kind::MESSAGE);
    let held = if held_on.is_some() { FLAG_ACK_HELD } else { 0 };
    if publish.payload.len() < PAYLOAD_BY_REFERENCE_BYTES as usize {
        put_publish_with(&mut out.records, publish, held);
    } else {
        out.records
            .push(publish_flags(publish) | FLAG_PAYLOAD_ATTACHED | held);
        put_u16(&mut out.records, publish.packet_id.unwrap_or(0));
        put_bytes(&mut out.records, publish.topic.as_bytes());
        put_publish_properties(&mut out.records, publish);
        out.payloads.push(publish.payload.clone());
    }
    if let Some(connection) = held_on {
        put_u32(&mut out.records, connection);
    }
}

fn encode_event(event: &ClientEvent, out: &mut Vec<u8>) {
    match event {
        ClientEvent::Session(event) => encode_session_event(event, out),
        ClientEvent::Reconnect { server } => {
            out.push(kind::RECONNECT);
            put_u32(out, *server as u32);
        }
        ClientEvent::Offline => out.push(kind::OFFLINE),
        ClientEvent::Close => out.push(kind::CLOSE),
        ClientEvent::Terminated => out.push(kind::TERMINATED),
        ClientEvent::Error(error) => {
            out.push(kind::ERROR);
            put_error(out, error);
        }
        ClientEvent::PacketSent(packet) => {
            out.push(kind::PACKET_SEND);
            put_packet(out, packet);
        }
        ClientEvent::PacketReceived(packet) => {
            out.push(kind::PACKET_RECEIVE);
            match packet {
                // Only a broken broker sends a client's packets: JS reports
                // them by type alone, so their fields stay here.
                Packet::Connect(_) | Packet::Subscribe(_) | Packet::Unsubscribe(_) => {
                    out.push(packet.packet_type().wire())
                }
                packet => put_packet(out, packet),
            }
        }
        ClientEvent::QoS0Written { through } => {
            out.push(kind::QOS0_WRITTEN);
            put_u64(out, *through);
        }
    }
}

/// A packet for `packetsend`/`packetreceive`: its wire type number, then its fields.
fn put_packet(out: &mut Vec<u8>, packet: &Packet) {
    out.push(packet.packet_type().wire());
    match packet {
        Packet::Connect(connect) => {
            out.push(connect.protocol.level());
            out.push(u8::from(connect.clean_session));
            put_u16(out, connect.keep_alive);
            put_bytes(out, &connect.client_id);
            match &connect.will {
                None => out.push(0),
                Some(will) => {
                    out.push(1);
                    put_bytes(out, will.topic.as_bytes());
                    put_bytes(out, &will.payload);
                    out.push(will.qos.as_u8());
                    out.push(u8::from(will.retain));
                    put_properties(out, &will.properties);
                }
            }
            put_optional_bytes(out, connect.username.as_deref());
            put_optional_bytes(out, connect.password.as_deref());
            put_properties(out, &connect.properties);
        }
        Packet::ConnAck(connack) => {
            out.push(u8::from(connack.session_present));
            out.push(connack.reason_code.byte());
            put_properties(out, &connack.properties);
        }
        Packet::Publish(publish) => put_publish(out, publish),
        Packet::PubAck(ack) | Packet::PubRec(ack) | Packet::PubRel(ack) | Packet::PubComp(ack) => {
            put_u16(out, ack.packet_id);
            put_reason(out, ack.reason_code, &ack.properties);
        }
        Packet::UnsubAck(unsuback) => {
            put_u16(out, unsuback.packet_id);
            put_unsuback_codes(out, &unsuback.reason_codes, &unsuback.properties);
        }
        Packet::Subscribe(subscribe) => {
            put_u16(out, subscribe.packet_id);
            put_u32(out, subscribe.filters.len() as u32);
            for filter in &subscribe.filters {
                put_bytes(out, filter.filter.as_bytes());
                out.push(filter.qos.as_u8());
                out.push(subscription_options(filter.options));
            }
            put_properties(out, &subscribe.properties);
        }
        Packet::SubAck(suback) => {
            put_u16(out, suback.packet_id);
            let codes: Vec<u8> = suback.reason_codes.iter().map(|code| code.byte()).collect();
            put_bytes(out, &codes);
            put_properties(out, &suback.properties);
        }
        Packet::Unsubscribe(unsubscribe) => {
            put_u16(out, unsubscribe.packet_id);
            put_u32(out, unsubscribe.filters.len() as u32);
            for filter in &unsubscribe.filters {
                put_bytes(out, filter.as_bytes());
            }
            put_properties(out, &unsubscribe.properties);
        }
        Packet::Disconnect(disconnect) => {
            put_reason(out, disconnect.reason_code, &disconnect.properties)
        }
        Packet::Auth(auth) => {
            out.push(auth.reason_code.0);
            put_property_list(out, Some(&auth.properties));
        }
        Packet::PingReq | Packet::PingResp => {}
    }
}

/// A reason code, then a property list.
fn put_reason(out: &mut Vec<u8>, code: ReasonCode, properties: &PacketProperties) {
    out.push(code.0);
    put_properties(out, properties);
}

/// UNSUBACK's per-filter reason codes (none in 3.x), then its property list.
fn put_unsuback_codes(out: &mut Vec<u8>, codes: &[ReasonCode], properties: &PacketProperties) {
    let codes: Vec<u8> = codes.iter().map(|code| code.0).collect();
    put_bytes(out, &codes);
    put_properties(out, properties);
}

/// MQTT 5's subscription options as on the wire (bit 2 No Local, bit 3 Retain As Published,
/// bits 4-5 Retain Handling), without the QoS bits.
fn subscription_options(options: SubscriptionOptions) -> u8 {
    (u8::from(options.no_local) << 2)
        | (u8::from(options.retain_as_published) << 3)
        | (options.retain_handling.as_u8() << 4)
}

fn publish_flags(publish: &Publish) -> u8 {
    let flag = |on: bool, bit: u8| if on { bit } else { 0 };
    (publish.qos.as_u8() & FLAG_QOS_MASK)
        | flag(publish.retain, FLAG_RETAIN)
        | flag(publish.dup, FLAG_DUP)
        | flag(!publish.properties.is_empty(), FLAG_PROPERTIES)
}

/// The list `FLAG_PROPERTIES` announces, after the fixed fields; nothing without it.
fn put_publish_properties(out: &mut Vec<u8>, publish: &Publish) {
    if !publish.properties.is_empty() {
        put_properties(out, &publish.properties);
    }
}

fn put_publish(out: &mut Vec<u8>, publish: &Publish) {
    put_publish_with(out, publish, 0);
}

fn put_publish_with(out: &mut Vec<u8>, publish: &Publish, extra_flags: u8) {
    out.push(publish_flags(publish) | extra_flags);
    put_u16(out, publish.packet_id.unwrap_or(0));
    put_bytes(out, publish.topic.as_bytes());
    put_bytes(out, &publish.payload);
    put_publish_properties(out, publish);
}

fn put_optional_bytes(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => out.push(0),
        Some(bytes) => {
            out.push(1);
            put_bytes(out, bytes);
        }
    }
}

/// Completions nobody waits for (token 0) are not sent to JS at all.
fn is_unobserved(event: &Event) -> bool {
    matches!(
        event,
        Event::Published { token: 0, .. }
            | Event::Subscribed { token: 0, .. }
            | Event::Unsubscribed { token: 0, .. }
    )
}

fn encode_session_event(event: &Event, out: &mut Vec<u8>) {
    if is_unobserved(event) {
        return;
    }
    match event {
        Event::Connected {
            connack,
            session_resumed,
        } => {
            out.push(kind::CONNECT);
            out.push(u8::from(connack.session_present));
            out.push(connack.reason_code.byte());
            out.push(u8::from(*session_resumed));
            put_properties(out, &connack.properties);
        }
        // `encode_events` writes messages (`put_message`): they may attach their payload.
        Event::Message(_) | Event::HeldMessage { .. } => {
            unreachable!("messages are encoded by put_message")
        }
        Event::Published {
            token,
            packet_id,
            result,
        } => {
            out.push(kind::PUBLISH_DONE);
            put_u64(out, *token);
            put_u16(out, packet_id.unwrap_or(0));
            put_command_result(out, result.as_ref().err());
            // The broker's final ack, refusing or not (MQTT 5: for `cb(err, packet)`);
            // Success and no properties when there was none.
            let ack = match result {
                Ok(ack) => ack.as_ref(),
                Err(CommandError::Refused(ack)) => Some(ack),
                Err(_) => None,
            };
            let (code, properties) = ack.map_or(
                (ReasonCode::SUCCESS, &PacketProperties::NONE),
                |ack: &PublishAck| (ack.reason_code, &ack.properties),
            );
            put_reason(out, code, properties);
        }
        Event::Subscribed {
            token,
            granted,
            result,
        } => {
            out.push(kind::SUBSCRIBE_DONE);
            put_u64(out, *token);
            // The SUBACK the callback reports (its id and return codes), or the
            // error; then the QoS of each filter of the call, in the order JS
            // asked for them (its pending entry holds the filters: they do not
            // cross back).
            match result {
                Ok(suback) => {
                    put_u16(out, suback.packet_id);
                    out.push(0);
                    let codes: Vec<u8> =
                        suback.reason_codes.iter().map(|code| code.byte()).collect();
                    put_bytes(out, &codes);
                    put_properties(out, &suback.properties);
                }
                Err(error) => {
                    put_u16(out, 0);
                    put_command_result(out, Some(error));
                }
            }
            let qos: Vec<u8> = granted.iter().map(|qos| qos.as_u8()).collect();
            put_bytes(out, &qos);
        }
        Event::SubscriptionsRefused { filters } => {
            out.push(kind::SUBSCRIPTIONS_REFUSED);
            put_u32(out, filters.len() as u32);
            for filter in filters {
                put_bytes(out, filter.as_bytes());
            }
        }
        Event::Unsubscribed {
            token,
            packet_id,
            result,
        } => {
            out.push(kind::UNSUBSCRIBE_DONE);
            put_u64(out, *token);
            put_u16(out, *packet_id);
            put_command_result(out, result.as_ref().err());
            // The UNSUBACK's per-filter codes (MQTT 5) and properties; none on failure.
            match result {
                Ok(unsuback) => {
                    put_unsuback_codes(out, &unsuback.reason_codes, &unsuback.properties)
                }
                Err(_) => put_unsuback_codes(out, &[], &PacketProperties::NONE),
            }
        }
        Event::PacketIdAllocated(id) => {
            out.push(kind::PACKET_ID_ALLOCATED);
            put_u16(out, *id);
        }
        Event::QoS0Dropped { through } => {
            out.push(kind::QOS0_DROPPED);
            put_u64(out, *through);
        }
        Event::OutgoingEmpty => out.push(kind::OUTGOING_EMPTY),
        Event::ServerDisconnect(disconnect) => {
            out.push(kind::DISCONNECT);
            put_reason(out, disconnect.reason_code, &disconnect.properties);
        }
        Event::Auth(auth) => {
            out.push(kind::AUTH);
            out.push(auth.reason_code.0);
            put_property_list(out, Some(&auth.properties));
        }
    }
}

/// `0`, or `1`, the message and the code as `put_error` writes them (never a numeric one).
fn put_command_result(out: &mut Vec<u8>, error: Option<&CommandError>) {
    match error {
        None => out.push(0),
        Some(error) => {
            out.push(1);
            put_bytes(out, error.to_string().as_bytes());
            match error.code() {
                None => out.push(0),
                Some(code) => {
                    out.push(1);
                    put_bytes(out, code.as_bytes());
                }
            }
        }
    }
}

fn put_error(out: &mut Vec<u8>, error: &ClientError) {
    put_bytes(out, error.message.as_bytes());
    match &error.code {
        None => out.push(0),
        Some(ErrorCode::Text(code)) => {
            out.push(1);
            put_bytes(out, code.as_bytes());
        }
        Some(ErrorCode::Number(code)) => {
            out.push(2);
            put_u32(out, *code);
        }
    }
    // Node's fields of a failed system call; absent ones as 0 / empty (never valid values).
    match &error.syscall {
        None => out.push(0),
        Some(info) => {
            out.push(1);
            put_u32(out, info.errno.unwrap_or(0) as u32);
            put_bytes(out, info.syscall.as_bytes());
            put_bytes(out, info.address.as_deref().unwrap_or("").as_bytes());
            put_u16(out, info.port.unwrap_or(0));
            put_bytes(out, info.hostname.as_deref().unwrap_or("").as_bytes());
        }
    }
}

fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, value: u64) {
    // Tokens come from JS numbers: 53 bits are plenty, sent as f64 for a cheap read.
    out.extend_from_slice(&(value as f64).to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, bytes.len() as u32);
    out.extend_from_slice(bytes);
}

/// Bytes a message record takes, to size the batch buffer once.
pub fn message_size_hint(topic_len: usize, payload_len: usize) -> usize {
    1 + 1 + 2 + 4 + topic_len + 4 + payload_len
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::codec::{ConnAck, PacketProperties, QoS};

    #[test]
    fn a_message_record_carries_flags_id_topic_and_payload() {
        let mut batch = EncodedBatch::default();
        encode_events(
            &[ClientEvent::Session(Event::Message(Publish {
                dup: true,
                qos: QoS::AtLeastOnce,
                retain: true,
                topic: "a/b".into(),
                packet_id: Some(258),
                payload: Bytes::from_static(b"hi"),
                properties: PacketProperties::NONE,
            }))],
            &mut batch,
        );
        let out = batch.records;
        assert!(batch.payloads.is_empty());
        assert_eq!(
            out,
            vec![
                kind::MESSAGE,
                0b1101, // qos 1, retain, dup
                2,
                1, // id 258
                3,
                0,
                0,
                0,
                b'a',
                b'/',
                b'b',
                2,
                0,
                0,
                0,
                b'h',
                b'i'
            ]
        );
        assert_eq!(out.len(), message_size_hint(3, 2));
    }

    #[test]
    fn a_held_message_is_flagged_and_ends_with_its_connection() {
        let mut batch = EncodedBatch::default();
        encode_events(
            &[ClientEvent::Session(Event::HeldMessage {
                publish: Publish {
                    dup: false,
                    qos: QoS::AtLeastOnce,
                    retain: false,
                    topic: "t".into(),
                    packet_id: Some(7),
                    payload: Bytes::from_static(b"p"),
                    properties: PacketProperties::NONE,
                },
                connection: 0x0102_0304,
            })],
            &mut batch,
        );
        assert_eq!(
            batch.records,
            vec![
                kind::MESSAGE,
                FLAG_ACK_HELD | 1,
                7,
                0,
                1,
                0,
                0,
                0,
                b't',
                1,
                0,
                0,
                0,
                b'p',
                4,
                3,
                2,
                1
            ]
        );
    }

    #[test]
    fn connect_and_simple_events_are_eight_bytes_or_one() {
        let mut out = EncodedBatch::default();
        encode_events(
            &[
                ClientEvent::Session(Event::Connected {
                    connack: ConnAck::accepted(true),
                    session_resumed: true,
                }),
                ClientEvent::Close,
            ],
            &mut out,
        );
        // Flags, code, resumed, then an empty property list (u32 count 0).
        assert_eq!(
            out.records,
            vec![kind::CONNECT, 1, 0, 1, 0, 0, 0, 0, kind::CLOSE]
        );
    }

    #[test]
    fn qos0_written_and_dropped_carry_a_token() {
        let mut out = EncodedBatch::default();
        encode_events(
            &[
                ClientEvent::QoS0Written { through: 3 },
                ClientEvent::Session(Event::QoS0Dropped { through: 5 }),
            ],
            &mut out,
        );
        let mut expected = vec![kind::QOS0_WRITTEN];
        expected.extend_from_slice(&3f64.to_le_bytes());
        expected.push(kind::QOS0_DROPPED);
        expected.extend_from_slice(&5f64.to_le_bytes());
        assert_eq!(out.records, expected);
    }

    #[test]
    fn an_error_with_a_numeric_code_keeps_it() {
        let mut batch = EncodedBatch::default();
        let error =
            ClientError::with_code("Connection refused: Not authorized", ErrorCode::Number(5));
        encode_events(&[ClientEvent::Error(error)], &mut batch);
        let out = batch.records;
        assert_eq!(out[0], kind::ERROR);
        // The code, then "no system call fields".
        assert_eq!(&out[out.len() - 6..], &[2, 5, 0, 0, 0, 0]);
    }

    #[test]
    fn a_system_call_error_carries_node_fields() {
        let mut batch = EncodedBatch::default();
        let mut error = ClientError::with_code(
            "connect ECONNREFUSED 1.2.3.4:80",
            ErrorCode::Text("E".into()),
        );
        error.syscall = Some(Box::new(engine::transport::SyscallInfo {
            errno: Some(-111),
            syscall: "connect",
            address: Some("1.2.3.4".into()),
            port: Some(80),
            hostname: None,
        }));
        encode_events(&[ClientEvent::Error(error)], &mut batch);
        let out = batch.records;
        let fields_at = 1 + 4 + 31 + 1 + 4 + 1;
        let mut expected = vec![1];
        expected.extend_from_slice(&(-111i32).to_le_bytes());
        expected.extend_from_slice(&[7, 0, 0, 0]);
        expected.extend_from_slice(b"connect");
        expected.extend_from_slice(&[7, 0, 0, 0]);
        expected.extend_from_slice(b"1.2.3.4");
        expected.extend_from_slice(&[80, 0]);
        expected.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(&out[fields_at..], &expected[..]);
    }

    #[test]
    fn a_failed_command_carries_its_message_and_its_code_if_any() {
        let failed = |error: CommandError| {
            let mut batch = EncodedBatch::default();
            encode_events(
                &[ClientEvent::Session(Event::Published {
                    token: 1,
                    packet_id: None,
                    result: Err(error),
                })],
                &mut batch,
            );
            // kind, token (f64), packet id (u16), the result, then no ack: reason 0, no properties.
            let records = batch.records;
            assert_eq!(&records[records.len() - 5..], &[0, 0, 0, 0, 0]);
            records[1 + 8 + 2..records.len() - 5].to_vec()
        };
        let removed = failed(CommandError::Removed);
        assert_eq!(removed[0], 1);
        assert_eq!(&removed[5..], b"Message removed\0");
        let too_large = failed(CommandError::PacketTooLarge { size: 9, max: 8 });
        let code = b"ERR_MQTT_PACKET_TOO_LARGE";
        assert_eq!(
            &too_large[too_large.len() - code.len() - 5..][..5],
            &[1, code.len() as u8, 0, 0, 0]
        );
        assert!(too_large.ends_with(code));
    }

    #[test]
    fn a_large_payload_is_attached_not_copied() {
        let payload = Bytes::from(vec![7u8; PAYLOAD_BY_REFERENCE_BYTES as usize]);
        let message = |payload: Bytes| {
            ClientEvent::Session(Event::Message(Publish {
                dup: false,
                qos: QoS::AtMostOnce,
                retain: false,
                topic: "t".into(),
                packet_id: None,
                payload,
                properties: PacketProperties::NONE,
            }))
        };
        let mut batch = EncodedBatch::default();
        encode_events(
            &[
                message(payload.clone()),
                message(Bytes::from_static(b"small")),
            ],
            &mut batch,
        );
        let attached = [kind::MESSAGE, FLAG_PAYLOAD_ATTACHED, 0, 0, 1, 0, 0, 0, b't'];
        assert_eq!(&batch.records[..attached.len()], attached);
        assert_eq!(
            batch.records.len(),
            attached.len() + message_size_hint(1, 5)
        );
        assert_eq!(batch.payloads.len(), 1);
        assert_eq!(
            batch.payloads[0].as_ptr(),
            payload.as_ptr(),
            "the same memory, not a copy"
        );
    }
}

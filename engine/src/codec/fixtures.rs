//! Hand-written wire bytes for every packet type, each paired with the packet it means. The decoder tests
//! check bytes -> packet and the encoder tests check packet -> bytes against the same list.

use bytes::Bytes;

use super::packet::*;

pub(crate) struct Fixture {
    pub name: &'static str,
    pub version: ProtocolVersion,
    pub wire: Vec<u8>,
    pub packet: Packet,
}

fn fixture(
    name: &'static str,
    version: ProtocolVersion,
    wire: &[&[u8]],
    packet: Packet,
) -> Fixture {
    Fixture {
        name,
        version,
        wire: wire.concat(),
        packet,
    }
}

fn connect(packet: Connect) -> Packet {
    Packet::Connect(Box::new(packet))
}

fn bytes(value: &'static [u8]) -> Bytes {
    Bytes::from_static(value)
}

pub(crate) fn all() -> Vec<Fixture> {
    use ProtocolVersion::{V31, V311};
    vec![
        fixture(
            "3.1.1 CONNECT, clean session, no will or credentials",
            V311,
            &[
                &[0x10, 15],     // CONNECT, remaining length 15
                b"\x00\x04MQTT", // protocol name
                &[4],            // protocol level 4 = 3.1.1
                &[0b0000_0010],  // flags: clean session
                &[0, 60],        // keep alive 60 s
                b"\x00\x03cid",  // client identifier
            ],
            connect(Connect {
                protocol: ProtocolVersion::V311,
                clean_session: true,
                keep_alive: 60,
                client_id: bytes(b"cid"),
                will: None,
                username: None,
                password: None,
                properties: PacketProperties::NONE,
            }),
        ),
        fixture(
            "3.1.1 CONNECT with will, user name and binary password",
            V311,
            &[
                &[0x10, 35],
                b"\x00\x04MQTT",
                &[4],
                &[0b1110_1110], // user name, password, will retain, will QoS 1, will, clean session
                &[0, 60],
                b"\x00\x03cid",
                b"\x00\x03w/t",      // will topic
                b"\x00\x03bye",      // will message
                b"\x00\x04user",     // user name
                &[0, 2, 0xFF, 0x00], // password: binary, not UTF-8
            ],
            connect(Connect {
                protocol: ProtocolVersion::V311,
                clean_session: true,
                keep_alive: 60,
                client_id: bytes(b"cid"),
                will: Some(LastWill {
                    topic: "w/t".into(),
                    payload: bytes(b"bye"),
                    qos: QoS::AtLeastOnce,
                    retain: true,
                    properties: PacketProperties::NONE,
                }),
                username: Some(bytes(b"user")),
                password: Some(bytes(&[0xFF, 0x00])),
                properties: PacketProperties::NONE,
            }),
        ),
        fixture(
            "3.1 CONNECT, clean session",
            V31,
            &[
                &[0x10, 16],
                b"\x00\x06MQIsdp", // 3.1 protocol name
                &[3],              // protocol level 3 = 3.1
                &[0b0000_0010],
                &[0, 10],
                b"\x00\x02id",
            ],
            connect(Connect {
                protocol: ProtocolVersion::V31,
                clean_session: true,
                keep_alive: 10,
                client_id: bytes(b"id"),
                will: None,
                username: None,
                password: None,
                properties: PacketProperties::NONE,
            }),
        ),
        fixture(
            "3.1 CONNECT with QoS 2 will, empty will message, user name and password",
            V31,
            &[
                &[0x10, 26],
                b"\x00\x06MQIsdp",
                &[3],
                &[0b1101_0100], // user name, password, will QoS 2, will; persistent session
                &[0, 0],        // keep alive disabled
                b"\x00\x01c",
                b"\x00\x01w",
                b"\x00\x00", // empty will message
                b"\x00\x01u",
                b"\x00\x01p",
            ],
            connect(Connect {
                protocol: ProtocolVersion::V31,
                clean_session: false,
                keep_alive: 0,
                client_id: bytes(b"c"),
                will: Some(LastWill {
                    topic: "w".into(),
                    payload: Bytes::new(),
                    qos: QoS::ExactlyOnce,
                    retain: false,
                    properties: PacketProperties::NONE,
                }),
                username: Some(bytes(b"u")),
                password: Some(bytes(b"p")),
                properties: PacketProperties::NONE,
            }),
        ),
        fixture(
            "CONNACK accepted with session present",
            V311,
            &[&[0x20, 2, 0x01, 0x00]],
            Packet::ConnAck(ConnAck::accepted(true)),
        ),
        fixture(
            "CONNACK refused: not authorized",
            V311,
            &[&[0x20, 2, 0x00, 0x05]],
            Packet::ConnAck(ConnAck::refused(ConnectReasonCode::NotAuthorized)),
        ),
        fixture(
            "QoS 0 PUBLISH",
            V311,
            &[
                &[0x30, 7],     // PUBLISH, no DUP, QoS 0, no RETAIN
                b"\x00\x03a/b", // topic; no packet identifier at QoS 0
                b"hi",          // payload: the rest of the packet
            ],
            Packet::Publish(Publish {
                dup: false,
                qos: QoS::AtMostOnce,
                retain: false,
                topic: "a/b".into(),
                packet_id: None,
                payload: bytes(b"hi"),
                properties: PacketProperties::NONE,
            }),
        ),
        fixture(
            "QoS 1 retained PUBLISH with binary payload",
            V311,
            &[
                &[0x33, 7], // QoS 1, RETAIN
                b"\x00\x01t",
                &[0x12, 0x34], // packet identifier 0x1234
                &[0xFF, 0x00],
            ],
            Packet::Publish(Publish {
                dup: false,
                qos: QoS::AtLeastOnce,
                retain: true,
                topic: "t".into(),
                packet_id: Some(0x1234),
                payload: bytes(&[0xFF, 0x00]),
                properties: PacketProperties::NONE,
            }),
        ),
        fixture(
            "QoS 2 duplicate PUBLISH with empty payload",
            V31,
            &[&[0x3C, 5], b"\x00\x01t", &[0, 1]], // DUP, QoS 2
            Packet::Publish(Publish {
                dup: true,
                qos: QoS::ExactlyOnce,
                retain: false,
                topic: "t".into(),
                packet_id: Some(1),
                payload: Bytes::new(),
                properties: PacketProperties::NONE,
            }),
        ),
        fixture(
            "PUBACK",
            V311,
            &[&[0x40, 2, 0x12, 0x34]],
            Packet::PubAck(PublishAck::new(0x1234)),
        ),
        fixture(
            "PUBREC",
            V311,
            &[&[0x50, 2, 0x00, 0x01]],
            Packet::PubRec(PublishAck::new(1)),
        ),
        fixture(
            "PUBREL (flags 0010)",
            V311,
            &[&[0x62, 2, 0xFF, 0xFF]],
            Packet::PubRel(PublishAck::new(0xFFFF)),
        ),
        fixture(
            "PUBCOMP",
            V311,
            &[&[0x70, 2, 0x00, 0x07]],
            Packet::PubComp(PublishAck::new(7)),
        ),
        fixture(
            "SUBSCRIBE with two filters",
            V311,
            &[
                &[0x82, 12], // SUBSCRIBE, flags 0010
                &[0, 10],    // packet identifier
                b"\x00\x03a/#",
                &[1], // filter, requested QoS 1
                b"\x00\x01+",
                &[2], // filter, requested QoS 2
            ],
            Packet::Subscribe(Subscribe {
                packet_id: 10,
                filters: vec![
                    SubscribeFilter::new("a/#", QoS::AtLeastOnce),
                    SubscribeFilter::new("+", QoS::ExactlyOnce),
                ],
                properties: PacketProperties::NONE,
            }),
        ),
        fixture(
            "SUBACK granting QoS 0 and refusing one",
            V311,
            &[&[0x90, 4, 0, 10, 0x00, 0x80]],
            Packet::SubAck(SubAck {
                packet_id: 10,
                reason_codes: vec![
                    SubscribeReasonCode::GrantedQoS0,
                    SubscribeReasonCode::Failure,
                ],
                properties: PacketProperties::NONE,
            }),
        ),
        fixture(
            "UNSUBSCRIBE with two filters",
            V311,
            &[&[0xA2, 10], &[0, 11], b"\x00\x03a/#", b"\x00\x01b"],
            Packet::Unsubscribe(Unsubscribe {
                packet_id: 11,
                filters: vec!["a/#".into(), "b".into()],
                properties: PacketProperties::NONE,
            }),
        ),
        fixture(
            "UNSUBACK",
            V311,
            &[&[0xB0, 2, 0, 11]],
            Packet::UnsubAck(UnsubAck::new(11)),
        ),
        fixture("PINGREQ", V311, &[&[0xC0, 0]], Packet::PingReq),
        fixture("PINGRESP", V311, &[&[0xD0, 0]], Packet::PingResp),
        fixture(
            "DISCONNECT",
            V311,
            &[&[0xE0, 0]],
            Packet::Disconnect(Disconnect::NORMAL),
        ),
    ]
}

#[test]
fn fixtures_cover_all_fourteen_packet_types() {
    let mut types: Vec<_> = all()
        .iter()
        .map(|f| f.packet.packet_type().wire())
        .collect();
    types.dedup();
    assert_eq!(types, (1..=14).collect::<Vec<_>>());
}

//! Hand-written wire bytes for every packet type, each paired with the packet it means. The decoder tests
//! check bytes -> packet and the encoder tests check packet -> bytes against the same list.

use bytes::Bytes;

use super::packet::*;
use super::v5::{Auth, Properties, ReasonCode};

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

/// Every fixture, MQTT 3.x then MQTT 5.
pub(crate) fn all() -> Vec<Fixture> {
    let mut all = mqtt3();
    all.extend(mqtt5());
    all
}

fn mqtt3() -> Vec<Fixture> {
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

/// A property list as a packet carries it.
fn props(properties: Properties) -> PacketProperties {
    PacketProperties::new(properties)
}

/// MQTT 5 fixtures, written from the layouts of the specification's chapter 3. Each was also checked
/// against a second implementation, the npm package mqtt-packet 9 (`parser({ protocolVersion: 5 })`
/// reads each `wire` as the packet below; its `generate` writes the same bytes, except where it uses
/// the long form of an ack or DISCONNECT (code and empty property list where we use the short forms,
/// see `decode::tests::mqtt_5_long_forms_from_mqtt_packet_decode_to_the_short_forms_packets`) and for
/// a password without a user name, which mqtt-packet refuses although section 3.1.2.9 allows it).
fn mqtt5() -> Vec<Fixture> {
    use ProtocolVersion::V5;
    vec![
        fixture(
            "5.0 CONNECT with properties, will properties, user name and password",
            V5,
            &[
                &[0x10, 44],
                b"\x00\x04MQTT",
                &[5],    // protocol level 5
                &[0xEE], // user name, password, will retain, will QoS 1, will, clean start
                &[0, 60],
                // properties: Session Expiry Interval 3600, Receive Maximum 100
                &[8, 0x11, 0, 0, 0x0E, 0x10, 0x21, 0, 100],
                b"\x00\x03cid",
                &[5, 0x18, 0, 0, 0, 10], // will properties: Will Delay Interval 10
                b"\x00\x01w",
                b"\x00\x03bye",
                b"\x00\x01u",
                b"\x00\x01p",
            ],
            connect(Connect {
                protocol: V5,
                clean_session: true,
                keep_alive: 60,
                client_id: bytes(b"cid"),
                will: Some(LastWill {
                    topic: "w".into(),
                    payload: bytes(b"bye"),
                    qos: QoS::AtLeastOnce,
                    retain: true,
                    properties: props(Properties {
                        will_delay_interval: Some(10),
                        ..Properties::default()
                    }),
                }),
                username: Some(bytes(b"u")),
                password: Some(bytes(b"p")),
                properties: props(Properties {
                    session_expiry_interval: Some(3600),
                    receive_maximum: Some(100),
                    ..Properties::default()
                }),
            }),
        ),
        fixture(
            "5.0 CONNECT with a password and no user name (section 3.1.2.9)",
            V5,
            &[
                &[0x10, 18],
                b"\x00\x04MQTT",
                &[5, 0x42, 0, 0], // password, clean start; keep alive 0
                &[0],             // no properties
                b"\x00\x01c",
                b"\x00\x02pw",
            ],
            connect(Connect {
                protocol: V5,
                clean_session: true,
                keep_alive: 0,
                client_id: bytes(b"c"),
                will: None,
                username: None,
                password: Some(bytes(b"pw")),
                properties: PacketProperties::NONE,
            }),
        ),
        fixture(
            "5.0 CONNACK as mosquitto 2 sends it: Receive Maximum 20, Topic Alias Maximum 10",
            V5,
            &[&[0x20, 9, 0, 0, 6, 0x21, 0, 20, 0x22, 0, 10]],
            Packet::ConnAck(ConnAck {
                properties: props(Properties {
                    receive_maximum: Some(20),
                    topic_alias_maximum: Some(10),
                    ..Properties::default()
                }),
                ..ConnAck::accepted(false)
            }),
        ),
        fixture(
            "5.0 CONNACK refusing with 0x87 Not authorized and a Reason String",
            V5,
            &[&[0x20, 8, 0, 0x87, 5, 0x1F, 0, 2], b"no"],
            Packet::ConnAck(ConnAck {
                properties: props(Properties {
                    reason_string: Some("no".into()),
                    ..Properties::default()
                }),
                ..ConnAck::refused(ConnectReasonCode::NotAuthorizedV5)
            }),
        ),
        fixture(
            "5.0 CONNACK with a session and an empty property list",
            V5,
            &[&[0x20, 3, 1, 0, 0]],
            Packet::ConnAck(ConnAck::accepted(true)),
        ),
        fixture(
            "5.0 PUBLISH QoS 1 with the message properties",
            V5,
            &[
                &[0x32, 44],
                b"\x00\x03a/b",
                &[0, 10],             // packet id
                &[34],                // property length
                &[0x01, 1],           // Payload Format Indicator: UTF-8
                &[0x02, 0, 0, 0, 60], // Message Expiry Interval 60
                &[0x03, 0, 4],
                b"text", // Content Type
                &[0x08, 0, 3],
                b"r/1",                    // Response Topic
                &[0x09, 0, 2, 0xAB, 0xCD], // Correlation Data
                &[0x0B, 5],                // Subscription Identifier 5
                &[0x26, 0, 1],
                b"k",
                &[0, 1],
                b"v", // User Property k=v
                b"hi",
            ],
            Packet::Publish(Publish {
                dup: false,
                qos: QoS::AtLeastOnce,
                retain: false,
                topic: "a/b".into(),
                packet_id: Some(10),
                payload: bytes(b"hi"),
                properties: props(Properties {
                    payload_format_indicator: Some(true),
                    message_expiry_interval: Some(60),
                    content_type: Some("text".into()),
                    response_topic: Some("r/1".into()),
                    correlation_data: Some(bytes(&[0xAB, 0xCD])),
                    subscription_identifiers: vec![5],
                    user_properties: vec![("k".into(), "v".into())],
                    ..Properties::default()
                }),
            }),
        ),
        fixture(
            "5.0 PUBLISH with an empty topic and Topic Alias 3",
            V5,
            &[&[0x31, 7, 0, 0, 3, 0x23, 0, 3], b"x"],
            Packet::Publish(Publish {
                dup: false,
                qos: QoS::AtMostOnce,
                retain: true,
                topic: "".into(),
                packet_id: None,
                payload: bytes(b"x"),
                properties: props(Properties {
                    topic_alias: Some(3),
                    ..Properties::default()
                }),
            }),
        ),
        fixture(
            "5.0 PUBLISH QoS 0 without properties",
            V5,
            &[&[0x30, 6], b"\x00\x01t", &[0], b"hi"],
            Packet::Publish(Publish {
                dup: false,
                qos: QoS::AtMostOnce,
                retain: false,
                topic: "t".into(),
                packet_id: None,
                payload: bytes(b"hi"),
                properties: PacketProperties::NONE,
            }),
        ),
        fixture(
            "5.0 PUBACK, short form: remaining length 2 is Success without properties",
            V5,
            &[&[0x40, 2, 0, 7]],
            Packet::PubAck(PublishAck::new(7)),
        ),
        fixture(
            "5.0 PUBACK, remaining length 3: 0x10 No matching subscribers, no properties",
            V5,
            &[&[0x40, 3, 0, 7, 0x10]],
            Packet::PubAck(PublishAck {
                reason_code: ReasonCode::NO_MATCHING_SUBSCRIBERS,
                ..PublishAck::new(7)
            }),
        ),
        fixture(
            "5.0 PUBREC, remaining length 4+: 0x80 and a Reason String",
            V5,
            &[&[0x50, 8, 0, 7, 0x80, 4, 0x1F, 0, 1], b"x"],
            Packet::PubRec(PublishAck {
                reason_code: ReasonCode::UNSPECIFIED_ERROR,
                properties: props(Properties {
                    reason_string: Some("x".into()),
                    ..Properties::default()
                }),
                ..PublishAck::new(7)
            }),
        ),
        fixture(
            "5.0 PUBREL 0x92 Packet Identifier not found",
            V5,
            &[&[0x62, 3, 0, 7, 0x92]],
            Packet::PubRel(PublishAck {
                reason_code: ReasonCode::PACKET_IDENTIFIER_NOT_FOUND,
                ..PublishAck::new(7)
            }),
        ),
        fixture(
            "5.0 PUBCOMP, short form",
            V5,
            &[&[0x70, 2, 0, 7]],
            Packet::PubComp(PublishAck::new(7)),
        ),
        fixture(
            "5.0 SUBSCRIBE with a Subscription Identifier and every option",
            V5,
            &[
                &[0x82, 15, 0, 1],
                &[2, 0x0B, 7], // Subscription Identifier 7
                b"\x00\x03a/#",
                &[0x2D], // QoS 1, No Local, Retain As Published, Retain Handling 2
                b"\x00\x01+",
                &[0x10], // QoS 0, Retain Handling 1
            ],
            Packet::Subscribe(Subscribe {
                packet_id: 1,
                filters: vec![
                    SubscribeFilter {
                        options: SubscriptionOptions {
                            no_local: true,
                            retain_as_published: true,
                            retain_handling: RetainHandling::DoNotSend,
                        },
                        ..SubscribeFilter::new("a/#", QoS::AtLeastOnce)
                    },
                    SubscribeFilter {
                        options: SubscriptionOptions {
                            retain_handling: RetainHandling::SendAtSubscribeIfNew,
                            ..SubscriptionOptions::DEFAULT
                        },
                        ..SubscribeFilter::new("+", QoS::AtMostOnce)
                    },
                ],
                properties: props(Properties {
                    subscription_identifiers: vec![7],
                    ..Properties::default()
                }),
            }),
        ),
        fixture(
            "5.0 SUBACK with MQTT 5 refusals",
            V5,
            &[&[0x90, 6, 0, 1, 0, 1, 0x87, 0xA2]],
            Packet::SubAck(SubAck {
                packet_id: 1,
                reason_codes: vec![
                    SubscribeReasonCode::GrantedQoS1,
                    SubscribeReasonCode::NotAuthorized,
                    SubscribeReasonCode::WildcardSubscriptionsNotSupported,
                ],
                properties: PacketProperties::NONE,
            }),
        ),
        fixture(
            "5.0 UNSUBSCRIBE with a User Property",
            V5,
            &[
                &[0xA2, 15, 0, 2, 7, 0x26, 0, 1],
                b"a",
                &[0, 1],
                b"b",
                b"\x00\x03a/b",
            ],
            Packet::Unsubscribe(Unsubscribe {
                packet_id: 2,
                filters: vec!["a/b".into()],
                properties: props(Properties {
                    user_properties: vec![("a".into(), "b".into())],
                    ..Properties::default()
                }),
            }),
        ),
        fixture(
            "5.0 UNSUBACK with a reason code per filter",
            V5,
            &[&[0xB0, 5, 0, 2, 0, 0, 0x11]],
            Packet::UnsubAck(UnsubAck {
                reason_codes: vec![ReasonCode::SUCCESS, ReasonCode::NO_SUBSCRIPTION_EXISTED],
                ..UnsubAck::new(2)
            }),
        ),
        fixture("5.0 PINGREQ", V5, &[&[0xC0, 0]], Packet::PingReq),
        fixture("5.0 PINGRESP", V5, &[&[0xD0, 0]], Packet::PingResp),
        fixture(
            "5.0 DISCONNECT, short form: remaining length 0 is Normal disconnection",
            V5,
            &[&[0xE0, 0]],
            Packet::Disconnect(Disconnect::NORMAL),
        ),
        fixture(
            "5.0 DISCONNECT, remaining length 1: 0x04 Disconnect with Will Message",
            V5,
            &[&[0xE0, 1, 4]],
            Packet::Disconnect(Disconnect {
                reason_code: ReasonCode::DISCONNECT_WITH_WILL_MESSAGE,
                properties: PacketProperties::NONE,
            }),
        ),
        fixture(
            "5.0 DISCONNECT 0x9C Use another server, with a Server Reference",
            V5,
            &[&[0xE0, 8, 0x9C, 6, 0x1C, 0, 3], b"s:1"],
            Packet::Disconnect(Disconnect {
                reason_code: ReasonCode::USE_ANOTHER_SERVER,
                properties: props(Properties {
                    server_reference: Some("s:1".into()),
                    ..Properties::default()
                }),
            }),
        ),
        fixture(
            "5.0 AUTH 0x18 Continue authentication with method and data",
            V5,
            &[
                &[0xF0, 15, 0x18, 13, 0x15, 0, 5],
                b"SCRAM",
                &[0x16, 0, 2, 1, 2],
            ],
            Packet::Auth(Box::new(Auth {
                reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
                properties: Properties {
                    authentication_method: Some("SCRAM".into()),
                    authentication_data: Some(bytes(&[1, 2])),
                    ..Properties::default()
                },
            })),
        ),
        fixture(
            "5.0 AUTH, short form: remaining length 0 is Success without properties",
            V5,
            &[&[0xF0, 0]],
            Packet::Auth(Box::new(Auth {
                reason_code: ReasonCode::SUCCESS,
                properties: Properties::default(),
            })),
        ),
    ]
}

#[test]
fn fixtures_cover_every_packet_type_of_each_version() {
    let types = |fixtures: Vec<Fixture>| {
        let mut types: Vec<_> = fixtures
            .iter()
            .map(|f| f.packet.packet_type().wire())
            .collect();
        types.sort_unstable();
        types.dedup();
        types
    };
    assert_eq!(types(mqtt3()), (1..=14).collect::<Vec<_>>());
    assert_eq!(types(mqtt5()), (1..=15).collect::<Vec<_>>());
    assert!(mqtt5().iter().all(|f| f.version == ProtocolVersion::V5));
}

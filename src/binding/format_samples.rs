//! Test-only exports for the format-agreement test
//! (`__test__/batch-format.test.js`): the Rust side of each batch format run
//! on known values, so the test can check the JS side against it field by
//! field. Neither is part of the API (`lib/` never calls them); both are pure
//! functions with no effect on any client.

use bytes::Bytes;
use napi::bindgen_prelude::{Buffer, Unknown};
use napi_derive::napi;

use super::event_batch::{encode_events, EncodedBatch};
use super::properties::{given_from_js, put_properties};
use super::publish_batch::parse_publish_batch;
use super::PAYLOAD_BY_REFERENCE_BYTES;
use engine::codec::v5::{Auth, Properties, ReasonCode};
use engine::codec::{
    ConnAck, Connect, Disconnect, LastWill, Packet, PacketProperties, ProtocolVersion, Publish,
    PublishAck, QoS, RetainHandling, SubAck, Subscribe, SubscribeFilter, SubscribeReasonCode,
    SubscriptionOptions, UnsubAck, Unsubscribe,
};
use engine::connection::{ClientError, ClientEvent, ErrorCode};
use engine::session::{CommandError, Event};
use engine::transport::SyscallInfo;

#[napi(object)]
pub struct FormatSamples {
    /// An event batch holding one record of every kind (some kinds more than
    /// once, for each shape they take), in the order the test expects them.
    pub records: Buffer,
    /// The payloads the batch's attached MESSAGE records refer to.
    pub payloads: Vec<Buffer>,
}

/// The Rust encoder's output for the known events listed in the test.
#[napi(js_name = "__formatSamples")]
pub fn format_samples() -> FormatSamples {
    let mut batch = EncodedBatch::default();
    encode_events(&sample_events(), &mut batch);
    FormatSamples {
        records: batch.records.into(),
        payloads: batch
            .payloads
            .iter()
            .map(|payload| Buffer::from(payload.to_vec()))
            .collect(),
    }
}

fn publish(qos: QoS, retain: bool, dup: bool, id: Option<u16>, payload: Bytes) -> Publish {
    Publish {
        dup,
        qos,
        retain,
        topic: "a/b".into(),
        packet_id: id,
        payload,
        properties: PacketProperties::NONE,
    }
}

fn sample_events() -> Vec<ClientEvent> {
    let session = ClientEvent::Session;
    let small = || Bytes::from_static(b"hi");
    let mut syscall_error = ClientError::with_code(
        "connect ECONNREFUSED 1.2.3.4:80",
        ErrorCode::Text("ECONNREFUSED".into()),
    );
    syscall_error.syscall = Some(Box::new(SyscallInfo {
        errno: Some(-111),
        syscall: "connect",
        address: Some("1.2.3.4".into()),
        port: Some(80),
        hostname: Some("broker.example".into()),
    }));
    let connect = Connect {
        protocol: ProtocolVersion::V311,
        clean_session: false,
        keep_alive: 30,
        client_id: Bytes::from_static(b"client-1"),
        will: Some(LastWill {
            topic: "will/t".into(),
            payload: Bytes::from_static(b"bye"),
            qos: QoS::ExactlyOnce,
            retain: true,
            properties: PacketProperties::NONE,
        }),
        username: Some(Bytes::from_static(b"user")),
        password: Some(Bytes::from_static(b"pass")),
        properties: PacketProperties::NONE,
    };
    let mut events = vec![
        session(Event::Connected {
            connack: ConnAck::accepted(true),
            session_resumed: true,
        }),
        session(Event::Message(publish(
            QoS::AtLeastOnce,
            true,
            true,
            Some(258),
            small(),
        ))),
        session(Event::Message(publish(
            QoS::AtMostOnce,
            false,
            false,
            None,
            Bytes::from(vec![7u8; PAYLOAD_BY_REFERENCE_BYTES as usize]),
        ))),
        session(Event::HeldMessage {
            publish: publish(QoS::ExactlyOnce, false, false, Some(9), small()),
            connection: 0x0102_0304,
        }),
        session(Event::Published {
            token: 7,
            packet_id: Some(300),
            result: Ok(Some(PublishAck::new(300))),
        }),
        session(Event::Published {
            token: 8,
            packet_id: None,
            result: Err(CommandError::PacketTooLarge { size: 9, max: 8 }),
        }),
        session(Event::SubscriptionsRefused {
            filters: vec!["s/denied".into(), "s/é/#".into()],
        }),
        session(Event::Subscribed {
            token: 9,
            granted: vec![
                QoS::AtLeastOnce,
                QoS::ExactlyOnce,
                QoS::AtMostOnce,
                QoS::ExactlyOnce,
            ],
            result: Ok(SubAck {
                packet_id: 301,
                reason_codes: vec![
                    SubscribeReasonCode::GrantedQoS0,
                    SubscribeReasonCode::GrantedQoS2,
                    SubscribeReasonCode::Failure,
                ],
                properties: PacketProperties::NONE,
            }),
        }),
        session(Event::Subscribed {
            token: 10,
            granted: vec![QoS::AtMostOnce, QoS::AtLeastOnce],
            result: Err(CommandError::ConnectionClosed),
        }),
        session(Event::Unsubscribed {
            token: 11,
            packet_id: 302,
            result: Ok(UnsubAck::new(302)),
        }),
        session(Event::PacketIdAllocated(65535)),
        ClientEvent::QoS0Written {
            through: 9_007_199_254_740_991,
        },
        session(Event::QoS0Dropped { through: 12 }),
        ClientEvent::Reconnect { server: 2 },
        ClientEvent::Offline,
        ClientEvent::Close,
        ClientEvent::Error(ClientError::with_code(
            "Connection refused: Not authorized",
            ErrorCode::Number(5),
        )),
        ClientEvent::Error(syscall_error),
        session(Event::OutgoingEmpty),
        session(Event::ServerDisconnect(Disconnect::NORMAL)),
        ClientEvent::PacketSent(Packet::Connect(Box::new(connect))),
        ClientEvent::PacketSent(Packet::Publish(publish(
            QoS::AtLeastOnce,
            true,
            false,
            Some(303),
            small(),
        ))),
        ClientEvent::PacketSent(Packet::PubAck(PublishAck::new(304))),
        ClientEvent::PacketSent(Packet::PubRec(PublishAck::new(305))),
        ClientEvent::PacketSent(Packet::PubRel(PublishAck::new(306))),
        ClientEvent::PacketSent(Packet::PubComp(PublishAck::new(307))),
        ClientEvent::PacketSent(Packet::Subscribe(Subscribe {
            packet_id: 308,
            filters: vec![SubscribeFilter::new("s/+", QoS::AtLeastOnce)],
            properties: PacketProperties::NONE,
        })),
        ClientEvent::PacketSent(Packet::Unsubscribe(Unsubscribe {
            packet_id: 309,
            filters: vec!["u/#".into()],
            properties: PacketProperties::NONE,
        })),
        ClientEvent::PacketSent(Packet::PingReq),
        ClientEvent::PacketSent(Packet::Disconnect(Disconnect::NORMAL)),
        ClientEvent::PacketReceived(Packet::ConnAck(ConnAck::accepted(false))),
        ClientEvent::PacketReceived(Packet::Publish(publish(
            QoS::ExactlyOnce,
            false,
            true,
            Some(310),
            small(),
        ))),
        ClientEvent::PacketReceived(Packet::PubAck(PublishAck::new(311))),
        ClientEvent::PacketReceived(Packet::PubRec(PublishAck::new(312))),
        ClientEvent::PacketReceived(Packet::PubRel(PublishAck::new(313))),
        ClientEvent::PacketReceived(Packet::PubComp(PublishAck::new(314))),
        ClientEvent::PacketReceived(Packet::SubAck(SubAck {
            packet_id: 315,
            reason_codes: vec![
                SubscribeReasonCode::GrantedQoS1,
                SubscribeReasonCode::Failure,
            ],
            properties: PacketProperties::NONE,
        })),
        ClientEvent::PacketReceived(Packet::UnsubAck(UnsubAck::new(316))),
        ClientEvent::PacketReceived(Packet::PingResp),
        // A client's packet from a broken broker: reported by type alone.
        ClientEvent::PacketReceived(Packet::Subscribe(Subscribe {
            packet_id: 317,
            filters: vec![SubscribeFilter::new("x", QoS::AtMostOnce)],
            properties: PacketProperties::NONE,
        })),
    ];
    events.extend(mqtt5_samples());
    events.push(ClientEvent::Terminated);
    events
}

/// A property list with one property of every batch type, repeats folded as MQTT.js folds them.
fn every_type() -> Properties {
    Properties {
        payload_format_indicator: Some(true),
        maximum_qos: Some(QoS::AtLeastOnce),
        topic_alias: Some(0x0102),
        message_expiry_interval: Some(0xDEAD_BEEF),
        subscription_identifiers: vec![1, 268_435_455],
        content_type: Some("text/é".into()),
        correlation_data: Some(Bytes::from_static(b"\x00\xff")),
        user_properties: vec![
            ("a".into(), "1".into()),
            ("b".into(), "x".into()),
            ("a".into(), "2".into()),
            ("a".into(), "3".into()),
        ],
        ..Properties::default()
    }
}

fn reason_string(text: &str) -> PacketProperties {
    PacketProperties::new(Properties {
        reason_string: Some(text.into()),
        ..Properties::default()
    })
}

fn ack(packet_id: u16, code: u8, properties: PacketProperties) -> PublishAck {
    PublishAck {
        packet_id,
        reason_code: ReasonCode(code),
        properties,
    }
}

fn auth() -> Box<Auth> {
    Box::new(Auth {
        reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
        properties: Properties {
            authentication_method: Some("SCRAM-SHA-1".into()),
            authentication_data: Some(Bytes::from_static(b"\x01\x02")),
            ..Properties::default()
        },
    })
}

/// The MQTT 5 fields of every record that has them, in the order the test expects them.
fn mqtt5_samples() -> Vec<ClientEvent> {
    let session = ClientEvent::Session;
    let connack = ConnAck {
        session_present: false,
        reason_code: engine::codec::ConnectReasonCode::Success,
        properties: PacketProperties::new(Properties {
            session_expiry_interval: Some(60),
            receive_maximum: Some(20),
            maximum_qos: Some(QoS::AtMostOnce),
            retain_available: Some(false),
            maximum_packet_size: Some(1024),
            assigned_client_identifier: Some("auto-1".into()),
            topic_alias_maximum: Some(10),
            wildcard_subscription_available: Some(true),
            subscription_identifier_available: Some(false),
            shared_subscription_available: Some(true),
            server_keep_alive: Some(30),
            response_information: Some("resp/".into()),
            server_reference: Some("other:1883".into()),
            authentication_method: Some("SCRAM-SHA-1".into()),
            authentication_data: Some(Bytes::from_static(b"ok")),
            reason_string: Some("welcome".into()),
            user_properties: vec![("k".into(), "v".into())],
            ..Properties::default()
        }),
    };
    let with_properties = |qos, id: Option<u16>, payload: Bytes| Publish {
        properties: PacketProperties::new(every_type()),
        ..publish(qos, false, false, id, payload)
    };
    let will = LastWill {
        topic: "will/t".into(),
        payload: Bytes::from_static(b"bye"),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: PacketProperties::new(Properties {
            will_delay_interval: Some(5),
            content_type: Some("text/plain".into()),
            ..Properties::default()
        }),
    };
    let connect = Connect {
        protocol: ProtocolVersion::V5,
        clean_session: true,
        keep_alive: 60,
        client_id: Bytes::from_static(b"v5"),
        will: Some(will),
        username: None,
        password: None,
        properties: PacketProperties::new(Properties {
            session_expiry_interval: Some(300),
            request_problem_information: Some(false),
            request_response_information: Some(true),
            ..Properties::default()
        }),
    };
    let subscribe_filter = SubscribeFilter {
        options: SubscriptionOptions {
            no_local: true,
            retain_as_published: true,
            retain_handling: RetainHandling::DoNotSend,
        },
        ..SubscribeFilter::new("s/#", QoS::ExactlyOnce)
    };
    let disconnect = Disconnect {
        reason_code: ReasonCode::SERVER_SHUTTING_DOWN,
        properties: PacketProperties::new(Properties {
            server_reference: Some("backup".into()),
            reason_string: Some("bye".into()),
            ..Properties::default()
        }),
    };
    vec![
        session(Event::Connected {
            connack: connack.clone(),
            session_resumed: false,
        }),
        session(Event::Message(with_properties(
            QoS::AtLeastOnce,
            Some(400),
            Bytes::from_static(b"hi"),
        ))),
        // Held and attached: the list sits between the fixed fields and the connection.
        session(Event::HeldMessage {
            publish: with_properties(
                QoS::AtLeastOnce,
                Some(401),
                Bytes::from(vec![9u8; PAYLOAD_BY_REFERENCE_BYTES as usize]),
            ),
            connection: 7,
        }),
        session(Event::Published {
            token: 20,
            packet_id: Some(402),
            result: Ok(Some(ack(402, 0x10, reason_string("nobody")))),
        }),
        session(Event::Published {
            token: 21,
            packet_id: Some(403),
            result: Err(CommandError::Refused(ack(
                403,
                0x87,
                reason_string("denied"),
            ))),
        }),
        session(Event::Subscribed {
            token: 22,
            granted: vec![QoS::AtLeastOnce, QoS::ExactlyOnce],
            result: Ok(SubAck {
                packet_id: 404,
                reason_codes: vec![
                    SubscribeReasonCode::GrantedQoS1,
                    SubscribeReasonCode::QuotaExceeded,
                ],
                properties: reason_string("partly"),
            }),
        }),
        session(Event::Unsubscribed {
            token: 23,
            packet_id: 405,
            result: Ok(UnsubAck {
                packet_id: 405,
                reason_codes: vec![ReasonCode::SUCCESS, ReasonCode::NO_SUBSCRIPTION_EXISTED],
                properties: reason_string("done"),
            }),
        }),
        session(Event::Unsubscribed {
            token: 24,
            packet_id: 406,
            result: Err(CommandError::ConnectionClosed),
        }),
        session(Event::ServerDisconnect(disconnect.clone())),
        session(Event::Auth(auth())),
        ClientEvent::PacketSent(Packet::Connect(Box::new(connect))),
        ClientEvent::PacketSent(Packet::Publish(with_properties(
            QoS::ExactlyOnce,
            Some(407),
            Bytes::from_static(b"hi"),
        ))),
        ClientEvent::PacketSent(Packet::PubAck(ack(408, 0x97, reason_string("quota")))),
        ClientEvent::PacketSent(Packet::PubRec(ack(409, 0x00, PacketProperties::NONE))),
        ClientEvent::PacketSent(Packet::Subscribe(Subscribe {
            packet_id: 410,
            filters: vec![
                subscribe_filter,
                SubscribeFilter::new("plain", QoS::AtMostOnce),
            ],
            properties: PacketProperties::new(Properties {
                subscription_identifiers: vec![42],
                ..Properties::default()
            }),
        })),
        ClientEvent::PacketSent(Packet::Unsubscribe(Unsubscribe {
            packet_id: 411,
            filters: vec!["u".into()],
            properties: reason_string("not really allowed, but carried"),
        })),
        ClientEvent::PacketSent(Packet::Disconnect(Disconnect {
            reason_code: ReasonCode::DISCONNECT_WITH_WILL_MESSAGE,
            properties: PacketProperties::NONE,
        })),
        ClientEvent::PacketSent(Packet::Auth(auth())),
        ClientEvent::PacketReceived(Packet::ConnAck(connack)),
        ClientEvent::PacketReceived(Packet::Publish(with_properties(
            QoS::AtMostOnce,
            None,
            Bytes::from_static(b"hi"),
        ))),
        ClientEvent::PacketReceived(Packet::PubRec(ack(412, 0x80, reason_string("no")))),
        ClientEvent::PacketReceived(Packet::PubComp(ack(413, 0x92, PacketProperties::NONE))),
        ClientEvent::PacketReceived(Packet::SubAck(SubAck {
            packet_id: 414,
            reason_codes: vec![SubscribeReasonCode::GrantedQoS0],
            properties: reason_string("ok"),
        })),
        ClientEvent::PacketReceived(Packet::UnsubAck(UnsubAck {
            packet_id: 415,
            reason_codes: vec![ReasonCode::NO_SUBSCRIPTION_EXISTED],
            properties: PacketProperties::NONE,
        })),
        ClientEvent::PacketReceived(Packet::Disconnect(disconnect)),
        ClientEvent::PacketReceived(Packet::Auth(auth())),
    ]
}

/// One publish-batch record as the Rust reader understood it.
#[napi(object)]
pub struct ReadPublish {
    pub token: f64,
    pub topic: String,
    pub payload: Buffer,
    pub qos: u32,
    pub retain: bool,
    /// The MQTT 5 properties the reader took for the record, as an event record writes a
    /// property list (`put_properties`); absent when it took none.
    pub properties: Option<Buffer>,
    /// Set instead of the fields above when the record became a failed
    /// command (bad topic or QoS): the reason its callback would get.
    pub error: Option<String>,
}

/// Runs a publish batch written by JS through the Rust reader and reports
/// each record's fields back.
#[napi(js_name = "__readPublishBatch")]
pub fn read_publish_batch(
    batch: &[u8],
    properties_list: Option<Vec<Unknown<'_>>>,
) -> napi::Result<Vec<ReadPublish>> {
    let properties_list = properties_list
        .into_iter()
        .flatten()
        .map(given_from_js)
        .collect::<napi::Result<Vec<_>>>()?;
    let commands = parse_publish_batch(batch, &properties_list)
        .map_err(|e| napi::Error::from_reason(format!("malformed publish batch ({})", e.0)))?;
    Ok(commands
        .into_iter()
        .map(|command| match command {
            engine::session::Command::Publish {
                token,
                topic,
                payload,
                qos,
                retain,
                properties,
            } => ReadPublish {
                token: token as f64,
                topic: topic.to_string(),
                payload: payload.to_vec().into(),
                qos: qos.as_u8().into(),
                retain,
                properties: (!properties.is_empty()).then(|| {
                    let mut list = Vec::new();
                    put_properties(&mut list, &properties);
                    list.into()
                }),
                error: None,
            },
            engine::session::Command::Fail { token, error } => ReadPublish {
                token: token as f64,
                topic: String::new(),
                payload: Vec::new().into(),
                qos: 0,
                retain: false,
                properties: None,
                error: Some(error.to_string()),
            },
            other => unreachable!("a publish batch yields publishes: {other:?}"),
        })
        .collect())
}

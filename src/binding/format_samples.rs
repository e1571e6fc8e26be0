//! Test-only exports for the format-agreement test
//! (`__test__/batch-format.test.js`): the Rust side of each batch format run
//! on known values, so the test can check the JS side against it field by
//! field. Neither is part of the API (`lib/` never calls them); both are pure
//! functions with no effect on any client.

use bytes::Bytes;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use super::event_batch::{encode_events, EncodedBatch};
use super::publish_batch::parse_publish_batch;
use super::PAYLOAD_BY_REFERENCE_BYTES;
use engine::codec::{
    ConnAck, Connect, Disconnect, LastWill, Packet, PacketProperties, ProtocolVersion, Publish,
    PublishAck, QoS, SubAck, Subscribe, SubscribeFilter, SubscribeReasonCode, UnsubAck,
    Unsubscribe,
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
    vec![
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
            result: Ok(()),
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
            result: Ok(()),
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
        session(Event::ServerDisconnect),
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
        ClientEvent::Terminated,
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
    /// Set instead of the fields above when the record became a failed
    /// command (bad topic or QoS): the reason its callback would get.
    pub error: Option<String>,
}

/// Runs a publish batch written by JS through the Rust reader and reports
/// each record's fields back.
#[napi(js_name = "__readPublishBatch")]
pub fn read_publish_batch(batch: &[u8]) -> napi::Result<Vec<ReadPublish>> {
    let commands = parse_publish_batch(batch)
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
            } => ReadPublish {
                token: token as f64,
                topic: topic.to_string(),
                payload: payload.to_vec().into(),
                qos: qos.as_u8().into(),
                retain,
                error: None,
            },
            engine::session::Command::Fail { token, error } => ReadPublish {
                token: token as f64,
                topic: String::new(),
                payload: Vec::new().into(),
                qos: 0,
                retain: false,
                error: Some(error.to_string()),
            },
            other => unreachable!("a publish batch yields publishes: {other:?}"),
        })
        .collect())
}

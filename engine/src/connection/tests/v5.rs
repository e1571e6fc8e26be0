//! MQTT 5 at the connection level, against a scripted broker on loopback: the DISCONNECT a
//! protocol violation is answered with, the broker's DISCONNECT, our Maximum Packet Size checked
//! from the fixed header, flow control and enhanced authentication over a real socket.

use super::*;
use crate::codec::v5::{Auth, Properties, ReasonCode};

const V5: ProtocolVersion = ProtocolVersion::V5;

fn v5_config(port: u16, reconnect_ms: u64, connect: Properties) -> ClientConfig {
    let mut config = config(port, 60, reconnect_ms);
    config.session.protocol = V5;
    config.session.connect_properties = PacketProperties::new(connect);
    config
}

/// The broker side of an MQTT 5 connection: the shared `Peer`, speaking 5.
impl Peer {
    async fn accept_with(&mut self, properties: Properties) {
        assert!(matches!(self.recv().await, Some(Packet::Connect(_))));
        self.send(Packet::ConnAck(ConnAck {
            properties: PacketProperties::new(properties),
            ..ConnAck::accepted(false)
        }))
        .await;
    }
}

async fn connected_v5(
    connect: Properties,
    broker: Properties,
    reconnect_ms: u64,
) -> (TcpListener, Client, Peer) {
    let (listener, port) = listener().await;
    let mut client = Client::start(v5_config(port, reconnect_ms, connect));
    let mut peer = Peer::accept_speaking(&listener, V5).await;
    peer.accept_with(broker).await;
    client.until(is_connected).await;
    (listener, client, peer)
}

fn error_of(events: &[ClientEvent]) -> ClientError {
    events
        .iter()
        .find_map(|e| match e {
            ClientEvent::Error(error) => Some(error.clone()),
            _ => None,
        })
        .expect("an error event")
}

fn disconnect(code: ReasonCode) -> Option<Packet> {
    Some(Packet::Disconnect(Disconnect {
        reason_code: code,
        properties: PacketProperties::NONE,
    }))
}

#[tokio::test]
async fn a_protocol_violation_is_answered_with_disconnect_and_its_reason_code_before_closing() {
    let (_listener, mut client, mut broker) =
        connected_v5(Properties::default(), Properties::default(), 0).await;
    // A Topic Alias, though our CONNECT allowed none.
    broker
        .send(Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic: "t".into(),
            packet_id: None,
            payload: Bytes::from_static(b"m"),
            properties: PacketProperties::new(Properties {
                topic_alias: Some(1),
                ..Properties::default()
            }),
        }))
        .await;
    assert_eq!(
        broker.recv().await,
        disconnect(ReasonCode::TOPIC_ALIAS_INVALID)
    );
    assert_eq!(broker.recv().await, None);
    let events = client.until(|e| matches!(e, ClientEvent::Terminated)).await;
    assert_eq!(names(&events), vec!["error", "close", "terminated"]);
    let error = error_of(&events);
    assert_eq!(error.code, Some(ErrorCode::Number(0x94)));
    assert!(error
        .message
        .contains("no Topic Alias Maximum was advertised"));
}

#[tokio::test]
async fn a_malformed_packet_is_answered_with_disconnect_0x81_then_the_client_reconnects() {
    let (listener, mut client, mut broker) =
        connected_v5(Properties::default(), Properties::default(), 50).await;
    // PUBLISH QoS 0 to the wildcard topic "a/#", with an empty property list.
    broker
        .stream
        .write_all(&[0x30, 0x06, 0x00, 0x03, b'a', b'/', b'#', 0x00])
        .await
        .unwrap();
    assert_eq!(
        broker.recv().await,
        disconnect(ReasonCode::MALFORMED_PACKET)
    );
    assert_eq!(broker.recv().await, None);
    // The next socket opens once JS has emitted `reconnect` (`until` answers it).
    let mut events = client
        .until(|e| matches!(e, ClientEvent::Reconnect { .. }))
        .await;
    let mut again = Peer::accept_speaking(&listener, V5).await;
    again.accept_with(Properties::default()).await;
    events.extend(client.until(is_connected).await);
    assert_eq!(
        names(&events),
        vec!["offline", "error", "close", "reconnect", "connect"]
    );
    // MQTT 5: the error's code is the reason code of the DISCONNECT.
    assert_eq!(error_of(&events).code, Some(ErrorCode::Number(0x81)));
    client.end(true);
    client.until(|e| matches!(e, ClientEvent::Terminated)).await;
}

#[tokio::test]
async fn a_packet_over_our_maximum_packet_size_is_refused_from_its_fixed_header() {
    let connect = Properties {
        maximum_packet_size: Some(1024),
        ..Properties::default()
    };
    let (_listener, mut client, mut broker) = connected_v5(connect, Properties::default(), 0).await;
    // A PUBLISH header announcing a 2 MB body, and nothing more: the client must not wait for it.
    broker
        .stream
        .write_all(&[0x30, 0x80, 0x80, 0x80, 0x01])
        .await
        .unwrap();
    assert_eq!(
        broker.recv().await,
        disconnect(ReasonCode::PACKET_TOO_LARGE)
    );
    let events = client.until(|e| matches!(e, ClientEvent::Terminated)).await;
    assert_eq!(error_of(&events).code, Some(ErrorCode::Number(0x95)));
}

#[tokio::test]
async fn the_broker_s_disconnect_closes_the_connection_with_nothing_sent_back_then_reconnect() {
    let (listener, mut client, mut broker) =
        connected_v5(Properties::default(), Properties::default(), 50).await;
    let goodbye = Disconnect {
        reason_code: ReasonCode::SERVER_SHUTTING_DOWN,
        properties: PacketProperties::NONE,
    };
    broker.send(Packet::Disconnect(goodbye.clone())).await;
    // The client closes without a DISCONNECT of its own.
    assert_eq!(broker.recv().await, None);
    // The next socket opens once JS has emitted `reconnect` (`until` answers it).
    let mut events = client
        .until(|e| matches!(e, ClientEvent::Reconnect { .. }))
        .await;
    let mut again = Peer::accept_speaking(&listener, V5).await;
    again.accept_with(Properties::default()).await;
    events.extend(client.until(is_connected).await);
    assert_eq!(
        names(&events),
        vec!["session", "offline", "close", "reconnect", "connect"]
    );
    assert_eq!(
        events[0],
        ClientEvent::Session(Event::ServerDisconnect(goodbye))
    );
    client.end(true);
    client.until(|e| matches!(e, ClientEvent::Terminated)).await;
}

#[tokio::test]
async fn the_broker_s_receive_maximum_holds_publishes_back_on_the_wire() {
    let broker_limits = Properties {
        receive_maximum: Some(1),
        ..Properties::default()
    };
    let (_listener, client, mut broker) =
        connected_v5(Properties::default(), broker_limits, 0).await;
    for token in 1..=3 {
        client.send(Command::Publish {
            token,
            topic: "t".into(),
            payload: Bytes::from_static(b"m"),
            qos: QoS::AtLeastOnce,
            retain: false,
            properties: PacketProperties::NONE,
        });
    }
    for expected in 1..=3u16 {
        let Some(Packet::Publish(publish)) = broker.recv().await else {
            panic!("expected PUBLISH")
        };
        assert_eq!(publish.packet_id, Some(expected));
        // Nothing more until this one is acknowledged.
        let more = tokio::time::timeout(
            Duration::from_millis(100),
            broker.stream.read_buf(&mut broker.buf),
        )
        .await;
        assert!(more.is_err(), "a second publish in flight");
        broker.send(Packet::PubAck(PublishAck::new(expected))).await;
    }
    client.end(true);
}

#[tokio::test]
async fn an_auth_challenge_during_connect_is_answered_by_the_application() {
    let (listener, port) = listener().await;
    let connect = Properties {
        authentication_method: Some("TOKEN".into()),
        ..Properties::default()
    };
    let mut client = Client::start(v5_config(port, 0, connect));
    let mut broker = Peer::accept_speaking(&listener, V5).await;
    let Some(Packet::Connect(packet)) = broker.recv().await else {
        panic!("expected CONNECT")
    };
    assert_eq!(
        packet
            .properties
            .get()
            .and_then(|p| p.authentication_method.as_deref()),
        Some("TOKEN")
    );
    let challenge = Auth {
        reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
        properties: Properties {
            authentication_method: Some("TOKEN".into()),
            authentication_data: Some(Bytes::from_static(b"nonce")),
            ..Properties::default()
        },
    };
    broker.send(Packet::Auth(Box::new(challenge.clone()))).await;
    client
        .until(|e| matches!(e, ClientEvent::Session(Event::Auth(_))))
        .await;
    client.send(Command::AuthContinue(Box::new(Auth {
        reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
        properties: Properties {
            authentication_data: Some(Bytes::from_static(b"answer")),
            ..Properties::default()
        },
    })));
    let Some(Packet::Auth(answer)) = broker.recv().await else {
        panic!("expected AUTH")
    };
    assert_eq!(
        answer.properties.authentication_method.as_deref(),
        Some("TOKEN")
    );
    assert_eq!(
        answer.properties.authentication_data,
        Some(Bytes::from_static(b"answer"))
    );
    broker.send(Packet::ConnAck(ConnAck::accepted(false))).await;
    client.until(is_connected).await;
    client.end(true);
    client.until(|e| matches!(e, ClientEvent::Terminated)).await;
}

#[tokio::test]
async fn a_message_read_before_the_violating_packet_reaches_js_before_the_error() {
    let connect = Properties {
        topic_alias_maximum: Some(2),
        ..Properties::default()
    };
    let (_listener, mut client, mut broker) = connected_v5(connect, Properties::default(), 0).await;
    let aliased = |topic: &str, alias: u16| {
        let mut out = BytesMut::new();
        let publish = Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain: false,
            topic: topic.into(),
            packet_id: None,
            payload: Bytes::from_static(b"m"),
            properties: PacketProperties::new(Properties {
                topic_alias: Some(alias),
                ..Properties::default()
            }),
        });
        codec::encode(&publish, V5, &mut out).unwrap();
        out
    };
    // One write: a message that sets alias 1, then one using alias 2, which was never set.
    let mut bytes = aliased("a/b", 1);
    bytes.extend_from_slice(&aliased("", 2));
    broker.stream.write_all(&bytes).await.unwrap();
    assert_eq!(broker.recv().await, disconnect(ReasonCode::PROTOCOL_ERROR));
    let events = client.until(|e| matches!(e, ClientEvent::Terminated)).await;
    assert_eq!(
        names(&events),
        vec!["message", "error", "close", "terminated"]
    );
    assert_eq!(error_of(&events).code, Some(ErrorCode::Number(0x82)));
}

#[tokio::test]
async fn an_aborted_connection_says_why_closes_and_reconnects_per_policy() {
    let (listener, port) = listener().await;
    let connect = Properties {
        authentication_method: Some("TOKEN".into()),
        ..Properties::default()
    };
    let mut client = Client::start(v5_config(port, 50, connect));
    let mut broker = Peer::accept_speaking(&listener, V5).await;
    assert!(matches!(broker.recv().await, Some(Packet::Connect(_))));
    let challenge = Auth {
        reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
        properties: Properties {
            authentication_method: Some("TOKEN".into()),
            ..Properties::default()
        },
    };
    broker.send(Packet::Auth(Box::new(challenge))).await;
    client
        .until(|e| matches!(e, ClientEvent::Session(Event::Auth(_))))
        .await;
    // JS's handleAuth failed: the application gives up on this connection.
    let goodbye = Disconnect {
        reason_code: ReasonCode::NOT_AUTHORIZED,
        properties: PacketProperties::NONE,
    };
    client
        .commands
        .send(ClientCommand::AbortConnection {
            disconnect: Some(goodbye.clone()),
        })
        .unwrap();
    assert_eq!(broker.recv().await, Some(Packet::Disconnect(goodbye)));
    assert_eq!(broker.recv().await, None);
    let mut events = client
        .until(|e| matches!(e, ClientEvent::Reconnect { .. }))
        .await;
    let mut again = Peer::accept_speaking(&listener, V5).await;
    again.accept_with(Properties::default()).await;
    events.extend(client.until(is_connected).await);
    // No error from the engine: JS reports its own.
    assert_eq!(
        names(&events),
        vec!["offline", "close", "reconnect", "connect"]
    );
    client.end(true);
    client.until(|e| matches!(e, ClientEvent::Terminated)).await;
}

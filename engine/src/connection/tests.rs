//! The connection task against an in-process scripted broker on loopback.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::codec::{
    self, ConnAck, ConnectReasonCode, Disconnect, Packet, PacketProperties, ProtocolVersion,
    Publish, PublishAck, QoS, SubAck, SubscribeFilter, SubscribeReasonCode,
};
use crate::session::{Command, Event, OfflineLimits};

const V4: ProtocolVersion = ProtocolVersion::V311;
const WAIT: Duration = Duration::from_secs(10);

fn config(port: u16, keep_alive_secs: u16, reconnect_ms: u64) -> ClientConfig {
    ClientConfig {
        endpoints: vec![Endpoint::Tcp {
            host: "127.0.0.1".into(),
            port,
            proxy: None,
        }],
        session: SessionConfig {
            protocol: V4,
            client_id: Bytes::from_static(b"conn-test"),
            clean_session: true,
            keep_alive_secs,
            connect_timeout: Duration::from_secs(5),
            username: None,
            password: None,
            will: None,
            resubscribe: true,
            queue_qos_zero: true,
            auto_reconnect: reconnect_ms > 0,
            offline_limits: OfflineLimits::default(),
            subscribe_batch_size: None,
            manual_acks: false,
            hold_pubrec: false,
            connect_properties: PacketProperties::NONE,
            auto_use_topic_alias: false,
            auto_assign_topic_alias: false,
        },
        reconnect: ReconnectPolicy {
            period: Duration::from_millis(reconnect_ms),
            backoff: None,
            on_connack_error: false,
        },
        max_incoming_packet_size: 1024 * 1024,
        stream_adopter: None,
    }
}

/// The broker side of one connection.
struct Peer {
    stream: TcpStream,
    buf: BytesMut,
    /// The protocol both sides speak.
    protocol: ProtocolVersion,
}

impl Peer {
    async fn accept(listener: &TcpListener) -> Peer {
        Peer::accept_speaking(listener, V4).await
    }

    async fn accept_speaking(listener: &TcpListener, protocol: ProtocolVersion) -> Peer {
        let (stream, _) = tokio::time::timeout(WAIT, listener.accept())
            .await
            .expect("client connects")
            .unwrap();
        Peer {
            stream,
            buf: BytesMut::new(),
            protocol,
        }
    }

    /// The next packet, or None when the client closed the connection.
    async fn recv(&mut self) -> Option<Packet> {
        loop {
            if let Some(packet) = codec::decode(&mut self.buf, self.protocol, 1 << 20).unwrap() {
                return Some(packet);
            }
            let read = tokio::time::timeout(WAIT, self.stream.read_buf(&mut self.buf))
                .await
                .expect("client sends something");
            if read.unwrap() == 0 {
                return None;
            }
        }
    }

    async fn send(&mut self, packet: Packet) {
        let mut out = BytesMut::new();
        codec::encode(&packet, self.protocol, &mut out).unwrap();
        self.stream.write_all(&out).await.unwrap();
    }

    async fn handshake(&mut self, return_code: u8) {
        assert!(matches!(self.recv().await, Some(Packet::Connect(_))));
        let code = ConnectReasonCode::from_byte(return_code).expect("a CONNACK return code");
        let connack = match code {
            ConnectReasonCode::Success => ConnAck::accepted(false),
            refusal => ConnAck::refused(refusal),
        };
        self.send(Packet::ConnAck(connack)).await;
    }
}

struct Client {
    commands: CommandSender,
    events: EventReceiver,
    seen: Vec<ClientEvent>,
    /// What it answers a `reconnect` event with, as the JS shim does; `None`: it does not answer.
    identity: Option<ConnectIdentity>,
    reconnects_seen: u32,
    qos0_written: QoS0WrittenMark,
}

impl Client {
    fn start(config: ClientConfig) -> Client {
        let (commands, command_rx) = command_mailbox();
        let (event_tx, events) = event_mailbox();
        let identity = ConnectIdentity {
            client_id: config.session.client_id.clone(),
            username: config.session.username.clone(),
            password: config.session.password.clone(),
        };
        let qos0_written = QoS0WrittenMark::default();
        tokio::spawn(run(config, command_rx, event_tx, qos0_written.clone()));
        Client {
            commands,
            events,
            seen: Vec::new(),
            identity: Some(identity),
            reconnects_seen: 0,
            qos0_written,
        }
    }

    fn send(&self, command: Command) {
        self.commands.send(ClientCommand::Session(command)).unwrap();
    }

    fn subscribe_one(&self, token: u64, filter: &str, qos: QoS) {
        self.send(Command::Subscribe {
            token,
            filters: vec![SubscribeFilter::new(filter, qos)],
            properties: PacketProperties::NONE,
        });
    }

    fn end(&self, force: bool) {
        self.commands
            .send(ClientCommand::End {
                force,
                disconnect: Disconnect::NORMAL,
            })
            .unwrap();
    }

    /// Collects events until one matches, returning everything seen so far.
    async fn until(&mut self, done: impl Fn(&ClientEvent) -> bool) -> Vec<ClientEvent> {
        while !self.seen.iter().any(&done) {
            let batch = tokio::time::timeout(WAIT, self.events.recv())
                .await
                .expect("event arrives")
                .expect("task alive");
            // Stands in for the JS shim, which answers each `reconnect` it emits.
            let reconnects = batch
                .iter()
                .filter(|e| matches!(e, ClientEvent::Reconnect { .. }))
                .count() as u32;
            self.reconnects_seen += reconnects;
            if let Some(identity) = self.identity.clone().filter(|_| reconnects > 0) {
                let _ = self.commands.send(ClientCommand::ReconnectEmitted {
                    count: self.reconnects_seen,
                    identity: Some(identity),
                    websocket_url: None,
                });
            }
            self.seen.extend(batch);
        }
        std::mem::take(&mut self.seen)
    }
}

fn is_connected(event: &ClientEvent) -> bool {
    matches!(event, ClientEvent::Session(Event::Connected { .. }))
}

/// The events by name, without packet-id reports.
fn names(events: &[ClientEvent]) -> Vec<&'static str> {
    events
        .iter()
        .filter(|e| !matches!(e, ClientEvent::Session(Event::PacketIdAllocated(_))))
        .map(|e| match e {
            ClientEvent::Session(Event::Connected { .. }) => "connect",
            ClientEvent::Session(Event::Message(_)) => "message",
            ClientEvent::Session(Event::Subscribed { .. }) => "subscribed",
            ClientEvent::Session(Event::Published { .. }) => "published",
            ClientEvent::Session(Event::OutgoingEmpty) => "outgoingEmpty",
            ClientEvent::Session(Event::QoS0Dropped { .. }) => "qos0Dropped",
            ClientEvent::Session(_) => "session",
            ClientEvent::Reconnect { .. } => "reconnect",
            ClientEvent::Offline => "offline",
            ClientEvent::Close => "close",
            ClientEvent::Error(_) => "error",
            ClientEvent::PacketSent(_) | ClientEvent::PacketReceived(_) => "packet",
            ClientEvent::Terminated => "terminated",
            ClientEvent::QoS0Written { .. } => "qos0Written",
        })
        .collect()
}

async fn listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// A client connected to a scripted broker that accepted it (CONNACK 0).
async fn connected_client(keep_alive_secs: u16, reconnect_ms: u64) -> (TcpListener, Client, Peer) {
    let (listener, port) = listener().await;
    let mut client = Client::start(config(port, keep_alive_secs, reconnect_ms));
    let mut broker = Peer::accept(&listener).await;
    broker.handshake(0).await;
    client.until(is_connected).await;
    (listener, client, broker)
}

#[tokio::test]
async fn subscribe_receive_and_end_gracefully() {
    let (_listener, mut client, mut broker) = connected_client(60, 0).await;

    client.subscribe_one(1, "t/#", QoS::AtLeastOnce);
    let Some(Packet::Subscribe(subscribe)) = broker.recv().await else {
        panic!("expected SUBSCRIBE")
    };
    broker
        .send(Packet::SubAck(SubAck {
            packet_id: subscribe.packet_id,
            reason_codes: vec![SubscribeReasonCode::GrantedQoS1],
            properties: PacketProperties::NONE,
        }))
        .await;
    broker
        .send(Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: false,
            topic: "t/x".into(),
            packet_id: Some(77),
            payload: Bytes::from_static(b"hello"),
            properties: PacketProperties::NONE,
        }))
        .await;
    assert_eq!(
        broker.recv().await,
        Some(Packet::PubAck(PublishAck::new(77)))
    );
    let events = client
        .until(|e| matches!(e, ClientEvent::Session(Event::Message(_))))
        .await;
    assert_eq!(names(&events), vec!["subscribed", "message"]);

    client.end(false);
    assert_eq!(
        broker.recv().await,
        Some(Packet::Disconnect(Disconnect::NORMAL))
    );
    assert_eq!(broker.recv().await, None);
    let events = client.until(|e| matches!(e, ClientEvent::Terminated)).await;
    assert_eq!(names(&events), vec!["outgoingEmpty", "close", "terminated"]);
}

#[tokio::test]
async fn a_dropped_connection_goes_offline_then_reconnects() {
    let (listener, mut client, broker) = connected_client(60, 50).await;
    drop(broker);

    // The next socket opens once JS has emitted `reconnect` (`until` answers it).
    let mut events = client
        .until(|e| matches!(e, ClientEvent::Reconnect { .. }))
        .await;
    let mut broker = Peer::accept(&listener).await;
    broker.handshake(0).await;
    events.extend(client.until(is_connected).await);
    assert_eq!(
        names(&events),
        vec!["offline", "close", "reconnect", "connect"]
    );
    client.end(true);
    client.until(|e| matches!(e, ClientEvent::Terminated)).await;
}

#[tokio::test]
async fn a_refused_connack_is_an_error_with_its_code_and_no_reconnect() {
    let (listener, port) = listener().await;
    let mut client = Client::start(config(port, 60, 50));
    let mut broker = Peer::accept(&listener).await;
    broker.handshake(5).await;
    let events = client.until(|e| matches!(e, ClientEvent::Terminated)).await;
    assert_eq!(names(&events), vec!["error", "close", "terminated"]);
    assert_eq!(
        events[0],
        ClientEvent::Error(ClientError::with_code(
            "Connection refused: Not authorized",
            ErrorCode::Number(5)
        ))
    );
}

#[tokio::test]
async fn an_unanswered_ping_times_out_the_connection() {
    let (listener, port) = listener().await;
    let mut client = Client::start(config(port, 1, 0));
    let mut broker = Peer::accept(&listener).await;
    broker.handshake(0).await;
    assert_eq!(broker.recv().await, Some(Packet::PingReq));
    let events = client.until(|e| matches!(e, ClientEvent::Terminated)).await;
    assert_eq!(
        names(&events),
        vec!["connect", "error", "close", "terminated"]
    );
    assert!(matches!(&events[1], ClientEvent::Error(e) if e.message == "Keepalive timeout"));
}

#[tokio::test]
async fn a_malformed_packet_is_a_protocol_error() {
    let (listener, port) = listener().await;
    let mut client = Client::start(config(port, 60, 0));
    let mut broker = Peer::accept(&listener).await;
    broker.handshake(0).await;
    // PUBLISH QoS 0 to the wildcard topic "a/#".
    broker
        .stream
        .write_all(&[0x30, 0x05, 0x00, 0x03, b'a', b'/', b'#'])
        .await
        .unwrap();
    let events = client.until(|e| matches!(e, ClientEvent::Terminated)).await;
    let error = events
        .iter()
        .find_map(|e| match e {
            ClientEvent::Error(error) => Some(error.clone()),
            _ => None,
        })
        .expect("an error event");
    assert!(
        error.message.contains("[MQTT-3.3.2-2]"),
        "{}",
        error.message
    );
    assert_eq!(
        error.code,
        Some(ErrorCode::Text("ERR_MQTT_PROTOCOL".into()))
    );
    assert!(!names(&events).contains(&"message"));
}

#[tokio::test]
async fn publishes_made_while_connecting_are_sent_after_connack() {
    let (listener, port) = listener().await;
    let client = Client::start(config(port, 60, 0));
    client.send(Command::Publish {
        token: 1,
        topic: "early".into(),
        payload: Bytes::from_static(b"x"),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: PacketProperties::NONE,
    });
    let mut broker = Peer::accept(&listener).await;
    broker.handshake(0).await;
    match broker.recv().await {
        Some(Packet::Publish(publish)) => assert_eq!(publish.topic, "early"),
        other => panic!("expected the queued PUBLISH, got {other:?}"),
    }
}

#[tokio::test]
async fn a_drop_during_a_graceful_end_ends_the_client_instead_of_reconnecting() {
    let (_listener, mut client, mut broker) = connected_client(60, 50).await;
    client.subscribe_one(9, "t", QoS::AtMostOnce);
    assert!(matches!(broker.recv().await, Some(Packet::Subscribe(_))));
    client.end(false);
    drop(broker);
    let events = client.until(|e| matches!(e, ClientEvent::Terminated)).await;
    assert!(!names(&events).contains(&"reconnect"));
    assert!(events.iter().any(|e| matches!(
        e,
        ClientEvent::Session(Event::Subscribed {
            token: 9,
            result: Err(_),
            ..
        })
    )));
}

#[tokio::test]
async fn reconnect_says_disconnect_first_so_the_broker_drops_the_will() {
    let (listener, mut client, mut broker) = connected_client(60, 1000).await;
    client.commands.send(ClientCommand::Reconnect).unwrap();
    assert_eq!(
        broker.recv().await,
        Some(Packet::Disconnect(Disconnect::NORMAL))
    );
    assert_eq!(broker.recv().await, None);
    let mut events = client
        .until(|e| matches!(e, ClientEvent::Reconnect { .. }))
        .await;
    let mut broker = Peer::accept(&listener).await;
    broker.handshake(0).await;
    events.extend(client.until(is_connected).await);
    assert_eq!(names(&events), vec!["close", "reconnect", "connect"]);
}

#[tokio::test]
async fn a_forced_end_still_sends_what_was_asked_for_before_it() {
    let (_listener, mut client, mut broker) = connected_client(60, 0).await;
    client.subscribe_one(1, "never/acked", QoS::AtMostOnce);
    client.end(false);
    client.end(true);
    assert!(matches!(broker.recv().await, Some(Packet::Subscribe(_))));
    assert_eq!(broker.recv().await, None);
    client.until(|e| matches!(e, ClientEvent::Terminated)).await;
}

#[tokio::test]
async fn the_next_socket_opens_only_once_js_has_emitted_reconnect_with_its_credentials() {
    let (listener, mut client, broker) = connected_client(60, 10).await;
    client.identity = None;
    drop(broker);
    client
        .until(|e| matches!(e, ClientEvent::Reconnect { .. }))
        .await;
    // JS has not answered: no new connection, however long the wait.
    let early = tokio::time::timeout(Duration::from_millis(300), listener.accept()).await;
    assert!(early.is_err(), "connected before JS emitted reconnect");

    let identity = ConnectIdentity {
        client_id: Bytes::from_static(b"renamed"),
        username: Some(Bytes::from_static(b"user")),
        password: Some(Bytes::from_static(b"fresh-token")),
    };
    client
        .commands
        .send(ClientCommand::ReconnectEmitted {
            count: 1,
            identity: Some(identity),
            websocket_url: None,
        })
        .unwrap();
    let mut broker = Peer::accept(&listener).await;
    match broker.recv().await {
        Some(Packet::Connect(connect)) => {
            assert_eq!(connect.client_id, Bytes::from_static(b"renamed"));
            assert_eq!(connect.username, Some(Bytes::from_static(b"user")));
            assert_eq!(connect.password, Some(Bytes::from_static(b"fresh-token")));
        }
        other => panic!("expected CONNECT, got {other:?}"),
    }
}

#[tokio::test]
async fn end_while_waiting_for_js_to_emit_reconnect_ends_the_client() {
    let (_listener, mut client, broker) = connected_client(60, 10).await;
    client.identity = None;
    drop(broker);
    client
        .until(|e| matches!(e, ClientEvent::Reconnect { .. }))
        .await;
    client.end(false);
    client.until(|e| matches!(e, ClientEvent::Terminated)).await;
}

#[tokio::test]
async fn while_js_holds_its_events_the_next_attempt_does_not_wait_for_reconnect() {
    // An overridden handleMessage that has not called back holds every later event;
    // MQTT.js reconnects meanwhile all the same.
    let (listener, mut client, broker) = connected_client(60, 10).await;
    client.identity = None;
    client
        .commands
        .send(ClientCommand::SetEventsHeld(true))
        .unwrap();
    drop(broker);
    let mut broker = Peer::accept(&listener).await;
    broker.handshake(0).await;
    let events = client.until(is_connected).await;
    assert_eq!(
        names(&events),
        vec!["offline", "close", "reconnect", "connect"]
    );
}

fn qos0_publish(token: u64, size: usize) -> Command {
    Command::Publish {
        token,
        topic: "t".into(),
        payload: Bytes::from(vec![b'x'; size]),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: PacketProperties::NONE,
    }
}

fn latest_qos0_written(events: &[ClientEvent]) -> u64 {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::QoS0Written { through } => Some(*through),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn qos0_publishes_complete_as_the_socket_takes_them_and_fail_if_never_written() {
    // 25 MiB: more than the loopback socket buffers hold while the broker does not read.
    const COUNT: u64 = 400;
    const SIZE: usize = 64 * 1024;
    let (_listener, mut client, mut broker) = connected_client(60, 0).await;
    client
        .commands
        .send(ClientCommand::SetQoS0Reports(true))
        .unwrap();
    for token in 1..=COUNT {
        client.send(qos0_publish(token, SIZE));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Whatever has come so far, without waiting for more.
    while let Ok(batch) = client.events.try_recv() {
        client.seen.extend(batch);
    }
    let stalled_at = latest_qos0_written(&client.seen);
    assert!(
        stalled_at < COUNT,
        "a broker that does not read cannot have taken all {COUNT} (reported through {stalled_at})"
    );
    for _ in 0..COUNT {
        assert!(matches!(broker.recv().await, Some(Packet::Publish(_))));
    }
    let events = client
        .until(|e| matches!(e, ClientEvent::QoS0Written { through } if *through == COUNT))
        .await;
    let reported: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::QoS0Written { through } => Some(*through),
            _ => None,
        })
        .collect();
    assert!(
        reported.windows(2).all(|w| w[0] < w[1]),
        "reports only move forward: {reported:?}"
    );
    assert!(!names(&events).contains(&"qos0Dropped"));

    // Again, and end the client while the broker does not read: a forced end
    // does not wait for the stalled socket.
    for token in COUNT + 1..=2 * COUNT {
        client.send(qos0_publish(token, SIZE));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    client.end(true);
    let ending = tokio::time::Instant::now();
    let events = client.until(|e| matches!(e, ClientEvent::Terminated)).await;
    // The last packets get a moment to go out (GOODBYE_TIMEOUT), not more.
    assert!(ending.elapsed() < Duration::from_secs(5));
    let written = latest_qos0_written(&events);
    assert!(written < 2 * COUNT, "reported through {written}");
    assert!(
        events.contains(&ClientEvent::Session(Event::QoS0Dropped {
            through: 2 * COUNT
        })),
        "the rest is reported lost: {:?}",
        names(&events)
    );
    let dropped_at = events
        .iter()
        .position(|e| matches!(e, ClientEvent::Session(Event::QoS0Dropped { .. })))
        .unwrap();
    assert!(
        events[dropped_at..]
            .iter()
            .all(|e| !matches!(e, ClientEvent::QoS0Written { .. })),
        "nothing is reported written after it was reported lost"
    );
    drop(broker);
}

#[tokio::test]
async fn qos0_writes_are_reported_only_while_js_asks_and_the_mark_always_moves() {
    let (_listener, mut client, mut broker) = connected_client(60, 0).await;
    for token in 1..=3 {
        client.send(qos0_publish(token, 10));
    }
    for _ in 0..3 {
        assert!(matches!(broker.recv().await, Some(Packet::Publish(_))));
    }
    // A QoS 1 round trip after them: its completion comes after their writes.
    client.send(Command::Publish {
        token: 4,
        topic: "t".into(),
        payload: Bytes::new(),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: PacketProperties::NONE,
    });
    let Some(Packet::Publish(publish)) = broker.recv().await else {
        panic!("expected the QoS 1 PUBLISH")
    };
    broker
        .send(Packet::PubAck(PublishAck::new(publish.packet_id.unwrap())))
        .await;
    let events = client
        .until(|e| matches!(e, ClientEvent::Session(Event::Published { token: 4, .. })))
        .await;
    assert!(
        !names(&events).contains(&"qos0Written"),
        "nobody asked: {:?}",
        names(&events)
    );
    assert_eq!(
        client.qos0_written.get(),
        3,
        "the mark says what was written"
    );

    // Asked for, what was written meanwhile is reported at once, and what follows as it goes.
    client
        .commands
        .send(ClientCommand::SetQoS0Reports(true))
        .unwrap();
    client
        .until(|e| matches!(e, ClientEvent::QoS0Written { through: 3 }))
        .await;
    client.send(qos0_publish(5, 10));
    assert!(matches!(broker.recv().await, Some(Packet::Publish(_))));
    client
        .until(|e| matches!(e, ClientEvent::QoS0Written { through: 5 }))
        .await;
    assert_eq!(client.qos0_written.get(), 5);
}
mod v5;

/// A stand-in for the addon's loop driver: puts each adopted socket back into tokio's reactor.
#[derive(Debug)]
struct Readopted(TcpStream);

impl crate::transport::AdoptedStream for Readopted {}

impl tokio::io::AsyncRead for Readopted {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Readopted {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn an_adopter_takes_the_socket_of_every_connection_and_the_protocol_runs_over_it() {
    let (listener, port) = listener().await;
    let adopted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut config = config(port, 60, 50);
    let count = adopted.clone();
    config.stream_adopter = Some(transport::StreamAdopter::new(move |socket| {
        count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let transport::PlainSocket::Tcp(socket) = socket else {
            panic!("a TCP endpoint gives a TCP socket")
        };
        assert!(socket.peer_addr().is_ok(), "handed over connected");
        Ok(Box::new(Readopted(TcpStream::from_std(socket)?)))
    }));
    let mut client = Client::start(config);
    let mut broker = Peer::accept(&listener).await;
    broker.handshake(0).await;
    client.until(is_connected).await;
    assert_eq!(adopted.load(std::sync::atomic::Ordering::SeqCst), 1);

    // The broker drops the link: the next connection's socket is adopted too.
    drop(broker);
    client
        .until(|e| matches!(e, ClientEvent::Reconnect { .. }))
        .await;
    let mut broker = Peer::accept(&listener).await;
    broker.handshake(0).await;
    client.until(is_connected).await;
    assert_eq!(adopted.load(std::sync::atomic::Ordering::SeqCst), 2);

    client.end(false);
    assert_eq!(
        broker.recv().await,
        Some(Packet::Disconnect(Disconnect::NORMAL))
    );
    client.until(|e| matches!(e, ClientEvent::Terminated)).await;
}

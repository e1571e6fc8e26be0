//! Scripted session scenarios with explicit timestamps.

use super::*;
use crate::codec::v5::ReasonCode;
use crate::codec::{ConnectReasonCode, SubscribeReasonCode};

const SECOND: Duration = Duration::from_secs(1);

fn config() -> SessionConfig {
    SessionConfig {
        protocol: ProtocolVersion::V311,
        client_id: Bytes::from_static(b"tester"),
        clean_session: true,
        keep_alive_secs: 10,
        connect_timeout: 30 * SECOND,
        username: None,
        password: None,
        will: None,
        resubscribe: true,
        queue_qos_zero: true,
        auto_reconnect: true,
        offline_limits: OfflineLimits::default(),
        subscribe_batch_size: None,
        manual_acks: false,
        hold_pubrec: false,
        connect_properties: PacketProperties::NONE,
        auto_use_topic_alias: false,
        auto_assign_topic_alias: false,
    }
}

fn transmitted(session: &mut Session, now: Instant) -> Vec<Packet> {
    std::iter::from_fn(|| session.poll_transmit(now)).collect()
}

/// The events, without the packet-id reports (`ids_allocated` checks those).
fn events(session: &mut Session) -> Vec<Event> {
    std::iter::from_fn(|| session.poll_event())
        .filter(|event| !matches!(event, Event::PacketIdAllocated(_)))
        .collect()
}

/// The packet ids the session reported allocating, in order.
fn ids_allocated(session: &mut Session) -> Vec<PacketId> {
    std::iter::from_fn(|| session.poll_event())
        .filter_map(|event| match event {
            Event::PacketIdAllocated(id) => Some(id),
            _ => None,
        })
        .collect()
}

fn connack(session_present: bool) -> Packet {
    Packet::ConnAck(ConnAck::accepted(session_present))
}

fn publish(topic: &str, qos: QoS, token: Token) -> Command {
    Command::Publish {
        token,
        topic: topic.into(),
        payload: Bytes::from_static(b"payload"),
        qos,
        retain: false,
        properties: PacketProperties::NONE,
    }
}

fn connected(config: SessionConfig, t0: Instant) -> Session {
    let mut session = Session::new(config, t0);
    session.on_transport_open(t0, t0);
    assert!(matches!(
        transmitted(&mut session, t0)[..],
        [Packet::Connect(_)]
    ));
    session.handle_packet(connack(false), t0).unwrap();
    events(&mut session);
    session
}

/// Drops the link and connects again; returns what went out after CONNACK.
fn reconnect(session: &mut Session, t0: Instant, session_present: bool) -> Vec<Packet> {
    session.on_transport_closed(t0);
    session.on_transport_open(t0, t0);
    transmitted(session, t0);
    session.handle_packet(connack(session_present), t0).unwrap();
    transmitted(session, t0)
}

mod scale;
mod subscribe_calls;
mod v5;
mod v5_plumbing;

fn sent_publish(packets: &[Packet]) -> Vec<(Option<PacketId>, bool)> {
    packets
        .iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => Some((p.packet_id, p.dup)),
            _ => None,
        })
        .collect()
}

#[test]
fn connect_packet_carries_the_configured_options() {
    let t0 = Instant::now();
    let mut session = Session::new(
        SessionConfig {
            clean_session: false,
            keep_alive_secs: 42,
            username: Some(Bytes::from_static(b"u")),
            ..config()
        },
        t0,
    );
    session.on_transport_open(t0, t0);
    match session.poll_transmit(t0) {
        Some(Packet::Connect(connect)) => {
            assert!(!connect.clean_session);
            assert_eq!(connect.keep_alive, 42);
            assert_eq!(connect.client_id, Bytes::from_static(b"tester"));
            assert_eq!(connect.username, Some(Bytes::from_static(b"u")));
        }
        other => panic!("expected CONNECT, got {other:?}"),
    }
}

#[test]
fn connack_accepted_emits_connected() {
    let t0 = Instant::now();
    let mut session = Session::new(config(), t0);
    session.on_transport_open(t0, t0);
    transmitted(&mut session, t0);
    session.handle_packet(connack(false), t0).unwrap();
    assert!(session.is_connected());
    assert_eq!(
        events(&mut session),
        vec![Event::Connected {
            connack: ConnAck::accepted(false),
            session_resumed: false
        }]
    );
}

#[test]
fn connack_refused_is_an_error_with_the_return_code() {
    let t0 = Instant::now();
    let mut session = Session::new(config(), t0);
    session.on_transport_open(t0, t0);
    let refused = Packet::ConnAck(ConnAck::refused(ConnectReasonCode::NotAuthorized));
    let err = session.handle_packet(refused, t0).unwrap_err();
    assert_eq!(
        err,
        SessionError::ConnectionRefused(ConnectReasonCode::NotAuthorized)
    );
    assert_eq!(err.to_string(), "Connection refused: Not authorized");
}

#[test]
fn no_connack_within_connect_timeout_is_a_connack_timeout() {
    let t0 = Instant::now();
    let mut session = Session::new(config(), t0);
    session.on_transport_open(t0, t0 + SECOND);
    assert_eq!(session.poll_timeout(), Some(t0 + 30 * SECOND));
    assert!(session.handle_timeout(t0 + 29 * SECOND).is_ok());
    assert_eq!(
        session.handle_timeout(t0 + 30 * SECOND),
        Err(SessionError::ConnackTimeout)
    );
}

#[test]
fn a_packet_before_connack_is_a_protocol_violation() {
    let t0 = Instant::now();
    let mut session = Session::new(config(), t0);
    session.on_transport_open(t0, t0);
    let err = session
        .handle_packet(Packet::PubAck(PublishAck::new(1)), t0)
        .unwrap_err();
    assert!(err.to_string().contains("[MQTT-3.2.0-1]"));
}

#[test]
fn a_second_connack_is_a_protocol_violation() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    assert_eq!(
        session.handle_packet(connack(false), t0),
        Err(SessionError::Protocol(ProtocolViolation::DuplicateConnAck))
    );
    // MQTT.js reports it as ErrorWithReasonCode 130 (MQTT 5 "Protocol Error").
    assert_eq!(ProtocolViolation::DuplicateConnAck.reason_code(), Some(130));
    let unsolicited = ProtocolViolation::UnsolicitedAck {
        ack: PacketType::PubAck,
        packet_id: 1,
    };
    assert_eq!(unsolicited.reason_code(), None);
}

#[test]
fn qos0_publish_is_tracked_until_polled_and_completes_with_no_event() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(publish("a", QoS::AtMostOnce, 7), t0);
    session.handle_command(publish("b", QoS::AtMostOnce, 0), t0);
    session.handle_command(publish("c", QoS::AtMostOnce, 9), t0);
    assert_eq!(session.qos0_polled_through(), 0, "nothing polled yet");
    assert!(session.poll_transmit(t0).is_some());
    assert_eq!(session.qos0_polled_through(), 7);
    assert!(session.poll_transmit(t0).is_some());
    assert_eq!(session.qos0_polled_through(), 7, "token 0: nobody waits");
    assert!(session.poll_transmit(t0).is_some());
    assert_eq!(session.qos0_polled_through(), 9);
    // The connection reports the write; the session has nothing to say.
    assert_eq!(events(&mut session), vec![]);
}

#[test]
fn qos0_publishes_lost_with_the_connection_are_reported_once() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(publish("a", QoS::AtMostOnce, 1), t0);
    session.handle_command(publish("b", QoS::AtMostOnce, 2), t0);
    session.handle_command(publish("c", QoS::AtMostOnce, 3), t0);
    // 1 and 2 went to the connection (which may or may not have written them), 3 did not.
    session.poll_transmit(t0);
    session.poll_transmit(t0);
    session.on_transport_closed(t0);
    assert_eq!(
        events(&mut session),
        vec![Event::QoS0Dropped { through: 3 }]
    );
    // Made while offline: queued, not lost.
    session.handle_command(publish("d", QoS::AtMostOnce, 4), t0);
    session.on_transport_open(t0, t0);
    assert_eq!(events(&mut session), vec![]);
    session.on_transport_closed(t0);
    assert_eq!(events(&mut session), vec![], "nothing more was lost");
    session.on_transport_open(t0, t0);
    transmitted(&mut session, t0);
    session.handle_packet(connack(false), t0).unwrap();
    let sent = transmitted(&mut session, t0);
    assert_eq!(sent_publish(&sent), vec![(None, false)]);
    assert_eq!(session.qos0_polled_through(), 4);
    session.shutdown();
    assert!(events(&mut session).contains(&Event::QoS0Dropped { through: 4 }));
}

#[test]
fn qos0_publish_made_offline_without_queueing_fails_and_is_never_tracked() {
    let t0 = Instant::now();
    let mut session = Session::new(
        SessionConfig {
            queue_qos_zero: false,
            ..config()
        },
        t0,
    );
    session.handle_command(publish("a", QoS::AtMostOnce, 1), t0);
    assert!(matches!(
        events(&mut session)[..],
        [Event::Published {
            token: 1,
            result: Err(CommandError::NoConnection),
            ..
        }]
    ));
    session.on_transport_open(t0, t0);
    session.on_transport_closed(t0);
    assert_eq!(events(&mut session), vec![]);
}

#[test]
fn qos1_publish_completes_on_puback_and_frees_its_id() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(publish("a", QoS::AtLeastOnce, 1), t0);
    assert_eq!(
        sent_publish(&transmitted(&mut session, t0)),
        vec![(Some(1), false)]
    );
    assert!(events(&mut session).is_empty());
    session
        .handle_packet(Packet::PubAck(PublishAck::new(1)), t0)
        .unwrap();
    assert_eq!(
        events(&mut session),
        vec![Event::Published {
            token: 1,
            packet_id: Some(1),
            result: Ok(Some(PublishAck::new(1)))
        }]
    );
    assert_eq!(session.in_flight(), 0);
}

#[test]
fn qos2_publish_goes_through_pubrec_pubrel_pubcomp() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(publish("a", QoS::ExactlyOnce, 3), t0);
    transmitted(&mut session, t0);
    session
        .handle_packet(Packet::PubRec(PublishAck::new(1)), t0)
        .unwrap();
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::PubRel(PublishAck::new(1))]
    );
    assert!(events(&mut session).is_empty());
    session
        .handle_packet(Packet::PubComp(PublishAck::new(1)), t0)
        .unwrap();
    assert!(matches!(
        events(&mut session)[..],
        [Event::Published {
            token: 3,
            result: Ok(Some(_)),
            ..
        }]
    ));
}

#[test]
fn puback_for_a_qos2_publish_is_a_mismatched_ack() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(publish("a", QoS::ExactlyOnce, 3), t0);
    let err = session
        .handle_packet(Packet::PubAck(PublishAck::new(1)), t0)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Protocol error: puback does not answer the publish pending on message id 1"
    );
}

#[test]
fn an_ack_for_nothing_pending_is_unsolicited() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    assert!(matches!(
        session.handle_packet(Packet::PubComp(PublishAck::new(9)), t0),
        Err(SessionError::Protocol(
            ProtocolViolation::UnsolicitedAck { .. }
        ))
    ));
}

#[test]
fn inbound_qos1_is_delivered_and_acknowledged() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    let incoming = Publish {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain: false,
        topic: "t".into(),
        packet_id: Some(5),
        payload: Bytes::from_static(b"x"),
        properties: PacketProperties::NONE,
    };
    session
        .handle_packet(Packet::Publish(incoming.clone()), t0)
        .unwrap();
    assert_eq!(events(&mut session), vec![Event::Message(incoming)]);
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::PubAck(PublishAck::new(5))]
    );
}

#[test]
fn inbound_qos2_is_delivered_exactly_once_on_pubrel_even_when_resent() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    let incoming = Publish {
        dup: false,
        qos: QoS::ExactlyOnce,
        retain: false,
        topic: "t".into(),
        packet_id: Some(9),
        payload: Bytes::from_static(b"x"),
        properties: PacketProperties::NONE,
    };
    session
        .handle_packet(Packet::Publish(incoming.clone()), t0)
        .unwrap();
    let resent = Publish {
        dup: true,
        ..incoming.clone()
    };
    session.handle_packet(Packet::Publish(resent), t0).unwrap();
    assert!(events(&mut session).is_empty());
    assert_eq!(
        transmitted(&mut session, t0),
        vec![
            Packet::PubRec(PublishAck::new(9)),
            Packet::PubRec(PublishAck::new(9))
        ]
    );
    session
        .handle_packet(Packet::PubRel(PublishAck::new(9)), t0)
        .unwrap();
    session
        .handle_packet(Packet::PubRel(PublishAck::new(9)), t0)
        .unwrap();
    assert_eq!(events(&mut session), vec![Event::Message(incoming)]);
    assert_eq!(
        transmitted(&mut session, t0),
        vec![
            Packet::PubComp(PublishAck::new(9)),
            Packet::PubComp(PublishAck::new(9))
        ]
    );
}

#[test]
fn subscribe_completes_with_the_suback_and_the_qos_granted() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(
        Command::Subscribe {
            token: 4,
            filters: vec![SubscribeFilter::new("a/#", QoS::ExactlyOnce)],
            properties: PacketProperties::NONE,
        },
        t0,
    );
    assert!(matches!(
        transmitted(&mut session, t0)[..],
        [Packet::Subscribe(_)]
    ));
    let suback = SubAck {
        packet_id: 1,
        reason_codes: vec![SubscribeReasonCode::GrantedQoS1],
        properties: PacketProperties::NONE,
    };
    session
        .handle_packet(Packet::SubAck(suback.clone()), t0)
        .unwrap();
    assert_eq!(
        events(&mut session),
        vec![Event::Subscribed {
            token: 4,
            granted: vec![QoS::AtLeastOnce],
            result: Ok(suback)
        }]
    );
}

#[test]
fn suback_with_the_wrong_number_of_codes_is_a_violation() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(
        Command::Subscribe {
            token: 4,
            filters: vec![SubscribeFilter::new("a", QoS::AtMostOnce)],
            properties: PacketProperties::NONE,
        },
        t0,
    );
    let suback = SubAck {
        packet_id: 1,
        reason_codes: vec![
            SubscribeReasonCode::GrantedQoS0,
            SubscribeReasonCode::GrantedQoS0,
        ],
        properties: PacketProperties::NONE,
    };
    assert!(session.handle_packet(Packet::SubAck(suback), t0).is_err());
}

#[test]
fn publishes_made_offline_are_sent_after_connack_in_call_order() {
    let t0 = Instant::now();
    let mut session = Session::new(config(), t0);
    session.handle_command(publish("q0", QoS::AtMostOnce, 1), t0);
    session.handle_command(publish("q1", QoS::AtLeastOnce, 2), t0);
    session.on_transport_open(t0, t0);
    transmitted(&mut session, t0);
    session.handle_packet(connack(false), t0).unwrap();
    let sent = transmitted(&mut session, t0);
    // MQTT.js order: stored QoS>0 messages first, then the offline queue.
    assert_eq!(sent_publish(&sent), vec![(Some(1), false), (None, false)]);
    assert!(matches!(events(&mut session)[0], Event::Connected { .. }));
}

#[test]
fn qos0_offline_without_queueing_fails_at_once() {
    let t0 = Instant::now();
    let mut session = Session::new(
        SessionConfig {
            queue_qos_zero: false,
            ..config()
        },
        t0,
    );
    session.handle_command(publish("q0", QoS::AtMostOnce, 1), t0);
    assert_eq!(
        events(&mut session),
        vec![Event::Published {
            token: 1,
            packet_id: None,
            result: Err(CommandError::NoConnection)
        }]
    );
}

/// Every id handed out is reported as it is allocated, before the completion
/// that carries it (JS answers `getLastMessageId()` from these reports).
#[test]
fn packet_ids_are_reported_as_allocated_in_allocation_order() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(publish("a", QoS::AtMostOnce, 1), t0);
    session.handle_command(publish("b", QoS::AtLeastOnce, 2), t0);
    session.handle_command(
        Command::Subscribe {
            token: 3,
            filters: vec![SubscribeFilter::new("s", QoS::AtMostOnce)],
            properties: PacketProperties::NONE,
        },
        t0,
    );
    session.handle_command(
        Command::Unsubscribe {
            token: 4,
            filters: vec!["s".into()],
            properties: PacketProperties::NONE,
        },
        t0,
    );
    // QoS 0 takes no id.
    assert_eq!(ids_allocated(&mut session), vec![1, 2, 3]);
    session
        .handle_packet(Packet::PubAck(PublishAck::new(1)), t0)
        .unwrap();
    session.handle_command(publish("c", QoS::ExactlyOnce, 5), t0);
    // The id freed by the PUBACK is not reused before the counter wraps.
    assert_eq!(ids_allocated(&mut session), vec![4]);
}

/// The connect event says whether the session resumed: JS takes it from there
/// (it used to guess from its own copy of the options).
#[test]
fn connected_reports_a_resumed_session_only_for_a_kept_non_clean_session() {
    let resumed = |clean_session: bool, protocol: ProtocolVersion, session_present: bool| {
        let t0 = Instant::now();
        let mut session = Session::new(
            SessionConfig {
                clean_session,
                protocol,
                ..config()
            },
            t0,
        );
        session.on_transport_open(t0, t0);
        transmitted(&mut session, t0);
        session.handle_packet(connack(session_present), t0).unwrap();
        match &events(&mut session)[..] {
            [Event::Connected {
                session_resumed, ..
            }] => *session_resumed,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(resumed(false, ProtocolVersion::V311, true));
    assert!(!resumed(false, ProtocolVersion::V311, false));
    assert!(!resumed(true, ProtocolVersion::V311, true));
    // MQTT 3.1 has no session-present flag: a non-clean session is assumed kept.
    assert!(resumed(false, ProtocolVersion::V31, false));
}

#[test]
fn resumed_session_resends_unacked_publishes_with_dup_and_pubrel_in_order() {
    let t0 = Instant::now();
    let mut session = connected(
        SessionConfig {
            clean_session: false,
            ..config()
        },
        t0,
    );
    session.handle_command(publish("a", QoS::AtLeastOnce, 1), t0);
    session.handle_command(publish("b", QoS::ExactlyOnce, 2), t0);
    session.handle_command(publish("c", QoS::AtLeastOnce, 3), t0);
    transmitted(&mut session, t0);
    session
        .handle_packet(Packet::PubRec(PublishAck::new(2)), t0)
        .unwrap();
    transmitted(&mut session, t0);
    assert_eq!(
        reconnect(&mut session, t0, true),
        vec![
            Packet::Publish(Publish {
                dup: true,
                qos: QoS::AtLeastOnce,
                retain: false,
                topic: "a".into(),
                packet_id: Some(1),
                payload: Bytes::from_static(b"payload"),
                properties: PacketProperties::NONE,
            }),
            Packet::PubRel(PublishAck::new(2)),
            Packet::Publish(Publish {
                dup: true,
                qos: QoS::AtLeastOnce,
                retain: false,
                topic: "c".into(),
                packet_id: Some(3),
                payload: Bytes::from_static(b"payload"),
                properties: PacketProperties::NONE,
            }),
        ]
    );
}

#[test]
fn a_clean_session_republishes_unacked_messages_as_new_without_dup() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(publish("a", QoS::AtLeastOnce, 1), t0);
    transmitted(&mut session, t0);
    assert_eq!(
        sent_publish(&reconnect(&mut session, t0, false)),
        vec![(Some(1), false)]
    );
}

#[test]
fn subscriptions_are_resent_after_reconnecting_without_a_session() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(
        Command::Subscribe {
            token: 1,
            filters: vec![SubscribeFilter::new("x/+", QoS::AtLeastOnce)],
            properties: PacketProperties::NONE,
        },
        t0,
    );
    transmitted(&mut session, t0);
    session
        .handle_packet(
            Packet::SubAck(SubAck {
                packet_id: 1,
                reason_codes: vec![SubscribeReasonCode::GrantedQoS1],
                properties: PacketProperties::NONE,
            }),
            t0,
        )
        .unwrap();
    match &reconnect(&mut session, t0, false)[..] {
        [Packet::Subscribe(subscribe)] => {
            assert_eq!(subscribe.filters[0].filter, "x/+");
            assert_eq!(subscribe.filters[0].qos, QoS::AtLeastOnce);
        }
        other => panic!("expected a resubscribe, got {other:?}"),
    }
}

#[test]
fn an_in_flight_subscribe_fails_when_the_connection_drops() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(
        Command::Subscribe {
            token: 8,
            filters: vec![SubscribeFilter::new("x", QoS::AtMostOnce)],
            properties: PacketProperties::NONE,
        },
        t0,
    );
    transmitted(&mut session, t0);
    session.on_transport_closed(t0);
    assert!(matches!(
        events(&mut session)[..],
        [Event::Subscribed {
            token: 8,
            result: Err(CommandError::ConnectionClosed),
            ..
        }]
    ));
}

#[test]
fn more_than_65535_publishes_wait_for_a_free_id_and_never_reuse_one() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    for token in 1..=65_537 {
        session.handle_command(publish("a", QoS::AtLeastOnce, token), t0);
    }
    let first = sent_publish(&transmitted(&mut session, t0));
    assert_eq!(first.len(), 65_535);
    session
        .handle_packet(Packet::PubAck(PublishAck::new(10)), t0)
        .unwrap();
    session
        .handle_packet(Packet::PubAck(PublishAck::new(20)), t0)
        .unwrap();
    let next = sent_publish(&transmitted(&mut session, t0));
    assert_eq!(next, vec![(Some(10), false), (Some(20), false)]);
}

#[test]
fn keepalive_sends_a_ping_and_times_out_without_an_answer() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    assert_eq!(session.poll_timeout(), Some(t0 + 10 * SECOND));
    session.handle_timeout(t0 + 10 * SECOND).unwrap();
    assert_eq!(
        transmitted(&mut session, t0 + 10 * SECOND),
        vec![Packet::PingReq]
    );
    assert_eq!(
        session.handle_timeout(t0 + 15 * SECOND),
        Err(SessionError::KeepaliveTimeout)
    );
}

#[test]
fn pingresp_keeps_the_connection_alive() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_timeout(t0 + 10 * SECOND).unwrap();
    transmitted(&mut session, t0 + 10 * SECOND);
    session
        .handle_packet(Packet::PingResp, t0 + 11 * SECOND)
        .unwrap();
    assert!(session.handle_timeout(t0 + 15 * SECOND).is_ok());
    assert!(transmitted(&mut session, t0 + 15 * SECOND).is_empty());
}

#[test]
fn graceful_disconnect_waits_for_in_flight_then_sends_disconnect() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(publish("a", QoS::AtLeastOnce, 1), t0);
    transmitted(&mut session, t0);
    session.handle_command(Command::Disconnect(Disconnect::NORMAL), t0);
    assert!(transmitted(&mut session, t0).is_empty());
    assert!(!session.is_finished());
    session
        .handle_packet(Packet::PubAck(PublishAck::new(1)), t0)
        .unwrap();
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::Disconnect(Disconnect::NORMAL)]
    );
    assert!(session.is_finished());
    assert!(events(&mut session).contains(&Event::OutgoingEmpty));
}

#[test]
fn shutdown_fails_every_waiting_callback() {
    let t0 = Instant::now();
    let mut session = Session::new(config(), t0);
    session.handle_command(publish("a", QoS::AtLeastOnce, 1), t0);
    session.handle_command(publish("b", QoS::AtMostOnce, 2), t0);
    session.shutdown();
    let failed: Vec<Token> = events(&mut session)
        .into_iter()
        .filter_map(|e| match e {
            Event::Published {
                token,
                result: Err(CommandError::ConnectionClosed),
                ..
            } => Some(token),
            _ => None,
        })
        .collect();
    assert_eq!(failed, vec![1, 2]);
}

#[test]
fn offline_publishes_past_the_message_limit_are_rejected() {
    let t0 = Instant::now();
    let mut session = Session::new(
        SessionConfig {
            offline_limits: OfflineLimits {
                max_messages: Some(2),
                max_bytes: None,
            },
            ..config()
        },
        t0,
    );
    for token in 1..=3 {
        session.handle_command(publish("a", QoS::AtLeastOnce, token), t0);
    }
    assert!(matches!(
        events(&mut session)[..],
        [Event::Published {
            token: 3,
            result: Err(CommandError::OfflineQueueFull { messages: 2, .. }),
            ..
        }]
    ));
    session.on_transport_open(t0, t0);
    transmitted(&mut session, t0);
    session.handle_packet(connack(false), t0).unwrap();
    assert_eq!(sent_publish(&transmitted(&mut session, t0)).len(), 2);
    // The queue is empty again once connected and flushed.
    session.on_transport_closed(t0);
    session.handle_command(publish("b", QoS::AtMostOnce, 4), t0);
    assert!(events(&mut session)
        .iter()
        .all(|e| !matches!(e, Event::Published { token: 4, .. })));
}

#[test]
fn offline_publishes_past_the_byte_limit_are_rejected() {
    let t0 = Instant::now();
    let mut session = Session::new(
        SessionConfig {
            offline_limits: OfflineLimits {
                max_messages: None,
                max_bytes: Some(10),
            },
            ..config()
        },
        t0,
    );
    // "a" + "payload" = 8 bytes: the second one would make 16.
    session.handle_command(publish("a", QoS::AtMostOnce, 1), t0);
    session.handle_command(publish("a", QoS::AtMostOnce, 2), t0);
    assert!(matches!(
        events(&mut session)[..],
        [Event::Published {
            token: 2,
            result: Err(CommandError::OfflineQueueFull { .. }),
            ..
        }]
    ));
}

#[test]
fn a_removed_outgoing_message_fails_at_once_and_its_late_ack_is_swallowed() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(publish("a", QoS::AtLeastOnce, 1), t0);
    transmitted(&mut session, t0);
    session.handle_command(Command::RemoveOutgoing(1), t0);
    assert_eq!(
        events(&mut session),
        vec![Event::Published {
            token: 1,
            packet_id: Some(1),
            result: Err(CommandError::Removed)
        }]
    );
    // The broker may still acknowledge what it got: that is swallowed, and only
    // then is the id free again.
    session
        .handle_packet(Packet::PubAck(PublishAck::new(1)), t0)
        .unwrap();
    assert!(events(&mut session).is_empty());
    assert_eq!(session.in_flight(), 0);
}

#[test]
fn a_clean_session_republishes_a_message_past_pubrec_instead_of_sending_pubrel() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(publish("a", QoS::ExactlyOnce, 1), t0);
    transmitted(&mut session, t0);
    session
        .handle_packet(Packet::PubRec(PublishAck::new(1)), t0)
        .unwrap();
    transmitted(&mut session, t0);
    assert_eq!(
        sent_publish(&reconnect(&mut session, t0, false)),
        vec![(Some(1), false)]
    );
    session
        .handle_packet(Packet::PubRec(PublishAck::new(1)), t0)
        .unwrap();
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::PubRel(PublishAck::new(1))]
    );
    session
        .handle_packet(Packet::PubComp(PublishAck::new(1)), t0)
        .unwrap();
    assert!(matches!(
        events(&mut session)[..],
        [
            Event::Connected { .. },
            Event::Published {
                token: 1,
                result: Ok(Some(_)),
                ..
            }
        ]
    ));
}

#[test]
fn resubscription_is_split_by_the_subscribe_batch_size() {
    let t0 = Instant::now();
    let mut session = connected(
        SessionConfig {
            subscribe_batch_size: Some(2),
            ..config()
        },
        t0,
    );
    let filters: Vec<SubscribeFilter> = ["a", "b", "c"]
        .iter()
        .map(|f| SubscribeFilter::new(f.to_string(), QoS::AtLeastOnce))
        .collect();
    session.handle_command(
        Command::Subscribe {
            token: 1,
            filters,
            properties: PacketProperties::NONE,
        },
        t0,
    );
    transmitted(&mut session, t0);
    for (packet_id, count) in [(1, 2), (2, 1)] {
        session
            .handle_packet(
                Packet::SubAck(SubAck {
                    packet_id,
                    reason_codes: vec![SubscribeReasonCode::GrantedQoS1; count],
                    properties: PacketProperties::NONE,
                }),
                t0,
            )
            .unwrap();
    }
    let resent: Vec<Vec<String>> = reconnect(&mut session, t0, false)
        .into_iter()
        .filter_map(|p| match p {
            Packet::Subscribe(s) => Some(s.filters.into_iter().map(|f| f.filter).collect()),
            _ => None,
        })
        .collect();
    assert_eq!(resent, vec![vec!["a", "b"], vec!["c"]]);
}

// ---- manual acks: the application acknowledges inbound QoS 1/2 ----------------

fn manual_acks() -> SessionConfig {
    SessionConfig {
        clean_session: false,
        manual_acks: true,
        ..config()
    }
}

fn inbound(qos: QoS, id: PacketId, dup: bool) -> Publish {
    Publish {
        dup,
        qos,
        retain: false,
        topic: "t".into(),
        packet_id: Some(id),
        payload: Bytes::from_static(b"x"),
        properties: PacketProperties::NONE,
    }
}

fn held(publish: Publish, connection: u32) -> Event {
    Event::HeldMessage {
        publish,
        connection,
    }
}

#[test]
fn manual_acks_hold_the_puback_until_the_application_acknowledges() {
    let t0 = Instant::now();
    let mut session = connected(manual_acks(), t0);
    let message = inbound(QoS::AtLeastOnce, 5, false);
    session
        .handle_packet(Packet::Publish(message.clone()), t0)
        .unwrap();
    assert_eq!(events(&mut session), vec![held(message, 1)]);
    assert!(
        transmitted(&mut session, t0).is_empty(),
        "no PUBACK on receipt"
    );
    session.acknowledge(5, 1, ReasonCode::SUCCESS);
    assert_eq!(
        transmitted(&mut session, t0 + SECOND),
        vec![Packet::PubAck(PublishAck::new(5))]
    );
    session.acknowledge(5, 1, ReasonCode::SUCCESS);
    assert!(
        transmitted(&mut session, t0 + SECOND).is_empty(),
        "a second ack of the same delivery sends nothing"
    );
}

#[test]
fn manual_acks_send_pubrec_on_receipt_and_hold_pubcomp_until_acknowledged() {
    // As MQTT.js: PUBREC once stored, the message delivered on PUBREL, PUBCOMP
    // once handleMessage calls back.
    let t0 = Instant::now();
    let mut session = connected(manual_acks(), t0);
    let message = inbound(QoS::ExactlyOnce, 9, false);
    session
        .handle_packet(Packet::Publish(message.clone()), t0)
        .unwrap();
    assert!(events(&mut session).is_empty());
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::PubRec(PublishAck::new(9))]
    );
    session
        .handle_packet(Packet::PubRel(PublishAck::new(9)), t0)
        .unwrap();
    session
        .handle_packet(Packet::PubRel(PublishAck::new(9)), t0)
        .unwrap();
    assert_eq!(events(&mut session), vec![held(message, 1)]);
    assert!(
        transmitted(&mut session, t0).is_empty(),
        "no PUBCOMP while the application has the message, even for a repeated PUBREL"
    );
    session.acknowledge(9, 1, ReasonCode::SUCCESS);
    assert_eq!(
        transmitted(&mut session, t0 + SECOND),
        vec![Packet::PubComp(PublishAck::new(9))]
    );
    // Our PUBCOMP was lost: a repeated PUBREL is completed again, not redelivered.
    session
        .handle_packet(Packet::PubRel(PublishAck::new(9)), t0 + SECOND)
        .unwrap();
    assert!(events(&mut session).is_empty());
    assert_eq!(
        transmitted(&mut session, t0 + SECOND),
        vec![Packet::PubComp(PublishAck::new(9))]
    );
}

#[test]
fn an_ack_from_an_earlier_connection_never_acknowledges_the_redelivery() {
    let t0 = Instant::now();
    let mut session = connected(manual_acks(), t0);
    let message = inbound(QoS::AtLeastOnce, 5, false);
    session
        .handle_packet(Packet::Publish(message.clone()), t0)
        .unwrap();
    assert_eq!(events(&mut session), vec![held(message.clone(), 1)]);
    assert!(reconnect(&mut session, t0 + SECOND, true).is_empty());
    events(&mut session);
    // The application finishes with the first copy after the reconnect: the
    // broker will resend id 5 (or has forgotten it), so nothing goes out.
    session.acknowledge(5, 1, ReasonCode::SUCCESS);
    assert!(transmitted(&mut session, t0 + 2 * SECOND).is_empty());
    let redelivered = Publish {
        dup: true,
        ..message
    };
    session
        .handle_packet(Packet::Publish(redelivered.clone()), t0 + 2 * SECOND)
        .unwrap();
    assert_eq!(events(&mut session), vec![held(redelivered, 2)]);
    session.acknowledge(5, 1, ReasonCode::SUCCESS);
    assert!(
        transmitted(&mut session, t0 + 3 * SECOND).is_empty(),
        "the late ack of the first copy does not acknowledge the redelivered one"
    );
    session.acknowledge(5, 2, ReasonCode::SUCCESS);
    assert_eq!(
        transmitted(&mut session, t0 + 3 * SECOND),
        vec![Packet::PubAck(PublishAck::new(5))]
    );
}

/// A manual-ack session that has received QoS 2 message 9 and its PUBREL, delivered it once, and
/// waits for the application's ack (PUBCOMP held).
fn released_qos2_held(t0: Instant) -> Session {
    let mut session = connected(manual_acks(), t0);
    session
        .handle_packet(Packet::Publish(inbound(QoS::ExactlyOnce, 9, false)), t0)
        .unwrap();
    session
        .handle_packet(Packet::PubRel(PublishAck::new(9)), t0)
        .unwrap();
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::PubRec(PublishAck::new(9))]
    );
    assert_eq!(events(&mut session).len(), 1, "delivered once");
    session
}

#[test]
fn a_released_qos2_message_is_completed_on_the_next_connection_when_the_session_is_kept() {
    let t0 = Instant::now();
    let mut session = released_qos2_held(t0);
    assert!(reconnect(&mut session, t0 + SECOND, true).is_empty());
    // The broker resends its PUBREL: still being handled, so no PUBCOMP and no second delivery.
    session
        .handle_packet(Packet::PubRel(PublishAck::new(9)), t0 + SECOND)
        .unwrap();
    assert!(transmitted(&mut session, t0 + SECOND).is_empty());
    assert!(events(&mut session)
        .iter()
        .all(|e| matches!(e, Event::Connected { .. })));
    session.acknowledge(9, 1, ReasonCode::SUCCESS);
    assert_eq!(
        transmitted(&mut session, t0 + 2 * SECOND),
        vec![Packet::PubComp(PublishAck::new(9))]
    );
}

#[test]
fn a_qos2_ack_made_offline_is_completed_when_the_broker_resends_pubrel() {
    let t0 = Instant::now();
    let mut session = released_qos2_held(t0);
    session.on_transport_closed(t0 + SECOND);
    session.acknowledge(9, 1, ReasonCode::SUCCESS);
    assert!(transmitted(&mut session, t0 + SECOND).is_empty());
    assert!(reconnect(&mut session, t0 + 2 * SECOND, true).is_empty());
    session
        .handle_packet(Packet::PubRel(PublishAck::new(9)), t0 + 2 * SECOND)
        .unwrap();
    assert_eq!(
        transmitted(&mut session, t0 + 2 * SECOND),
        vec![Packet::PubComp(PublishAck::new(9))]
    );
}

#[test]
fn a_new_session_drops_held_acks_so_a_late_one_cannot_complete_a_new_message() {
    let t0 = Instant::now();
    let mut session = released_qos2_held(t0);
    // The broker lost the session and reuses id 9 for another message.
    assert!(reconnect(&mut session, t0 + SECOND, false).is_empty());
    let other = inbound(QoS::ExactlyOnce, 9, false);
    session
        .handle_packet(Packet::Publish(other.clone()), t0 + SECOND)
        .unwrap();
    session
        .handle_packet(Packet::PubRel(PublishAck::new(9)), t0 + SECOND)
        .unwrap();
    assert_eq!(
        transmitted(&mut session, t0 + SECOND),
        vec![Packet::PubRec(PublishAck::new(9))]
    );
    assert!(events(&mut session).contains(&held(other, 2)));
    session.acknowledge(9, 1, ReasonCode::SUCCESS);
    assert!(transmitted(&mut session, t0 + 2 * SECOND).is_empty());
    session.acknowledge(9, 2, ReasonCode::SUCCESS);
    assert_eq!(
        transmitted(&mut session, t0 + 2 * SECOND),
        vec![Packet::PubComp(PublishAck::new(9))]
    );
}

#[test]
fn a_copy_resent_on_the_same_connection_is_acknowledged_once_both_are_handled() {
    let t0 = Instant::now();
    let mut session = connected(manual_acks(), t0);
    let message = inbound(QoS::AtLeastOnce, 5, false);
    session
        .handle_packet(Packet::Publish(message.clone()), t0)
        .unwrap();
    let resent = Publish {
        dup: true,
        ..message.clone()
    };
    session
        .handle_packet(Packet::Publish(resent.clone()), t0)
        .unwrap();
    assert_eq!(
        events(&mut session),
        vec![held(message, 1), held(resent, 1)]
    );
    session.acknowledge(5, 1, ReasonCode::SUCCESS);
    assert!(
        transmitted(&mut session, t0).is_empty(),
        "the id stays ours while a copy is still being handled"
    );
    session.acknowledge(5, 1, ReasonCode::SUCCESS);
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::PubAck(PublishAck::new(5))]
    );
}

#[test]
fn switching_manual_acks_off_acks_new_messages_on_receipt_and_keeps_held_ones() {
    let t0 = Instant::now();
    let mut session = connected(manual_acks(), t0);
    let first = inbound(QoS::AtLeastOnce, 5, false);
    session
        .handle_packet(Packet::Publish(first.clone()), t0)
        .unwrap();
    session.set_manual_acks(false);
    let second = inbound(QoS::AtLeastOnce, 6, false);
    session
        .handle_packet(Packet::Publish(second.clone()), t0)
        .unwrap();
    assert_eq!(
        events(&mut session),
        vec![held(first, 1), Event::Message(second)]
    );
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::PubAck(PublishAck::new(6))]
    );
    session.acknowledge(5, 1, ReasonCode::SUCCESS);
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::PubAck(PublishAck::new(5))]
    );
    session.set_manual_acks(true);
    session
        .handle_packet(Packet::Publish(inbound(QoS::AtLeastOnce, 7, false)), t0)
        .unwrap();
    assert!(transmitted(&mut session, t0).is_empty());
}

#[test]
fn an_ack_for_an_id_never_held_sends_nothing() {
    let t0 = Instant::now();
    let mut session = connected(manual_acks(), t0);
    session.acknowledge(42, 1, ReasonCode::SUCCESS);
    session.acknowledge(42, 0, ReasonCode::SUCCESS);
    assert!(transmitted(&mut session, t0).is_empty());
    assert!(events(&mut session).is_empty());
}

#[test]
fn queues_drained_after_an_offline_burst_give_their_room_back() {
    let t0 = Instant::now();
    let mut session = Session::new(config(), t0);
    let burst = 10 * super::RETAINED_QUEUE_CAPACITY as u64;
    for token in 1..=burst {
        let qos = if token % 2 == 0 {
            QoS::AtLeastOnce
        } else {
            QoS::AtMostOnce
        };
        session.handle_command(publish("burst", qos, token), t0);
    }
    assert!(session.offline_queue.capacity() > super::RETAINED_QUEUE_CAPACITY);
    session.on_transport_open(t0, t0);
    session.handle_packet(connack(false), t0).unwrap();
    let sent = transmitted(&mut session, t0);
    assert_eq!(sent.len() as u64, 1 + burst, "CONNECT and every publish");
    for packet in &sent {
        if let Packet::Publish(Publish {
            packet_id: Some(id),
            ..
        }) = packet
        {
            session
                .handle_packet(Packet::PubAck(PublishAck::new(*id)), t0)
                .unwrap();
        }
    }
    assert_eq!(
        events(&mut session).len() as u64,
        1 + burst / 2,
        "connect and every QoS 1 completion (QoS 0 ones complete when written)"
    );
    assert!(session.offline_queue.capacity() <= super::RETAINED_QUEUE_CAPACITY);
    assert!(session.transmit.capacity() <= super::RETAINED_QUEUE_CAPACITY);
    assert!(session.events.capacity() <= super::RETAINED_QUEUE_CAPACITY);
    assert!(session.pending.capacity() <= super::RETAINED_QUEUE_CAPACITY);
}

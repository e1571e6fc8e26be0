//! MQTT 5's protocol rules in the session: what the CONNACK sets, flow control both ways, maximum
//! packet size, Topic Aliases, enhanced authentication, refused acks. Explicit timestamps throughout.

use super::*;
use crate::codec::v5::{Auth, Properties};

fn v5_config(connect: Properties) -> SessionConfig {
    SessionConfig {
        protocol: ProtocolVersion::V5,
        connect_properties: PacketProperties::new(connect),
        ..config()
    }
}

fn connack_with(properties: Properties, session_present: bool) -> Packet {
    Packet::ConnAck(ConnAck {
        properties: PacketProperties::new(properties),
        ..ConnAck::accepted(session_present)
    })
}

/// A v5 session connected with a CONNACK carrying `broker`'s properties.
fn connected_v5(config: SessionConfig, broker: Properties, t0: Instant) -> Session {
    let mut session = Session::new(config, t0);
    session.on_transport_open(t0, t0);
    transmitted(&mut session, t0);
    session
        .handle_packet(connack_with(broker, false), t0)
        .unwrap();
    events(&mut session);
    session
}

fn reconnect_v5(
    session: &mut Session,
    t0: Instant,
    broker: Properties,
    present: bool,
) -> Vec<Packet> {
    session.on_transport_closed(t0);
    session.on_transport_open(t0, t0);
    transmitted(session, t0);
    session
        .handle_packet(connack_with(broker, present), t0)
        .unwrap();
    transmitted(session, t0)
}

fn receive_maximum(max: u16) -> Properties {
    Properties {
        receive_maximum: Some(max),
        ..Properties::default()
    }
}

fn alias_maximum(max: u16) -> Properties {
    Properties {
        topic_alias_maximum: Some(max),
        ..Properties::default()
    }
}

fn publish_with(topic: &str, qos: QoS, token: Token, properties: Properties) -> Command {
    Command::Publish {
        token,
        topic: topic.into(),
        payload: Bytes::from_static(b"payload"),
        qos,
        retain: false,
        properties: PacketProperties::new(properties),
    }
}

fn with_alias(alias: u16) -> Properties {
    Properties {
        topic_alias: Some(alias),
        ..Properties::default()
    }
}

fn inbound(topic: &str, qos: QoS, id: Option<PacketId>, properties: Properties) -> Packet {
    Packet::Publish(Publish {
        dup: false,
        qos,
        retain: false,
        topic: topic.into(),
        packet_id: id,
        payload: Bytes::from_static(b"m"),
        properties: PacketProperties::new(properties),
    })
}

fn puback(id: PacketId) -> Packet {
    Packet::PubAck(PublishAck::new(id))
}

/// (topic, alias) of each PUBLISH sent.
fn topics_and_aliases(packets: &[Packet]) -> Vec<(String, Option<u16>)> {
    packets
        .iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => Some((
                p.topic.to_string(),
                p.properties.get().and_then(|p| p.topic_alias),
            )),
            _ => None,
        })
        .collect()
}

fn failed_with(events: &[Event]) -> Vec<(Token, CommandError)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Published {
                token,
                result: Err(error),
                ..
            } => Some((*token, error.clone())),
            _ => None,
        })
        .collect()
}

fn protocol_error(result: Result<(), SessionError>) -> ProtocolViolation {
    match result {
        Err(SessionError::Protocol(violation)) => violation,
        other => panic!("expected a protocol violation, got {other:?}"),
    }
}

// ---- CONNACK -------------------------------------------------------------------------------

#[test]
fn server_keep_alive_replaces_ours_and_each_connack_sets_it_afresh() {
    let t0 = Instant::now();
    let broker = Properties {
        server_keep_alive: Some(3),
        ..Properties::default()
    };
    let mut session = connected_v5(v5_config(Properties::default()), broker, t0);
    // Ours is 10 s; the broker's 3 s decides when the PINGREQ is due.
    assert_eq!(session.poll_timeout(), Some(t0 + 3 * SECOND));
    session.handle_timeout(t0 + 3 * SECOND).unwrap();
    assert_eq!(
        transmitted(&mut session, t0 + 3 * SECOND),
        vec![Packet::PingReq]
    );

    // The next CONNACK says nothing: our own interval again.
    let t1 = t0 + 60 * SECOND;
    reconnect_v5(&mut session, t1, Properties::default(), false);
    assert_eq!(session.poll_timeout(), Some(t1 + 10 * SECOND));

    // 0 from the broker turns keepalive off.
    let off = Properties {
        server_keep_alive: Some(0),
        ..Properties::default()
    };
    reconnect_v5(&mut session, t1, off, false);
    assert_eq!(session.poll_timeout(), None);
}

#[test]
fn an_assigned_client_identifier_is_used_on_the_next_connect_when_ours_is_empty() {
    let t0 = Instant::now();
    let config = SessionConfig {
        client_id: Bytes::new(),
        clean_session: false,
        ..v5_config(Properties::default())
    };
    let assigned = Properties {
        assigned_client_identifier: Some("auto-1234".into()),
        ..Properties::default()
    };
    let mut session = connected_v5(config, assigned, t0);
    session.on_transport_closed(t0);
    session.on_transport_open(t0, t0);
    match &transmitted(&mut session, t0)[..] {
        [Packet::Connect(connect)] => {
            assert_eq!(connect.client_id, Bytes::from_static(b"auto-1234"))
        }
        other => panic!("expected CONNECT, got {other:?}"),
    }

    // An identifier of our own is never replaced.
    let mut own = connected_v5(
        v5_config(Properties::default()),
        Properties {
            assigned_client_identifier: Some("other".into()),
            ..Properties::default()
        },
        t0,
    );
    own.on_transport_closed(t0);
    own.on_transport_open(t0, t0);
    assert!(matches!(
        &transmitted(&mut own, t0)[..],
        [Packet::Connect(connect)] if connect.client_id == Bytes::from_static(b"tester")
    ));
}

#[test]
fn the_connect_carries_the_configured_properties() {
    let t0 = Instant::now();
    let connect = Properties {
        session_expiry_interval: Some(300),
        receive_maximum: Some(5),
        ..Properties::default()
    };
    let mut session = Session::new(v5_config(connect.clone()), t0);
    session.on_transport_open(t0, t0);
    match &transmitted(&mut session, t0)[..] {
        [Packet::Connect(packet)] => assert_eq!(packet.properties.get(), Some(&connect)),
        other => panic!("expected CONNECT, got {other:?}"),
    }
}

// ---- flow control: the broker's Receive Maximum --------------------------------------------

#[test]
fn publishes_beyond_the_broker_receive_maximum_wait_in_order_and_go_as_acks_free_room() {
    let t0 = Instant::now();
    let mut session = connected_v5(v5_config(Properties::default()), receive_maximum(2), t0);
    for token in 1..=5 {
        session.handle_command(publish("t", QoS::AtLeastOnce, token), t0);
    }
    // QoS 0 is not counted and does not wait.
    session.handle_command(publish("q0", QoS::AtMostOnce, 6), t0);
    let sent = transmitted(&mut session, t0);
    assert_eq!(
        sent_publish(&sent),
        vec![(Some(1), false), (Some(2), false), (None, false)]
    );
    assert_eq!(session.send_quota.in_flight(), 2);

    session.handle_packet(puback(2), t0).unwrap();
    assert_eq!(
        sent_publish(&transmitted(&mut session, t0)),
        vec![(Some(3), false)]
    );
    session.handle_packet(puback(1), t0).unwrap();
    session.handle_packet(puback(3), t0).unwrap();
    assert_eq!(
        sent_publish(&transmitted(&mut session, t0)),
        vec![(Some(4), false), (Some(5), false)]
    );
    session.handle_packet(puback(4), t0).unwrap();
    session.handle_packet(puback(5), t0).unwrap();
    // Every publish completed, none lost or failed.
    let done: Vec<Token> = events(&mut session)
        .iter()
        .filter_map(|e| match e {
            Event::Published {
                token,
                result: Ok(_),
                ..
            } => Some(*token),
            _ => None,
        })
        .collect();
    assert_eq!(done, vec![2, 1, 3, 4, 5]);
    assert_eq!(session.in_flight(), 0);
}

#[test]
fn a_qos2_exchange_holds_its_place_until_pubcomp() {
    let t0 = Instant::now();
    let mut session = connected_v5(v5_config(Properties::default()), receive_maximum(1), t0);
    session.handle_command(publish("a", QoS::ExactlyOnce, 1), t0);
    session.handle_command(publish("b", QoS::ExactlyOnce, 2), t0);
    assert_eq!(
        sent_publish(&transmitted(&mut session, t0)),
        vec![(Some(1), false)]
    );
    session
        .handle_packet(Packet::PubRec(PublishAck::new(1)), t0)
        .unwrap();
    // PUBREL goes, the second PUBLISH does not: the first exchange is not over.
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::PubRel(PublishAck::new(1))]
    );
    session
        .handle_packet(Packet::PubComp(PublishAck::new(1)), t0)
        .unwrap();
    assert_eq!(
        sent_publish(&transmitted(&mut session, t0)),
        vec![(Some(2), false)]
    );
}

#[test]
fn a_refused_pubrec_ends_the_exchange_without_pubrel_and_frees_its_place() {
    let t0 = Instant::now();
    let mut session = connected_v5(v5_config(Properties::default()), receive_maximum(1), t0);
    session.handle_command(publish("a", QoS::ExactlyOnce, 1), t0);
    session.handle_command(publish("b", QoS::AtLeastOnce, 2), t0);
    transmitted(&mut session, t0);
    let refusal = PublishAck {
        reason_code: ReasonCode::QUOTA_EXCEEDED,
        ..PublishAck::new(1)
    };
    session
        .handle_packet(Packet::PubRec(refusal.clone()), t0)
        .unwrap();
    assert_eq!(
        sent_publish(&transmitted(&mut session, t0)),
        vec![(Some(2), false)]
    );
    assert_eq!(
        failed_with(&events(&mut session)),
        vec![(1, CommandError::Refused(refusal))]
    );
    // "No matching subscribers" (0x10) is a success.
    let no_subscribers = PublishAck {
        reason_code: ReasonCode::NO_MATCHING_SUBSCRIBERS,
        ..PublishAck::new(2)
    };
    session
        .handle_packet(Packet::PubAck(no_subscribers.clone()), t0)
        .unwrap();
    assert!(matches!(
        &events(&mut session)[..],
        [Event::Published { token: 2, result: Ok(Some(ack)), .. }] if *ack == no_subscribers
    ));
}

#[test]
fn the_resend_after_a_reconnect_respects_the_new_receive_maximum_in_order() {
    let t0 = Instant::now();
    let config = SessionConfig {
        clean_session: false,
        ..v5_config(Properties::default())
    };
    let mut session = connected_v5(config, receive_maximum(3), t0);
    for token in 1..=5 {
        session.handle_command(publish("t", QoS::AtLeastOnce, token), t0);
    }
    assert_eq!(sent_publish(&transmitted(&mut session, t0)).len(), 3);
    // The broker kept the session and now allows 2: ids 1 and 2 again as duplicates; 3 (sent
    // before, so a duplicate when it goes), 4 and 5 (never sent) wait.
    let resent = reconnect_v5(&mut session, t0, receive_maximum(2), true);
    assert_eq!(
        sent_publish(&resent),
        vec![(Some(1), true), (Some(2), true)]
    );
    session.handle_packet(puback(1), t0).unwrap();
    assert_eq!(
        sent_publish(&transmitted(&mut session, t0)),
        vec![(Some(3), true)]
    );
    session.handle_packet(puback(2), t0).unwrap();
    session.handle_packet(puback(3), t0).unwrap();
    assert_eq!(
        sent_publish(&transmitted(&mut session, t0)),
        vec![(Some(4), false), (Some(5), false)]
    );
}

#[test]
fn a_withdrawn_publish_waiting_for_room_is_never_sent_and_one_in_flight_keeps_its_place_until_acked(
) {
    let t0 = Instant::now();
    let mut session = connected_v5(v5_config(Properties::default()), receive_maximum(1), t0);
    session.handle_command(publish("a", QoS::AtLeastOnce, 1), t0);
    session.handle_command(publish("b", QoS::AtLeastOnce, 2), t0);
    session.handle_command(publish("c", QoS::AtLeastOnce, 3), t0);
    transmitted(&mut session, t0);
    session.handle_command(Command::RemoveOutgoing(2), t0);
    session.handle_command(Command::RemoveOutgoing(1), t0);
    // Id 1 was sent: it holds its place until the broker's PUBACK.
    assert!(transmitted(&mut session, t0).is_empty());
    session.handle_packet(puback(1), t0).unwrap();
    assert_eq!(
        sent_publish(&transmitted(&mut session, t0)),
        vec![(Some(3), false)]
    );
}

// ---- flow control: our Receive Maximum -----------------------------------------------------

#[test]
fn more_unacknowledged_inbound_qos2_than_our_receive_maximum_is_a_violation_0x93() {
    let t0 = Instant::now();
    let mut session = connected_v5(v5_config(receive_maximum(2)), Properties::default(), t0);
    for id in 1..=2 {
        session
            .handle_packet(
                inbound("t", QoS::ExactlyOnce, Some(id), Properties::default()),
                t0,
            )
            .unwrap();
    }
    // A resend of one held is not new.
    session
        .handle_packet(
            inbound("t", QoS::ExactlyOnce, Some(2), Properties::default()),
            t0,
        )
        .unwrap();
    let violation = protocol_error(session.handle_packet(
        inbound("t", QoS::ExactlyOnce, Some(3), Properties::default()),
        t0,
    ));
    assert_eq!(
        violation,
        ProtocolViolation::ReceiveMaximumExceeded {
            in_flight: 3,
            max: 2
        }
    );
    assert_eq!(
        violation.disconnect_reason_code(),
        ReasonCode::RECEIVE_MAXIMUM_EXCEEDED
    );
    assert_eq!(violation.reason_code(), Some(0x93));
}

#[test]
fn inbound_messages_acknowledged_at_once_never_count_and_a_pubrel_frees_a_place() {
    let t0 = Instant::now();
    let mut session = connected_v5(v5_config(receive_maximum(1)), Properties::default(), t0);
    for id in 1..=5 {
        session
            .handle_packet(
                inbound("t", QoS::AtLeastOnce, Some(id), Properties::default()),
                t0,
            )
            .unwrap();
    }
    session
        .handle_packet(
            inbound("t", QoS::ExactlyOnce, Some(9), Properties::default()),
            t0,
        )
        .unwrap();
    session
        .handle_packet(Packet::PubRel(PublishAck::new(9)), t0)
        .unwrap();
    session
        .handle_packet(
            inbound("t", QoS::ExactlyOnce, Some(10), Properties::default()),
            t0,
        )
        .unwrap();
}

#[test]
fn with_manual_acks_a_message_the_application_holds_counts_until_acknowledged() {
    let t0 = Instant::now();
    let config = SessionConfig {
        manual_acks: true,
        ..v5_config(receive_maximum(1))
    };
    let mut session = connected_v5(config, Properties::default(), t0);
    session
        .handle_packet(
            inbound("t", QoS::AtLeastOnce, Some(1), Properties::default()),
            t0,
        )
        .unwrap();
    assert!(session
        .handle_packet(
            inbound("t", QoS::AtLeastOnce, Some(2), Properties::default()),
            t0
        )
        .is_err());
    let mut session = connected_v5(
        SessionConfig {
            manual_acks: true,
            ..v5_config(receive_maximum(1))
        },
        Properties::default(),
        t0,
    );
    session
        .handle_packet(
            inbound("t", QoS::AtLeastOnce, Some(1), Properties::default()),
            t0,
        )
        .unwrap();
    session.acknowledge(1, 1, ReasonCode::SUCCESS);
    session
        .handle_packet(
            inbound("t", QoS::AtLeastOnce, Some(2), Properties::default()),
            t0,
        )
        .unwrap();
}

// ---- Maximum Packet Size, Maximum QoS, Retain Available ------------------------------------

#[test]
fn a_publish_over_the_broker_maximum_packet_size_fails_and_is_never_sent() {
    let t0 = Instant::now();
    let broker = Properties {
        maximum_packet_size: Some(64),
        ..Properties::default()
    };
    let mut session = connected_v5(v5_config(Properties::default()), broker, t0);
    let big = Command::Publish {
        token: 1,
        topic: "t".into(),
        payload: Bytes::from(vec![0; 100]),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: PacketProperties::NONE,
    };
    session.handle_command(big, t0);
    session.handle_command(publish("t", QoS::AtLeastOnce, 2), t0);
    assert_eq!(
        sent_publish(&transmitted(&mut session, t0)),
        vec![(Some(1), false)]
    );
    let failed = failed_with(&events(&mut session));
    assert_eq!(
        failed,
        vec![(1, CommandError::PacketTooLarge { size: 108, max: 64 })]
    );
    assert_eq!(
        failed[0].1.to_string(),
        "Publish too large: its packet would be 108 bytes, over the maximum of 64 bytes; nothing was sent"
    );
}

#[test]
fn publishes_made_offline_that_the_new_connack_does_not_allow_fail_instead_of_going_out() {
    let t0 = Instant::now();
    let mut session = Session::new(v5_config(Properties::default()), t0);
    session.handle_command(publish("ok", QoS::AtLeastOnce, 1), t0);
    session.handle_command(publish("q2", QoS::ExactlyOnce, 2), t0);
    session.handle_command(
        Command::Publish {
            token: 3,
            topic: "kept".into(),
            payload: Bytes::from_static(b"payload"),
            qos: QoS::AtMostOnce,
            retain: true,
            properties: PacketProperties::NONE,
        },
        t0,
    );
    session.handle_command(publish("q0", QoS::AtMostOnce, 4), t0);
    session.on_transport_open(t0, t0);
    transmitted(&mut session, t0);
    let broker = Properties {
        maximum_qos: Some(QoS::AtLeastOnce),
        retain_available: Some(false),
        ..Properties::default()
    };
    session
        .handle_packet(connack_with(broker, false), t0)
        .unwrap();
    let sent = transmitted(&mut session, t0);
    assert_eq!(
        topics_and_aliases(&sent),
        vec![("ok".into(), None), ("q0".into(), None)]
    );
    assert_eq!(
        failed_with(&events(&mut session)),
        vec![
            (2, CommandError::QoSNotSupported { qos: 2, max: 1 }),
            (3, CommandError::RetainNotSupported)
        ]
    );
}

// ---- Topic Aliases -------------------------------------------------------------------------

#[test]
fn inbound_aliases_resolve_topics_and_are_forgotten_on_reconnect() {
    let t0 = Instant::now();
    let mut session = connected_v5(v5_config(alias_maximum(5)), Properties::default(), t0);
    session
        .handle_packet(inbound("a/b", QoS::AtMostOnce, None, with_alias(2)), t0)
        .unwrap();
    session
        .handle_packet(inbound("", QoS::AtMostOnce, None, with_alias(2)), t0)
        .unwrap();
    let topics: Vec<String> = events(&mut session)
        .iter()
        .filter_map(|e| e.message().map(|m| m.topic.to_string()))
        .collect();
    assert_eq!(topics, vec!["a/b", "a/b"]);

    reconnect_v5(&mut session, t0, Properties::default(), false);
    let violation = protocol_error(
        session.handle_packet(inbound("", QoS::AtMostOnce, None, with_alias(2)), t0),
    );
    assert_eq!(violation, ProtocolViolation::UnknownTopicAlias { alias: 2 });
    let violation = protocol_error(
        session.handle_packet(inbound("x", QoS::AtMostOnce, None, with_alias(6)), t0),
    );
    assert_eq!(
        violation.disconnect_reason_code(),
        ReasonCode::TOPIC_ALIAS_INVALID
    );
}

#[test]
fn an_inbound_alias_when_we_allowed_none_is_topic_alias_invalid() {
    let t0 = Instant::now();
    let mut session = connected_v5(v5_config(Properties::default()), Properties::default(), t0);
    let violation = protocol_error(
        session.handle_packet(inbound("x", QoS::AtLeastOnce, Some(1), with_alias(1)), t0),
    );
    assert_eq!(
        violation,
        ProtocolViolation::TopicAliasNotAllowed { alias: 1 }
    );
    assert_eq!(violation.reason_code(), Some(0x94));
}

#[test]
fn an_explicit_alias_above_the_broker_maximum_fails_the_publish_and_sends_nothing() {
    let t0 = Instant::now();
    let mut session = connected_v5(v5_config(Properties::default()), alias_maximum(2), t0);
    session.handle_command(publish_with("t", QoS::AtLeastOnce, 1, with_alias(3)), t0);
    session.handle_command(publish_with("", QoS::AtMostOnce, 2, with_alias(1)), t0);
    assert!(transmitted(&mut session, t0).is_empty());
    let failed = failed_with(&events(&mut session));
    assert_eq!(
        failed,
        vec![
            (1, CommandError::TopicAliasOutOfRange { alias: 3, max: 2 }),
            (2, CommandError::UnregisteredTopicAlias { alias: 1 })
        ]
    );
    // MQTT.js's texts, exactly.
    assert_eq!(failed[0].1.to_string(), "Sending Topic Alias out of range");
    assert_eq!(failed[1].1.to_string(), "Unregistered Topic Alias");
    // No broker maximum at all: any alias is out of range.
    let mut none = connected_v5(v5_config(Properties::default()), Properties::default(), t0);
    none.handle_command(publish_with("t", QoS::AtMostOnce, 1, with_alias(1)), t0);
    assert!(transmitted(&mut none, t0).is_empty());
}

#[test]
fn an_explicit_alias_is_set_then_used_and_a_resend_after_reconnect_carries_the_whole_topic() {
    let t0 = Instant::now();
    let config = SessionConfig {
        clean_session: false,
        ..v5_config(Properties::default())
    };
    let mut session = connected_v5(config, alias_maximum(5), t0);
    session.handle_command(publish_with("a/b", QoS::AtLeastOnce, 1, with_alias(1)), t0);
    session.handle_command(publish_with("", QoS::AtLeastOnce, 2, with_alias(1)), t0);
    assert_eq!(
        topics_and_aliases(&transmitted(&mut session, t0)),
        vec![("a/b".into(), Some(1)), ("".into(), Some(1))]
    );
    let resent = reconnect_v5(&mut session, t0, alias_maximum(5), true);
    assert_eq!(
        topics_and_aliases(&resent),
        vec![("a/b".into(), None), ("a/b".into(), None)]
    );
}

#[test]
fn auto_assign_sets_aliases_per_connection_and_uses_them() {
    let t0 = Instant::now();
    let config = SessionConfig {
        auto_assign_topic_alias: true,
        ..v5_config(Properties::default())
    };
    let mut session = connected_v5(config, alias_maximum(2), t0);
    for (token, topic) in [(1, "a"), (2, "b"), (3, "a"), (4, "c"), (5, "b")] {
        session.handle_command(publish(topic, QoS::AtMostOnce, token), t0);
    }
    assert_eq!(
        topics_and_aliases(&transmitted(&mut session, t0)),
        vec![
            ("a".into(), Some(1)),
            ("b".into(), Some(2)),
            ("".into(), Some(1)),
            // Both set: "b" (2) is the least recently used.
            ("c".into(), Some(2)),
            ("b".into(), Some(1)),
        ]
    );
    // A new connection starts afresh: the topic goes whole with the alias again.
    reconnect_v5(&mut session, t0, alias_maximum(2), false);
    session.handle_command(publish("a", QoS::AtMostOnce, 6), t0);
    assert_eq!(
        topics_and_aliases(&transmitted(&mut session, t0)),
        vec![("a".into(), Some(1))]
    );
}

#[test]
fn auto_use_sends_only_aliases_already_set() {
    let t0 = Instant::now();
    let config = SessionConfig {
        auto_use_topic_alias: true,
        ..v5_config(Properties::default())
    };
    let mut session = connected_v5(config, alias_maximum(2), t0);
    session.handle_command(publish("a", QoS::AtMostOnce, 1), t0);
    session.handle_command(publish_with("a", QoS::AtMostOnce, 2, with_alias(2)), t0);
    session.handle_command(publish("a", QoS::AtMostOnce, 3), t0);
    assert_eq!(
        topics_and_aliases(&transmitted(&mut session, t0)),
        vec![
            ("a".into(), None),
            ("a".into(), Some(2)),
            ("".into(), Some(2))
        ]
    );
}

#[test]
fn a_publish_near_the_maximum_packet_size_goes_whole_and_sets_no_alias() {
    let t0 = Instant::now();
    let config = SessionConfig {
        auto_assign_topic_alias: true,
        ..v5_config(Properties::default())
    };
    let broker = Properties {
        maximum_packet_size: Some(20),
        topic_alias_maximum: Some(2),
        ..Properties::default()
    };
    let mut session = connected_v5(config, broker, t0);
    // 1 + 1 + (2 + 1) + 1 + 13 = 19 bytes: fits, but not with an alias.
    session.handle_command(
        Command::Publish {
            token: 1,
            topic: "a".into(),
            payload: Bytes::from(vec![0; 13]),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: PacketProperties::NONE,
        },
        t0,
    );
    session.handle_command(publish("a", QoS::AtMostOnce, 2), t0);
    assert_eq!(
        topics_and_aliases(&transmitted(&mut session, t0)),
        vec![("a".into(), None), ("a".into(), Some(1))]
    );
}

// ---- enhanced authentication ---------------------------------------------------------------

fn auth(code: ReasonCode, method: &str) -> Auth {
    Auth {
        reason_code: code,
        properties: Properties {
            authentication_method: Some(method.into()),
            ..Properties::default()
        },
    }
}

#[test]
fn an_auth_challenge_during_connect_goes_to_the_application_whose_answer_is_sent() {
    let t0 = Instant::now();
    let mut session = Session::new(
        v5_config(Properties {
            authentication_method: Some("SCRAM".into()),
            ..Properties::default()
        }),
        t0,
    );
    session.on_transport_open(t0, t0);
    transmitted(&mut session, t0);
    let challenge = auth(ReasonCode::CONTINUE_AUTHENTICATION, "SCRAM");
    session
        .handle_packet(Packet::Auth(Box::new(challenge.clone())), t0 + SECOND)
        .unwrap();
    assert_eq!(events(&mut session), vec![Event::Auth(Box::new(challenge))]);
    // The connect timeout still runs from the attempt's start.
    assert_eq!(session.poll_timeout(), Some(t0 + 30 * SECOND));
    let answer = Auth {
        reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
        properties: Properties::default(),
    };
    session.handle_command(Command::AuthContinue(Box::new(answer)), t0 + SECOND);
    match &transmitted(&mut session, t0 + SECOND)[..] {
        [Packet::Auth(sent)] => {
            assert_eq!(sent.reason_code, ReasonCode::CONTINUE_AUTHENTICATION);
            assert_eq!(
                sent.properties.authentication_method.as_deref(),
                Some("SCRAM")
            );
        }
        other => panic!("expected AUTH, got {other:?}"),
    }
    session.handle_packet(connack(false), t0 + SECOND).unwrap();
    assert!(session.is_connected());
    assert_eq!(
        session.handle_timeout(t0 + 30 * SECOND),
        Ok(()),
        "no CONNACK timeout once connected"
    );
}

#[test]
fn an_auth_without_enhanced_authentication_or_with_another_method_is_a_protocol_error() {
    let t0 = Instant::now();
    let mut session = Session::new(v5_config(Properties::default()), t0);
    session.on_transport_open(t0, t0);
    let violation = protocol_error(session.handle_packet(
        Packet::Auth(Box::new(auth(ReasonCode::CONTINUE_AUTHENTICATION, "SCRAM"))),
        t0,
    ));
    assert_eq!(violation, ProtocolViolation::UnexpectedAuth);
    assert_eq!(
        violation.disconnect_reason_code(),
        ReasonCode::PROTOCOL_ERROR
    );

    let mut session = Session::new(
        v5_config(Properties {
            authentication_method: Some("SCRAM".into()),
            ..Properties::default()
        }),
        t0,
    );
    session.on_transport_open(t0, t0);
    let violation = protocol_error(session.handle_packet(
        Packet::Auth(Box::new(auth(ReasonCode::CONTINUE_AUTHENTICATION, "PLAIN"))),
        t0,
    ));
    assert!(matches!(
        violation,
        ProtocolViolation::AuthMethodMismatch { .. }
    ));
}

#[test]
fn reauthentication_sends_auth_0x19_and_takes_the_broker_s_answers() {
    let t0 = Instant::now();
    let mut session = connected_v5(
        v5_config(Properties {
            authentication_method: Some("SCRAM".into()),
            ..Properties::default()
        }),
        Properties::default(),
        t0,
    );
    let request = Auth {
        reason_code: ReasonCode::SUCCESS,
        properties: Properties::default(),
    };
    session.handle_command(Command::Reauthenticate(Box::new(request)), t0);
    match &transmitted(&mut session, t0)[..] {
        [Packet::Auth(sent)] => {
            assert_eq!(sent.reason_code, ReasonCode::RE_AUTHENTICATE);
            assert_eq!(
                sent.properties.authentication_method.as_deref(),
                Some("SCRAM")
            );
        }
        other => panic!("expected AUTH, got {other:?}"),
    }
    let challenge = auth(ReasonCode::CONTINUE_AUTHENTICATION, "SCRAM");
    session
        .handle_packet(Packet::Auth(Box::new(challenge)), t0)
        .unwrap();
    let success = auth(ReasonCode::SUCCESS, "SCRAM");
    session
        .handle_packet(Packet::Auth(Box::new(success.clone())), t0)
        .unwrap();
    assert_eq!(events(&mut session).len(), 2);
    // Over: another AUTH is unexpected.
    assert_eq!(
        protocol_error(session.handle_packet(Packet::Auth(Box::new(success)), t0)),
        ProtocolViolation::UnexpectedAuth
    );
}

#[test]
fn a_v3_session_pays_nothing_for_v5_rules() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    for token in 1..=100 {
        session.handle_command(publish("t", QoS::AtLeastOnce, token), t0);
    }
    assert_eq!(sent_publish(&transmitted(&mut session, t0)).len(), 100);
    assert!(!session.aliases_out.is_active());
    assert_eq!(session.limits, BrokerLimits::default());
}

#[test]
fn a_subscribe_or_unsubscribe_over_the_broker_maximum_packet_size_fails_and_is_never_sent() {
    let t0 = Instant::now();
    let broker = Properties {
        maximum_packet_size: Some(32),
        ..Properties::default()
    };
    let mut session = connected_v5(v5_config(Properties::default()), broker, t0);
    let long = "x".repeat(40);
    session.handle_command(
        Command::Subscribe {
            token: 1,
            filters: vec![SubscribeFilter::new(long.clone(), QoS::AtMostOnce)],
            properties: PacketProperties::NONE,
        },
        t0,
    );
    session.handle_command(
        Command::Unsubscribe {
            token: 2,
            filters: vec![long],
            properties: PacketProperties::NONE,
        },
        t0,
    );
    session.handle_command(
        Command::Subscribe {
            token: 3,
            filters: vec![SubscribeFilter::new("short", QoS::AtMostOnce)],
            properties: PacketProperties::NONE,
        },
        t0,
    );
    let sent = transmitted(&mut session, t0);
    assert!(matches!(&sent[..], [Packet::Subscribe(s)] if s.filters[0].filter == "short"));
    let events = events(&mut session);
    match &events[..] {
        [Event::Subscribed {
            token: 1,
            result: Err(sub_error),
            ..
        }, Event::Unsubscribed {
            token: 2,
            result: Err(unsub_error),
            ..
        }] => {
            assert_eq!(
                sub_error.to_string(),
                "subscribe too large: its packet would be 48 bytes, over the broker's Maximum Packet Size of 32 bytes; nothing was sent"
            );
            assert_eq!(unsub_error.code(), Some("ERR_MQTT_PACKET_TOO_LARGE"));
        }
        other => panic!("expected two failures, got {other:?}"),
    }
}

#[test]
fn a_disconnect_over_the_broker_maximum_packet_size_loses_its_reason_string_and_user_properties() {
    let t0 = Instant::now();
    let broker = Properties {
        maximum_packet_size: Some(64),
        ..Properties::default()
    };
    let mut session = connected_v5(v5_config(Properties::default()), broker, t0);
    let wordy = Disconnect {
        reason_code: ReasonCode::DISCONNECT_WITH_WILL_MESSAGE,
        properties: PacketProperties::new(Properties {
            session_expiry_interval: Some(0),
            reason_string: Some("x".repeat(100).into()),
            user_properties: vec![("k".into(), "v".into())],
            ..Properties::default()
        }),
    };
    session.handle_command(Command::Disconnect(wordy), t0);
    let sent = transmitted(&mut session, t0);
    let expected = Disconnect {
        reason_code: ReasonCode::DISCONNECT_WITH_WILL_MESSAGE,
        properties: PacketProperties::new(Properties {
            session_expiry_interval: Some(0),
            ..Properties::default()
        }),
    };
    assert_eq!(sent, vec![Packet::Disconnect(expected)]);

    // One that fits goes as given.
    let mut session = connected_v5(
        v5_config(Properties::default()),
        Properties {
            maximum_packet_size: Some(64),
            ..Properties::default()
        },
        t0,
    );
    let short = Disconnect {
        reason_code: ReasonCode::NORMAL_DISCONNECTION,
        properties: PacketProperties::new(Properties {
            reason_string: Some("bye".into()),
            ..Properties::default()
        }),
    };
    session.handle_command(Command::Disconnect(short.clone()), t0);
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::Disconnect(short)]
    );
}

// ---- customHandleAcks: the application's reason code on a QoS 2 PUBREC ----------------

fn holding_pubrec() -> SessionConfig {
    SessionConfig {
        hold_pubrec: true,
        manual_acks: true,
        ..v5_config(Properties::default())
    }
}

fn pubrec(id: PacketId, reason_code: ReasonCode) -> Packet {
    Packet::PubRec(PublishAck {
        reason_code,
        ..PublishAck::new(id)
    })
}

fn held_publish(packet: &Packet, connection: u32) -> Event {
    let Packet::Publish(publish) = packet else {
        panic!("not a PUBLISH: {packet:?}")
    };
    held(publish.clone(), connection)
}

#[test]
fn a_held_pubrec_carries_the_applications_success_code_and_pubrel_completes_at_once() {
    let t0 = Instant::now();
    let mut session = connected_v5(holding_pubrec(), Properties::default(), t0);
    transmitted(&mut session, t0);
    events(&mut session);
    let message = inbound("t", QoS::ExactlyOnce, Some(9), Properties::default());
    session.handle_packet(message.clone(), t0).unwrap();
    // Delivered on PUBLISH, and nothing answered until the application decides.
    assert_eq!(events(&mut session), vec![held_publish(&message, 1)]);
    assert!(transmitted(&mut session, t0).is_empty());
    // A resend meanwhile waits for that same decision: no second delivery, no answer.
    session.handle_packet(message.clone(), t0).unwrap();
    assert!(events(&mut session).is_empty());
    assert!(transmitted(&mut session, t0).is_empty());
    session.acknowledge(9, 1, ReasonCode::SUCCESS);
    assert_eq!(
        transmitted(&mut session, t0),
        vec![pubrec(9, ReasonCode::SUCCESS)]
    );
    // A resend after our PUBREC is answered again, never delivered again.
    session.handle_packet(message, t0).unwrap();
    assert!(events(&mut session).is_empty());
    assert_eq!(
        transmitted(&mut session, t0),
        vec![pubrec(9, ReasonCode::SUCCESS)]
    );
    session
        .handle_packet(Packet::PubRel(PublishAck::new(9)), t0)
        .unwrap();
    assert!(events(&mut session).is_empty());
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::PubComp(PublishAck::new(9))]
    );
}

#[test]
fn a_held_pubrec_with_an_error_code_ends_the_exchange() {
    let t0 = Instant::now();
    let mut session = connected_v5(holding_pubrec(), Properties::default(), t0);
    transmitted(&mut session, t0);
    events(&mut session);
    let message = inbound("t", QoS::ExactlyOnce, Some(4), Properties::default());
    session.handle_packet(message.clone(), t0).unwrap();
    assert_eq!(events(&mut session), vec![held_publish(&message, 1)]);
    session.acknowledge(4, 1, ReasonCode::QUOTA_EXCEEDED);
    assert_eq!(
        transmitted(&mut session, t0),
        vec![pubrec(4, ReasonCode::QUOTA_EXCEEDED)]
    );
    // The id is free again [MQTT-4.3.3-4]: the broker's next PUBLISH with it is a new message.
    session.handle_packet(message.clone(), t0).unwrap();
    assert_eq!(events(&mut session), vec![held_publish(&message, 1)]);
}

fn resumable_holding_pubrec(t0: Instant, id: PacketId) -> (Session, Packet) {
    let mut session = connected_v5(
        SessionConfig {
            clean_session: false,
            ..holding_pubrec()
        },
        Properties::default(),
        t0,
    );
    transmitted(&mut session, t0);
    events(&mut session);
    let message = inbound("t", QoS::ExactlyOnce, Some(id), Properties::default());
    session.handle_packet(message.clone(), t0).unwrap();
    assert_eq!(events(&mut session), vec![held_publish(&message, 1)]);
    (session, message)
}

#[test]
fn a_pubrec_held_over_a_resumed_session_answers_the_resent_publish_without_a_second_delivery() {
    let t0 = Instant::now();
    let (mut session, message) = resumable_holding_pubrec(t0, 3);
    assert!(reconnect(&mut session, t0 + SECOND, true).is_empty());
    // The broker resends the PUBLISH: the same message, still being decided on.
    session.handle_packet(message, t0 + SECOND).unwrap();
    assert!(events(&mut session)
        .iter()
        .all(|e| matches!(e, Event::Connected { .. })));
    assert!(transmitted(&mut session, t0 + SECOND).is_empty());
    session.acknowledge(3, 1, ReasonCode::SUCCESS);
    assert_eq!(
        transmitted(&mut session, t0 + SECOND),
        vec![pubrec(3, ReasonCode::SUCCESS)]
    );
}

#[test]
fn a_pubrec_decided_offline_answers_the_publish_the_broker_resends() {
    let t0 = Instant::now();
    let (mut session, message) = resumable_holding_pubrec(t0, 3);
    session.on_transport_closed(t0 + SECOND);
    session.acknowledge(3, 1, ReasonCode::SUCCESS);
    assert!(reconnect(&mut session, t0 + 2 * SECOND, true).is_empty());
    session.handle_packet(message, t0 + 2 * SECOND).unwrap();
    assert!(events(&mut session)
        .iter()
        .all(|e| matches!(e, Event::Connected { .. })));
    assert_eq!(
        transmitted(&mut session, t0 + 2 * SECOND),
        vec![pubrec(3, ReasonCode::SUCCESS)]
    );
}

#[test]
fn a_new_session_drops_a_held_pubrec() {
    let t0 = Instant::now();
    let (mut session, _) = resumable_holding_pubrec(t0, 3);
    assert!(reconnect(&mut session, t0 + SECOND, false).is_empty());
    session.acknowledge(3, 1, ReasonCode::SUCCESS);
    assert!(transmitted(&mut session, t0 + SECOND).is_empty());
}

#[test]
fn without_hold_pubrec_qos_2_is_answered_at_once_and_in_3x_the_flag_does_nothing() {
    let t0 = Instant::now();
    for config in [
        SessionConfig {
            manual_acks: true,
            ..v5_config(Properties::default())
        },
        SessionConfig {
            protocol: ProtocolVersion::V311,
            connect_properties: PacketProperties::NONE,
            ..holding_pubrec()
        },
    ] {
        let v5 = config.protocol.is_v5();
        let mut session = if v5 {
            connected_v5(config, Properties::default(), t0)
        } else {
            connected(config, t0)
        };
        transmitted(&mut session, t0);
        session
            .handle_packet(
                inbound("t", QoS::ExactlyOnce, Some(2), Properties::default()),
                t0,
            )
            .unwrap();
        assert_eq!(
            transmitted(&mut session, t0),
            vec![pubrec(2, ReasonCode::SUCCESS)]
        );
    }
}

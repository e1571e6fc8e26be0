//! Client-sized collections: 100,000 subscriptions, 65,535 packet ids in
//! flight, payloads past the protocol's size limit. Each test here does work
//! that a per-call search through the whole collection (the old resubscribe
//! `Vec`, id-by-id probing for a free packet id) turns into minutes.

use super::*;
use crate::codec::{SubscribeReasonCode, UnsubAck, MAX_REMAINING_LEN};

const TOPICS: usize = 100_000;

fn filters(count: usize, qos: QoS) -> Vec<SubscribeFilter> {
    (0..count)
        .map(|i| SubscribeFilter::new(format!("sensors/{i}/temperature"), qos))
        .collect()
}

fn suback(packet_id: PacketId, reason_codes: Vec<SubscribeReasonCode>) -> Packet {
    Packet::SubAck(SubAck {
        packet_id,
        reason_codes,
        properties: PacketProperties::NONE,
    })
}

fn resubscribed_filters(packets: &[Packet]) -> Vec<SubscribeFilter> {
    packets
        .iter()
        .flat_map(|p| match p {
            Packet::Subscribe(subscribe) => subscribe.filters.clone(),
            other => panic!("expected only SUBSCRIBE, got {other:?}"),
        })
        .collect()
}

#[test]
fn a_hundred_thousand_topics_are_resubscribed_in_order_and_all_unsubscribed() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    let all = filters(TOPICS, QoS::AtLeastOnce);
    session.handle_command(
        Command::Subscribe {
            token: 1,
            filters: all.clone(),
            properties: PacketProperties::NONE,
        },
        t0,
    );
    transmitted(&mut session, t0);
    session
        .handle_packet(
            suback(1, vec![SubscribeReasonCode::GrantedQoS1; TOPICS]),
            t0,
        )
        .unwrap();
    // The same topics one call each, the first at a higher QoS: in place, no duplicates.
    session.handle_command(
        Command::Subscribe {
            token: 2,
            filters: filters(1, QoS::ExactlyOnce),
            properties: PacketProperties::NONE,
        },
        t0,
    );
    for (token, filter) in (3..).zip(all.iter().skip(1).take(TOPICS / 10)) {
        session.handle_command(
            Command::Subscribe {
                token,
                filters: vec![filter.clone()],
                properties: PacketProperties::NONE,
            },
            t0,
        );
    }
    let mut expected = all.clone();
    expected[0].qos = QoS::ExactlyOnce;
    assert_eq!(
        resubscribed_filters(&reconnect(&mut session, t0, false)),
        expected
    );

    session.handle_command(
        Command::Unsubscribe {
            token: 9,
            filters: all.iter().map(|f| f.filter.clone()).collect(),
            properties: PacketProperties::NONE,
        },
        t0,
    );
    assert!(reconnect(&mut session, t0, false).is_empty());
}

#[test]
fn a_hundred_thousand_topics_refused_in_one_suback_are_all_forgotten() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(
        Command::Subscribe {
            token: 1,
            filters: filters(TOPICS, QoS::AtMostOnce),
            properties: PacketProperties::NONE,
        },
        t0,
    );
    transmitted(&mut session, t0);
    // Every other topic refused.
    let codes = (0..TOPICS)
        .map(|i| match i % 2 {
            0 => SubscribeReasonCode::Failure,
            _ => SubscribeReasonCode::GrantedQoS0,
        })
        .collect();
    session.handle_packet(suback(1, codes), t0).unwrap();
    let kept = resubscribed_filters(&reconnect(&mut session, t0, false));
    assert_eq!(kept.len(), TOPICS / 2);
    assert_eq!(kept[0].filter, "sensors/1/temperature");
}

/// All 65,535 ids in flight and acknowledged newest first: every allocation
/// has exactly one free id to find, just behind the last one handed out.
#[test]
fn acknowledgements_in_reverse_order_free_ids_for_waiting_publishes_without_a_search_per_id() {
    const WAITING: u64 = 20_000;
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    for token in 1..=65_535 + WAITING {
        session.handle_command(publish("a", QoS::AtLeastOnce, token), t0);
    }
    assert_eq!(sent_publish(&transmitted(&mut session, t0)).len(), 65_535);
    let acked: Vec<PacketId> = (1..=u16::MAX).rev().take(WAITING as usize).collect();
    for id in &acked {
        session
            .handle_packet(Packet::PubAck(PublishAck::new(*id)), t0)
            .unwrap();
    }
    let resent: Vec<PacketId> = sent_publish(&transmitted(&mut session, t0))
        .into_iter()
        .filter_map(|(id, _)| id)
        .collect();
    assert_eq!(resent, acked);
    assert_eq!(session.in_flight(), 65_535);
}

#[test]
fn shutdown_fails_commands_waiting_for_a_packet_id_in_call_order() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    for token in 1..=65_535 {
        session.handle_command(publish("a", QoS::AtLeastOnce, token), t0);
    }
    transmitted(&mut session, t0);
    // No id left: these wait, and so does everything after them (call order).
    session.handle_command(publish("b", QoS::ExactlyOnce, 70_001), t0);
    session.handle_command(
        Command::Subscribe {
            token: 70_002,
            filters: filters(1, QoS::AtMostOnce),
            properties: PacketProperties::NONE,
        },
        t0,
    );
    session.handle_command(
        Command::Unsubscribe {
            token: 70_003,
            filters: vec!["x".into()],
            properties: PacketProperties::NONE,
        },
        t0,
    );
    session.handle_command(publish("c", QoS::AtMostOnce, 70_004), t0);
    assert!(transmitted(&mut session, t0).is_empty());
    assert!(events(&mut session).is_empty());

    session.shutdown();
    let settled: Vec<(Token, &'static str)> = events(&mut session)
        .into_iter()
        .map(|event| match event {
            Event::Published {
                token,
                result: Err(CommandError::ConnectionClosed),
                ..
            } => (token, "publish"),
            Event::Subscribed {
                token,
                result: Err(CommandError::ConnectionClosed),
                ..
            } => (token, "subscribe"),
            Event::Unsubscribed {
                token,
                result: Err(CommandError::ConnectionClosed),
                ..
            } => (token, "unsubscribe"),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    let mut expected: Vec<(Token, &'static str)> = (1..=65_535).map(|t| (t, "publish")).collect();
    expected.extend([
        (70_001, "publish"),
        (70_002, "subscribe"),
        (70_003, "unsubscribe"),
        (70_004, "publish"),
    ]);
    assert_eq!(settled, expected);
    assert!(transmitted(&mut session, t0).is_empty());
}

#[test]
fn graceful_end_waits_for_suback_and_unsuback_before_disconnect() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(
        Command::Subscribe {
            token: 1,
            filters: filters(1, QoS::AtLeastOnce),
            properties: PacketProperties::NONE,
        },
        t0,
    );
    session.handle_command(
        Command::Unsubscribe {
            token: 2,
            filters: vec!["x".into()],
            properties: PacketProperties::NONE,
        },
        t0,
    );
    transmitted(&mut session, t0);
    session.handle_command(Command::Disconnect(Disconnect::NORMAL), t0);
    assert!(transmitted(&mut session, t0).is_empty());
    session
        .handle_packet(suback(1, vec![SubscribeReasonCode::GrantedQoS1]), t0)
        .unwrap();
    assert!(transmitted(&mut session, t0).is_empty());
    session
        .handle_packet(Packet::UnsubAck(UnsubAck::new(2)), t0)
        .unwrap();
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::Disconnect(Disconnect::NORMAL)]
    );
    let order: Vec<&str> = events(&mut session)
        .iter()
        .map(|event| match event {
            Event::Subscribed { result: Ok(_), .. } => "subscribed",
            Event::Unsubscribed { result: Ok(_), .. } => "unsubscribed",
            Event::OutgoingEmpty => "outgoing-empty",
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(order, ["subscribed", "unsubscribed", "outgoing-empty"]);
}

// ---- publishes past the largest packet ------------------------------------

/// A payload that makes a QoS 0 PUBLISH on topic "big" one byte over the
/// protocol's maximum (zeroed by the allocator, never touched: no memory used).
fn oversized_payload() -> Bytes {
    let overhead = 2 + "big".len();
    Bytes::from(vec![0u8; MAX_REMAINING_LEN - overhead + 1])
}

fn big_publish(qos: QoS, token: Token) -> Command {
    Command::Publish {
        token,
        topic: "big".into(),
        payload: oversized_payload(),
        qos,
        retain: false,
        properties: PacketProperties::NONE,
    }
}

fn too_large(event: &Event) -> Option<(Token, usize)> {
    match event {
        Event::Published {
            token,
            packet_id: None,
            result: Err(CommandError::PacketTooLarge { size, max }),
        } if *max == MAX_PACKET_SIZE => Some((*token, *size)),
        _ => None,
    }
}

#[test]
fn an_oversized_publish_fails_at_once_while_connected_and_nothing_is_sent() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    session.handle_command(big_publish(QoS::AtMostOnce, 1), t0);
    session.handle_command(big_publish(QoS::AtLeastOnce, 2), t0);
    session.handle_command(publish("small", QoS::AtLeastOnce, 3), t0);
    let sent = transmitted(&mut session, t0);
    assert_eq!(
        sent_publish(&sent),
        vec![(Some(1), false)],
        "only the small one"
    );
    let events = events(&mut session);
    // One over the maximum remaining length; the QoS 1 one has a 2-byte id too.
    assert_eq!(too_large(&events[0]), Some((1, MAX_PACKET_SIZE + 1)));
    assert_eq!(too_large(&events[1]), Some((2, MAX_PACKET_SIZE + 3)));
    assert_eq!(events.len(), 2);
    assert_eq!(session.in_flight(), 1);
    assert!(session.is_connected());
}

#[test]
fn an_oversized_publish_made_offline_is_not_queued() {
    let t0 = Instant::now();
    let mut session = Session::new(config(), t0);
    session.handle_command(big_publish(QoS::AtMostOnce, 1), t0);
    session.handle_command(big_publish(QoS::ExactlyOnce, 2), t0);
    let failed: Vec<Token> = events(&mut session)
        .iter()
        .filter_map(too_large)
        .map(|(token, _)| token)
        .collect();
    assert_eq!(failed, vec![1, 2]);
    assert_eq!(session.in_flight(), 0);
    session.on_transport_open(t0, t0);
    transmitted(&mut session, t0);
    session.handle_packet(connack(false), t0).unwrap();
    assert!(transmitted(&mut session, t0).is_empty());
}

#[test]
fn a_publish_exactly_at_the_maximum_is_accepted() {
    let t0 = Instant::now();
    let mut session = connected(config(), t0);
    let overhead = 2 + "big".len();
    session.handle_command(
        Command::Publish {
            token: 1,
            topic: "big".into(),
            payload: Bytes::from(vec![0u8; MAX_REMAINING_LEN - overhead]),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: PacketProperties::NONE,
        },
        t0,
    );
    assert_eq!(
        sent_publish(&transmitted(&mut session, t0)),
        vec![(None, false)]
    );
}

//! Subscribe calls split by `subscribe_batch_size` (MQTT.js `subscribeBatchSize`)
//! and joined back: one completion per call, whatever happens to its packets.

use super::*;
use crate::codec::SubscribeReasonCode::{self, Failure, GrantedQoS0, GrantedQoS1, GrantedQoS2};

fn batched(size: usize) -> SessionConfig {
    SessionConfig {
        subscribe_batch_size: Some(size),
        ..config()
    }
}

/// Filters named by `names`, each asking QoS 2.
fn filters(names: &[&str]) -> Vec<SubscribeFilter> {
    names
        .iter()
        .map(|name| SubscribeFilter::new(name.to_string(), QoS::ExactlyOnce))
        .collect()
}

fn subscribe(token: Token, names: &[&str]) -> Command {
    Command::Subscribe {
        token,
        filters: filters(names),
        properties: PacketProperties::NONE,
    }
}

fn suback_of(packet_id: PacketId, reason_codes: Vec<SubscribeReasonCode>) -> SubAck {
    SubAck {
        packet_id,
        reason_codes,
        properties: PacketProperties::NONE,
    }
}

fn answer(session: &mut Session, suback: &SubAck, now: Instant) {
    session
        .handle_packet(Packet::SubAck(suback.clone()), now)
        .unwrap();
}

/// Each SUBSCRIBE sent: its id and its filters.
fn subscribes_sent(packets: &[Packet]) -> Vec<(PacketId, Vec<String>)> {
    packets
        .iter()
        .filter_map(|packet| match packet {
            Packet::Subscribe(s) => Some((
                s.packet_id,
                s.filters.iter().map(|f| f.filter.clone()).collect(),
            )),
            _ => None,
        })
        .collect()
}

fn names(filters: &[&str]) -> Vec<String> {
    filters.iter().map(|f| f.to_string()).collect()
}

/// A graceful end sends DISCONNECT only once nothing is in flight: how these
/// tests see that every packet id of a call was given back.
fn ends_at_once(session: &mut Session, now: Instant) -> bool {
    session.handle_command(Command::Disconnect(Disconnect::NORMAL), now);
    transmitted(session, now).contains(&Packet::Disconnect(Disconnect::NORMAL))
}

#[test]
fn a_call_goes_out_as_packets_of_at_most_the_batch_size_each_with_its_own_id() {
    let t0 = Instant::now();
    let mut session = connected(batched(2), t0);
    session.handle_command(subscribe(1, &["a", "b", "c", "d", "e"]), t0);
    assert_eq!(
        subscribes_sent(&transmitted(&mut session, t0)),
        vec![
            (1, names(&["a", "b"])),
            (2, names(&["c", "d"])),
            (3, names(&["e"]))
        ]
    );
    // One report per id, as allocated (getLastMessageId() and packetsend per packet).
    assert_eq!(ids_allocated(&mut session), vec![1, 2, 3]);
}

#[test]
fn a_call_without_a_filter_fails_at_once_and_sends_nothing() {
    let t0 = Instant::now();
    let mut session = connected(batched(2), t0);
    session.handle_command(subscribe(7, &[]), t0);
    assert!(transmitted(&mut session, t0).is_empty());
    assert!(matches!(
        &events(&mut session)[..],
        [Event::Subscribed {
            token: 7,
            granted,
            result: Err(CommandError::Invalid(reason)),
        }] if granted.is_empty() && reason.contains("[MQTT-3.8.3-3]")
    ));
    assert!(session.subscribe_calls.is_empty());
    // No packet id was taken: the next call gets the first.
    session.handle_command(subscribe(8, &["a"]), t0);
    assert_eq!(
        subscribes_sent(&transmitted(&mut session, t0)),
        vec![(1, names(&["a"]))]
    );
}

#[test]
fn without_a_batch_size_or_with_a_larger_one_a_call_is_one_packet() {
    let t0 = Instant::now();
    for config in [config(), batched(0), batched(10)] {
        let mut session = connected(config, t0);
        session.handle_command(subscribe(1, &["a", "b", "c"]), t0);
        assert_eq!(
            subscribes_sent(&transmitted(&mut session, t0)),
            vec![(1, names(&["a", "b", "c"]))]
        );
    }
}

#[test]
fn the_call_completes_once_after_its_last_answer_with_grants_in_filter_order_and_the_last_packets_suback(
) {
    let t0 = Instant::now();
    let mut session = connected(batched(2), t0);
    session.handle_command(subscribe(7, &["a", "b", "c", "d", "e"]), t0);
    transmitted(&mut session, t0);
    events(&mut session);
    // Answered out of order, the last packet first.
    let last = suback_of(3, vec![GrantedQoS0]);
    answer(&mut session, &last, t0);
    answer(
        &mut session,
        &suback_of(1, vec![GrantedQoS2, GrantedQoS1]),
        t0,
    );
    assert_eq!(events(&mut session), vec![]);
    answer(
        &mut session,
        &suback_of(2, vec![GrantedQoS0, GrantedQoS2]),
        t0,
    );
    assert_eq!(
        events(&mut session),
        vec![Event::Subscribed {
            token: 7,
            granted: vec![
                QoS::ExactlyOnce,
                QoS::AtLeastOnce,
                QoS::AtMostOnce,
                QoS::ExactlyOnce,
                QoS::AtMostOnce
            ],
            // MQTT.js reports the SUBACK of the call's last packet, not the last to arrive.
            result: Ok(last),
        }]
    );
    assert!(session.subscribe_calls.is_empty());
    assert!(ends_at_once(&mut session, t0));
}

#[test]
fn the_first_refusing_suback_fails_the_call_at_once_and_later_answers_only_forget_refused_filters()
{
    let t0 = Instant::now();
    let mut session = connected(batched(2), t0);
    session.handle_command(subscribe(7, &["a", "b", "c", "d", "e", "f"]), t0);
    transmitted(&mut session, t0);
    events(&mut session);
    answer(
        &mut session,
        &suback_of(1, vec![GrantedQoS1, GrantedQoS1]),
        t0,
    );
    let refusing = suback_of(2, vec![GrantedQoS2, Failure]);
    answer(&mut session, &refusing, t0);
    assert_eq!(
        events(&mut session),
        vec![
            Event::SubscriptionsRefused {
                filters: names(&["d"])
            },
            // Granted where an accepting SUBACK said so; the rest as asked (as MQTT.js reports them).
            Event::Subscribed {
                token: 7,
                granted: vec![
                    QoS::AtLeastOnce,
                    QoS::AtLeastOnce,
                    QoS::ExactlyOnce,
                    QoS::ExactlyOnce,
                    QoS::ExactlyOnce,
                    QoS::ExactlyOnce
                ],
                result: Ok(refusing),
            }
        ]
    );
    // The last packet is still answered: its refusal is reported, the call is not again.
    answer(&mut session, &suback_of(3, vec![Failure, GrantedQoS0]), t0);
    assert_eq!(
        events(&mut session),
        vec![Event::SubscriptionsRefused {
            filters: names(&["e"])
        }]
    );
    assert!(session.subscribe_calls.is_empty());
    // Refused filters are not resubscribed.
    let resent = subscribes_sent(&reconnect(&mut session, t0, false));
    assert_eq!(
        resent,
        vec![(4, names(&["a", "b"])), (5, names(&["c", "f"]))]
    );
}

#[test]
fn a_connection_lost_between_answers_fails_the_call_once_with_what_was_granted_before() {
    let t0 = Instant::now();
    let mut session = connected(batched(1), t0);
    session.handle_command(subscribe(7, &["a", "b", "c"]), t0);
    transmitted(&mut session, t0);
    events(&mut session);
    answer(&mut session, &suback_of(1, vec![GrantedQoS0]), t0);
    assert_eq!(events(&mut session), vec![]);
    session.on_transport_closed(t0);
    assert_eq!(
        events(&mut session),
        vec![Event::Subscribed {
            token: 7,
            granted: vec![QoS::AtMostOnce, QoS::ExactlyOnce, QoS::ExactlyOnce],
            result: Err(CommandError::ConnectionClosed),
        }]
    );
    assert!(session.subscribe_calls.is_empty());
    // Nothing of the call is retried by itself: only the resubscribe goes out.
    let resent = subscribes_sent(&reconnect(&mut session, t0, false));
    assert_eq!(
        resent,
        vec![(4, names(&["a"])), (5, names(&["b"])), (6, names(&["c"]))]
    );
    assert_eq!(events(&mut session).len(), 1, "only Connected");
}

#[test]
fn a_call_made_offline_goes_out_after_connack_and_completes_once() {
    let t0 = Instant::now();
    let mut session = Session::new(batched(2), t0);
    session.handle_command(subscribe(7, &["a", "b", "c"]), t0);
    session.on_transport_open(t0, t0);
    transmitted(&mut session, t0);
    session.handle_packet(connack(false), t0).unwrap();
    assert_eq!(
        subscribes_sent(&transmitted(&mut session, t0)),
        vec![(1, names(&["a", "b"])), (2, names(&["c"]))]
    );
    answer(
        &mut session,
        &suback_of(1, vec![GrantedQoS1, GrantedQoS1]),
        t0,
    );
    answer(&mut session, &suback_of(2, vec![GrantedQoS1]), t0);
    let completions: Vec<Event> = events(&mut session)
        .into_iter()
        .filter(|event| matches!(event, Event::Subscribed { .. }))
        .collect();
    assert_eq!(
        completions,
        vec![Event::Subscribed {
            token: 7,
            granted: vec![QoS::AtLeastOnce; 3],
            result: Ok(suback_of(2, vec![GrantedQoS1])),
        }]
    );
}

/// 65,533 publishes in flight leave two ids: the call sends two packets, the
/// rest waits, and what was called after the subscribe waits behind it.
#[test]
fn a_call_that_runs_out_of_packet_ids_waits_for_them_in_call_order_and_completes_once() {
    let t0 = Instant::now();
    let mut session = connected(batched(1), t0);
    for token in 1..=65_533 {
        session.handle_command(publish("p", QoS::AtLeastOnce, token), t0);
    }
    transmitted(&mut session, t0);
    session.handle_command(subscribe(70_000, &["a", "b", "c", "d"]), t0);
    session.handle_command(publish("after", QoS::AtLeastOnce, 70_001), t0);
    assert_eq!(
        subscribes_sent(&transmitted(&mut session, t0)),
        vec![(65_534, names(&["a"])), (65_535, names(&["b"]))]
    );
    events(&mut session);
    // Two publishes acknowledged: their ids go to the rest of the call, not to the later publish.
    session
        .handle_packet(Packet::PubAck(PublishAck::new(10)), t0)
        .unwrap();
    session
        .handle_packet(Packet::PubAck(PublishAck::new(20)), t0)
        .unwrap();
    let sent = transmitted(&mut session, t0);
    assert_eq!(
        subscribes_sent(&sent),
        vec![(10, names(&["c"])), (20, names(&["d"]))]
    );
    assert!(sent_publish(&sent).is_empty());
    for (id, code) in [
        (65_534, GrantedQoS0),
        (10, GrantedQoS1),
        (20, GrantedQoS2),
        (65_535, GrantedQoS1),
    ] {
        answer(&mut session, &suback_of(id, vec![code]), t0);
    }
    let settled: Vec<Event> = events(&mut session)
        .into_iter()
        .filter(|event| matches!(event, Event::Subscribed { .. }))
        .collect();
    assert_eq!(
        settled,
        vec![Event::Subscribed {
            token: 70_000,
            granted: vec![
                QoS::AtMostOnce,
                QoS::AtLeastOnce,
                QoS::AtLeastOnce,
                QoS::ExactlyOnce
            ],
            result: Ok(suback_of(20, vec![GrantedQoS2])),
        }]
    );
    // The publish called after the subscribe went out once the call had all its ids.
    assert_eq!(
        sent_publish(&transmitted(&mut session, t0)),
        vec![(Some(65_534), false)]
    );
}

#[test]
fn shutdown_fails_a_call_half_sent_and_half_waiting_for_ids_once() {
    let t0 = Instant::now();
    let mut session = connected(batched(1), t0);
    for token in 1..=65_534 {
        session.handle_command(publish("p", QoS::AtLeastOnce, token), t0);
    }
    session.handle_command(subscribe(70_000, &["a", "b", "c"]), t0);
    transmitted(&mut session, t0);
    events(&mut session);
    session.shutdown();
    let failed: Vec<Event> = events(&mut session)
        .into_iter()
        .filter(|event| matches!(event, Event::Subscribed { .. }))
        .collect();
    assert_eq!(
        failed,
        vec![Event::Subscribed {
            token: 70_000,
            granted: vec![QoS::ExactlyOnce; 3],
            result: Err(CommandError::ConnectionClosed),
        }]
    );
    assert!(session.subscribe_calls.is_empty());
}

#[test]
fn the_resubscribe_is_split_and_its_refusals_reported_like_a_call() {
    let t0 = Instant::now();
    let mut session = connected(batched(2), t0);
    session.handle_command(subscribe(1, &["a", "b", "c"]), t0);
    transmitted(&mut session, t0);
    answer(
        &mut session,
        &suback_of(1, vec![GrantedQoS2, GrantedQoS2]),
        t0,
    );
    answer(&mut session, &suback_of(2, vec![GrantedQoS2]), t0);
    let resent = subscribes_sent(&reconnect(&mut session, t0, false));
    assert_eq!(resent, vec![(3, names(&["a", "b"])), (4, names(&["c"]))]);
    events(&mut session);
    answer(&mut session, &suback_of(3, vec![Failure, GrantedQoS2]), t0);
    answer(&mut session, &suback_of(4, vec![GrantedQoS2]), t0);
    assert_eq!(
        events(&mut session),
        vec![
            Event::SubscriptionsRefused {
                filters: names(&["a"])
            },
            // Nobody waits for the resubscribe (token 0): the addon does not pass this on.
            Event::Subscribed {
                token: 0,
                granted: vec![QoS::ExactlyOnce; 3],
                result: Ok(suback_of(3, vec![Failure, GrantedQoS2])),
            }
        ]
    );
    assert!(session.subscribe_calls.is_empty());
    let resent = subscribes_sent(&reconnect(&mut session, t0, false));
    assert_eq!(resent, vec![(5, names(&["b", "c"]))]);
}

#[test]
fn a_graceful_end_waits_for_every_packet_of_a_call() {
    let t0 = Instant::now();
    let mut session = connected(batched(1), t0);
    session.handle_command(subscribe(7, &["a", "b"]), t0);
    transmitted(&mut session, t0);
    session.handle_command(Command::Disconnect(Disconnect::NORMAL), t0);
    answer(&mut session, &suback_of(2, vec![GrantedQoS0]), t0);
    assert!(transmitted(&mut session, t0).is_empty());
    answer(&mut session, &suback_of(1, vec![GrantedQoS0]), t0);
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::Disconnect(Disconnect::NORMAL)]
    );
}

/// 100,000 filters in packets of 1,000: 100 ids, one completion with every grant in order.
#[test]
fn a_hundred_thousand_filters_in_packets_of_a_thousand_complete_once_in_order() {
    const TOPICS: usize = 100_000;
    let t0 = Instant::now();
    let mut session = connected(batched(1000), t0);
    let all: Vec<SubscribeFilter> = (0..TOPICS)
        .map(|i| SubscribeFilter::new(format!("sensors/{i}"), QoS::from_u8((i % 3) as u8).unwrap()))
        .collect();
    session.handle_command(
        Command::Subscribe {
            token: 1,
            filters: all.clone(),
            properties: PacketProperties::NONE,
        },
        t0,
    );
    let sent: Vec<Subscribe> = transmitted(&mut session, t0)
        .into_iter()
        .map(|packet| match packet {
            Packet::Subscribe(subscribe) => subscribe,
            other => panic!("expected SUBSCRIBE, got {other:?}"),
        })
        .collect();
    assert_eq!(sent.len(), 100);
    let sent_filters: Vec<SubscribeFilter> = sent
        .iter()
        .flat_map(|s| s.filters.iter().cloned())
        .collect();
    assert_eq!(sent_filters, all);
    // Answered last packet first: the grants still come back in filter order.
    for subscribe in sent.iter().rev() {
        let codes = subscribe
            .filters
            .iter()
            .map(|f| SubscribeReasonCode::granted(f.qos))
            .collect();
        answer(&mut session, &suback_of(subscribe.packet_id, codes), t0);
    }
    let completions: Vec<Event> = events(&mut session)
        .into_iter()
        .filter(|event| matches!(event, Event::Subscribed { .. }))
        .collect();
    let [Event::Subscribed {
        token: 1,
        granted,
        result: Ok(last),
    }] = &completions[..]
    else {
        panic!("expected one completion, got {} events", completions.len());
    };
    assert_eq!(granted, &all.iter().map(|f| f.qos).collect::<Vec<QoS>>());
    assert_eq!(last.packet_id, 100);
}

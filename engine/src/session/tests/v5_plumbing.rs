//! MQTT 5 data carried through the session: properties on what we send, reason
//! codes and properties on what the broker answers. (The MQTT 5 rules — flow
//! control, topic aliases, maximum packet size, authentication — have their
//! own tests.)

use super::*;
use crate::codec::v5::{Properties, ReasonCode};
use crate::codec::{RetainHandling, SubscriptionOptions};

fn v5() -> SessionConfig {
    SessionConfig {
        protocol: ProtocolVersion::V5,
        ..config()
    }
}

fn user_property(name: &str, value: &str) -> PacketProperties {
    PacketProperties::new(Properties {
        user_properties: vec![(name.into(), value.into())],
        ..Properties::default()
    })
}

fn reason_string(text: &str) -> PacketProperties {
    PacketProperties::new(Properties {
        reason_string: Some(text.into()),
        ..Properties::default()
    })
}

fn ack(id: PacketId, code: u8, properties: PacketProperties) -> PublishAck {
    PublishAck {
        packet_id: id,
        reason_code: ReasonCode(code),
        properties,
    }
}

fn publish_with(topic: &str, qos: QoS, token: Token, properties: PacketProperties) -> Command {
    Command::Publish {
        token,
        topic: topic.into(),
        payload: Bytes::from_static(b"payload"),
        qos,
        retain: false,
        properties,
    }
}

fn subscribe_with(
    token: Token,
    filters: &[SubscribeFilter],
    properties: PacketProperties,
) -> Command {
    Command::Subscribe {
        token,
        filters: filters.to_vec(),
        properties,
    }
}

fn sent_properties(packets: &[Packet]) -> Vec<PacketProperties> {
    packets
        .iter()
        .map(|packet| match packet {
            Packet::Publish(p) => p.properties.clone(),
            Packet::Subscribe(s) => s.properties.clone(),
            Packet::Unsubscribe(u) => u.properties.clone(),
            Packet::Disconnect(d) => d.properties.clone(),
            other => panic!("no properties expected on {other:?}"),
        })
        .collect()
}

#[test]
fn connect_carries_the_connect_and_will_properties() {
    let t0 = Instant::now();
    let session_expiry = PacketProperties::new(Properties {
        session_expiry_interval: Some(300),
        receive_maximum: Some(7),
        ..Properties::default()
    });
    let will_delay = PacketProperties::new(Properties {
        will_delay_interval: Some(5),
        ..Properties::default()
    });
    let will = LastWill {
        topic: "will".into(),
        payload: Bytes::from_static(b"gone"),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: will_delay.clone(),
    };
    let mut session = Session::new(
        SessionConfig {
            connect_properties: session_expiry.clone(),
            will: Some(will),
            ..v5()
        },
        t0,
    );
    session.on_transport_open(t0, t0);
    let [Packet::Connect(connect)] = &transmitted(&mut session, t0)[..] else {
        panic!("expected CONNECT");
    };
    assert_eq!(connect.protocol, ProtocolVersion::V5);
    assert_eq!(connect.properties, session_expiry);
    assert_eq!(connect.will.as_ref().unwrap().properties, will_delay);
    // Sent again, unchanged, on every connection.
    session.on_transport_closed(t0);
    session.on_transport_open(t0, t0);
    let [Packet::Connect(again)] = &transmitted(&mut session, t0)[..] else {
        panic!("expected CONNECT");
    };
    assert_eq!(again.properties, session_expiry);
}

#[test]
fn publishes_carry_their_properties_online_offline_and_when_resent() {
    let t0 = Instant::now();
    let kept_session = SessionConfig {
        clean_session: false,
        ..v5()
    };
    let mut session = Session::new(kept_session, t0);
    // Made offline: QoS 0 waits in the offline queue, QoS 1 in flight.
    session.handle_command(
        publish_with("a", QoS::AtMostOnce, 1, user_property("n", "0")),
        t0,
    );
    session.handle_command(
        publish_with("a", QoS::AtLeastOnce, 2, user_property("n", "1")),
        t0,
    );
    session.on_transport_open(t0, t0);
    transmitted(&mut session, t0);
    session.handle_packet(connack(false), t0).unwrap();
    assert_eq!(
        sent_properties(&transmitted(&mut session, t0)),
        vec![user_property("n", "1"), user_property("n", "0")]
    );
    // Made online.
    session.handle_command(
        publish_with("a", QoS::AtMostOnce, 3, user_property("n", "2")),
        t0,
    );
    assert_eq!(
        sent_properties(&transmitted(&mut session, t0)),
        vec![user_property("n", "2")]
    );
    // Resent after a reconnect, with its properties (DUP=1 on a resumed session).
    let resent = reconnect(&mut session, t0, true);
    assert_eq!(sent_properties(&resent), vec![user_property("n", "1")]);
    assert_eq!(sent_publish(&resent), vec![(Some(1), true)]);
}

#[test]
fn puback_success_and_no_matching_subscribers_complete_with_the_ack() {
    let t0 = Instant::now();
    let mut session = connected(v5(), t0);
    session.handle_command(publish("a", QoS::AtLeastOnce, 1), t0);
    session.handle_command(publish("a", QoS::AtLeastOnce, 2), t0);
    transmitted(&mut session, t0);
    let success = ack(1, 0x00, reason_string("ok"));
    let no_subscribers = ack(2, 0x10, PacketProperties::NONE);
    session
        .handle_packet(Packet::PubAck(success.clone()), t0)
        .unwrap();
    session
        .handle_packet(Packet::PubAck(no_subscribers.clone()), t0)
        .unwrap();
    assert_eq!(
        events(&mut session),
        vec![
            Event::Published {
                token: 1,
                packet_id: Some(1),
                result: Ok(Some(success)),
            },
            Event::Published {
                token: 2,
                packet_id: Some(2),
                result: Ok(Some(no_subscribers)),
            },
        ]
    );
    assert_eq!(session.in_flight(), 0);
}

#[test]
fn a_negative_puback_fails_the_publish_with_the_ack_and_frees_its_id() {
    let t0 = Instant::now();
    let mut session = connected(v5(), t0);
    session.handle_command(publish("a", QoS::AtLeastOnce, 1), t0);
    transmitted(&mut session, t0);
    let refused = ack(1, 0x87, reason_string("not yours"));
    session
        .handle_packet(Packet::PubAck(refused.clone()), t0)
        .unwrap();
    let error = CommandError::Refused(refused);
    assert_eq!(error.to_string(), "Publish error: Not authorized");
    assert_eq!(error.reason_code(), Some(ReasonCode::NOT_AUTHORIZED));
    assert_eq!(
        events(&mut session),
        vec![Event::Published {
            token: 1,
            packet_id: Some(1),
            result: Err(error),
        }]
    );
    assert_eq!(session.in_flight(), 0);
    // Nothing is resent after a reconnect: the exchange is over.
    assert!(sent_publish(&reconnect(&mut session, t0, true)).is_empty());
}

#[test]
fn a_negative_pubrec_ends_the_exchange_without_pubrel() {
    let t0 = Instant::now();
    let mut session = connected(v5(), t0);
    session.handle_command(publish("a", QoS::ExactlyOnce, 1), t0);
    transmitted(&mut session, t0);
    let refused = ack(1, 0x97, PacketProperties::NONE);
    session
        .handle_packet(Packet::PubRec(refused.clone()), t0)
        .unwrap();
    assert!(transmitted(&mut session, t0).is_empty(), "no PUBREL");
    assert_eq!(
        events(&mut session),
        vec![Event::Published {
            token: 1,
            packet_id: Some(1),
            result: Err(CommandError::Refused(refused)),
        }]
    );
    assert_eq!(session.in_flight(), 0);
    // A PUBCOMP for it now answers nothing.
    assert!(session
        .handle_packet(Packet::PubComp(PublishAck::new(1)), t0)
        .is_err());
}

#[test]
fn qos2_completes_with_the_pubcomp_and_its_properties() {
    let t0 = Instant::now();
    let mut session = connected(v5(), t0);
    session.handle_command(publish("a", QoS::ExactlyOnce, 1), t0);
    transmitted(&mut session, t0);
    // 0x10 on PUBREC is a success too: PUBREL follows.
    session
        .handle_packet(Packet::PubRec(ack(1, 0x10, PacketProperties::NONE)), t0)
        .unwrap();
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::PubRel(PublishAck::new(1))]
    );
    let pubcomp = ack(1, 0x00, user_property("done", "yes"));
    session
        .handle_packet(Packet::PubComp(pubcomp.clone()), t0)
        .unwrap();
    assert_eq!(
        events(&mut session),
        vec![Event::Published {
            token: 1,
            packet_id: Some(1),
            result: Ok(Some(pubcomp)),
        }]
    );
}

#[test]
fn a_pubcomp_saying_packet_identifier_not_found_fails_the_publish() {
    let t0 = Instant::now();
    let mut session = connected(v5(), t0);
    session.handle_command(publish("a", QoS::ExactlyOnce, 1), t0);
    transmitted(&mut session, t0);
    session
        .handle_packet(Packet::PubRec(PublishAck::new(1)), t0)
        .unwrap();
    let not_found = ack(1, 0x92, PacketProperties::NONE);
    session
        .handle_packet(Packet::PubComp(not_found.clone()), t0)
        .unwrap();
    assert_eq!(
        events(&mut session),
        vec![Event::Published {
            token: 1,
            packet_id: Some(1),
            result: Err(CommandError::Refused(not_found)),
        }]
    );
    assert_eq!(session.in_flight(), 0);
}

#[test]
fn subscribe_carries_options_and_properties_and_resubscribe_sends_them_again() {
    let t0 = Instant::now();
    let mut session = connected(v5(), t0);
    let options = SubscriptionOptions {
        no_local: true,
        retain_as_published: true,
        retain_handling: RetainHandling::DoNotSend,
    };
    let with_options = SubscribeFilter {
        options,
        ..SubscribeFilter::new("a/#", QoS::AtLeastOnce)
    };
    let identifier = PacketProperties::new(Properties {
        subscription_identifiers: vec![42],
        ..Properties::default()
    });
    let plain = SubscribeFilter::new("b", QoS::AtMostOnce);
    let also_plain = SubscribeFilter::new("c", QoS::AtMostOnce);
    session.handle_command(
        subscribe_with(1, std::slice::from_ref(&with_options), identifier.clone()),
        t0,
    );
    session.handle_command(
        subscribe_with(
            2,
            &[plain.clone(), also_plain.clone()],
            PacketProperties::NONE,
        ),
        t0,
    );
    let sent = transmitted(&mut session, t0);
    let [Packet::Subscribe(first), Packet::Subscribe(second)] = &sent[..] else {
        panic!("expected two SUBSCRIBEs, got {sent:?}");
    };
    assert_eq!(first.filters, vec![with_options.clone()]);
    assert_eq!(first.properties, identifier);
    assert_eq!(second.properties, PacketProperties::NONE);
    for (id, count) in [(1, 1), (2, 2)] {
        session
            .handle_packet(
                Packet::SubAck(SubAck {
                    packet_id: id,
                    reason_codes: vec![SubscribeReasonCode::GrantedQoS0; count],
                    properties: PacketProperties::NONE,
                }),
                t0,
            )
            .unwrap();
    }
    // A new session at the broker: each group goes again with its own options and properties.
    let resent = reconnect(&mut session, t0, false);
    let subscribes: Vec<&Subscribe> = resent
        .iter()
        .filter_map(|p| match p {
            Packet::Subscribe(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(subscribes.len(), 2, "{resent:?}");
    assert_eq!(subscribes[0].filters, vec![with_options]);
    assert_eq!(subscribes[0].properties, identifier);
    assert_eq!(subscribes[1].filters, vec![plain, also_plain]);
    assert_eq!(subscribes[1].properties, PacketProperties::NONE);
}

#[test]
fn unsubscribe_carries_properties_and_the_unsuback_codes_come_back() {
    let t0 = Instant::now();
    let mut session = connected(v5(), t0);
    session.handle_command(
        Command::Unsubscribe {
            token: 5,
            filters: vec!["a".into(), "b".into()],
            properties: user_property("why", "done"),
        },
        t0,
    );
    assert_eq!(
        sent_properties(&transmitted(&mut session, t0)),
        vec![user_property("why", "done")]
    );
    let unsuback = UnsubAck {
        packet_id: 1,
        reason_codes: vec![ReasonCode::SUCCESS, ReasonCode::NO_SUBSCRIPTION_EXISTED],
        properties: reason_string("partly"),
    };
    session
        .handle_packet(Packet::UnsubAck(unsuback.clone()), t0)
        .unwrap();
    assert_eq!(
        events(&mut session),
        vec![Event::Unsubscribed {
            token: 5,
            packet_id: 1,
            result: Ok(unsuback),
        }]
    );
}

#[test]
fn a_server_disconnect_is_reported_with_its_reason_and_properties() {
    let t0 = Instant::now();
    let mut session = connected(v5(), t0);
    let disconnect = Disconnect {
        reason_code: ReasonCode::SERVER_SHUTTING_DOWN,
        properties: reason_string("maintenance"),
    };
    session
        .handle_packet(Packet::Disconnect(disconnect.clone()), t0)
        .unwrap();
    assert_eq!(
        events(&mut session),
        vec![Event::ServerDisconnect(disconnect)]
    );
}

#[test]
fn a_graceful_end_sends_the_disconnect_it_was_given() {
    let t0 = Instant::now();
    let disconnect = Disconnect {
        reason_code: ReasonCode::DISCONNECT_WITH_WILL_MESSAGE,
        properties: PacketProperties::new(Properties {
            session_expiry_interval: Some(0),
            ..Properties::default()
        }),
    };
    let mut session = connected(v5(), t0);
    session.handle_command(Command::Disconnect(disconnect.clone()), t0);
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::Disconnect(disconnect.clone())]
    );
    assert!(session.is_finished());
    // MQTT 3.1.1's DISCONNECT has no fields: a normal one goes out whatever was asked.
    let mut v3 = connected(config(), t0);
    v3.handle_command(Command::Disconnect(disconnect), t0);
    assert_eq!(
        transmitted(&mut v3, t0),
        vec![Packet::Disconnect(Disconnect::NORMAL)]
    );
}

#[test]
fn a_manual_ack_sends_its_reason_code_in_v5_only() {
    let t0 = Instant::now();
    let inbound = |id| {
        Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: false,
            topic: "a".into(),
            packet_id: Some(id),
            payload: Bytes::new(),
            properties: PacketProperties::NONE,
        })
    };
    for (config, expected) in [
        (v5(), ReasonCode::QUOTA_EXCEEDED),
        (config(), ReasonCode::SUCCESS),
    ] {
        let mut session = connected(
            SessionConfig {
                manual_acks: true,
                ..config
            },
            t0,
        );
        session.handle_packet(inbound(7), t0).unwrap();
        assert!(transmitted(&mut session, t0).is_empty());
        session.acknowledge(7, 1, ReasonCode::QUOTA_EXCEEDED);
        assert_eq!(
            transmitted(&mut session, t0),
            vec![Packet::PubAck(ack(7, expected.0, PacketProperties::NONE))]
        );
    }
}

#[test]
fn auth_goes_out_on_a_v5_link_only() {
    let t0 = Instant::now();
    let auth = Box::new(crate::codec::v5::Auth {
        reason_code: ReasonCode::RE_AUTHENTICATE,
        properties: Properties {
            authentication_method: Some("SCRAM".into()),
            ..Properties::default()
        },
    });
    let mut session = connected(v5(), t0);
    session.handle_command(Command::Reauthenticate(auth.clone()), t0);
    assert_eq!(
        transmitted(&mut session, t0),
        vec![Packet::Auth(auth.clone())]
    );
    // Offline, or in 3.x, there is nothing to send it on.
    session.on_transport_closed(t0);
    session.handle_command(Command::Reauthenticate(auth.clone()), t0);
    session.on_transport_open(t0, t0);
    assert!(matches!(
        transmitted(&mut session, t0)[..],
        [Packet::Connect(_)]
    ));
    let mut v3 = connected(config(), t0);
    v3.handle_command(Command::AuthContinue(auth), t0);
    assert!(transmitted(&mut v3, t0).is_empty());
}

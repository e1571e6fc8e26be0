use bytes::{Bytes, BytesMut};

use super::*;
use crate::codec::fixtures;
use crate::codec::packet::{
    ConnectReasonCode, LastWill, PacketProperties, SubscribeFilter, SubscribeReasonCode, UnsubAck,
};
use crate::codec::v5::{Auth, Properties, ReasonCode};
use crate::codec::{MAX_PACKET_SIZE, MAX_PAYLOAD_ANY_TOPIC};

const V311: ProtocolVersion = ProtocolVersion::V311;

fn encode_error(packet: Packet) -> EncodeError {
    let mut out = BytesMut::from(&b"previous"[..]);
    let error = encode(&packet, V311, &mut out).expect_err("should not encode");
    assert_eq!(&out[..], b"previous", "a failed encode appends nothing");
    assert_eq!(
        encoded_len(&packet, V311),
        Err(error.clone()),
        "encoded_len agrees"
    );
    error
}

fn publish(qos: QoS, packet_id: Option<PacketId>) -> Publish {
    Publish {
        dup: false,
        qos,
        retain: false,
        topic: "t".into(),
        packet_id,
        payload: Bytes::new(),
        properties: PacketProperties::NONE,
    }
}

fn connect() -> Connect {
    Connect {
        protocol: ProtocolVersion::V311,
        clean_session: true,
        keep_alive: 60,
        client_id: Bytes::from_static(b"c"),
        will: None,
        username: None,
        password: None,
        properties: PacketProperties::NONE,
    }
}

#[test]
fn every_fixture_packet_encodes_to_its_bytes() {
    for fixture in fixtures::all() {
        let mut out = BytesMut::new();
        encode(&fixture.packet, fixture.version, &mut out).unwrap();
        assert_eq!(&out[..], &fixture.wire[..], "{}", fixture.name);
        assert_eq!(
            encoded_len(&fixture.packet, fixture.version),
            Ok(out.len()),
            "{}",
            fixture.name
        );
    }
}

#[test]
fn encode_appends_after_existing_bytes() {
    let mut out = BytesMut::from(&[0xAA][..]);
    encode(&Packet::PingReq, V311, &mut out).unwrap();
    encode(&Packet::PubAck(PublishAck::new(1)), V311, &mut out).unwrap();
    assert_eq!(&out[..], &[0xAA, 0xC0, 0x00, 0x40, 0x02, 0x00, 0x01]);
}

#[test]
fn connect_uses_its_own_protocol_not_the_version_argument() {
    let packet = Packet::Connect(
        Connect {
            protocol: ProtocolVersion::V31,
            ..connect()
        }
        .into(),
    );
    let mut out = BytesMut::new();
    encode(&packet, V311, &mut out).unwrap();
    assert_eq!(&out[2..10], b"\x00\x06MQIsdp");
    assert_eq!(out[10], 3);
}

#[test]
fn qos_above_0_publish_without_packet_identifier_is_refused() {
    assert_eq!(
        encode_error(Packet::Publish(publish(QoS::AtLeastOnce, None))),
        EncodeError::MissingPacketId { qos: 1 }
    );
    assert_eq!(
        encode_error(Packet::Publish(publish(QoS::ExactlyOnce, None))),
        EncodeError::MissingPacketId { qos: 2 }
    );
}

#[test]
fn qos_0_publish_with_packet_identifier_is_refused() {
    assert_eq!(
        encode_error(Packet::Publish(publish(QoS::AtMostOnce, Some(1)))),
        EncodeError::UnexpectedPacketId
    );
}

#[test]
fn qos_0_publish_with_dup_is_refused() {
    let packet = Publish {
        dup: true,
        ..publish(QoS::AtMostOnce, None)
    };
    assert_eq!(
        encode_error(Packet::Publish(packet)),
        EncodeError::DupOnQoS0
    );
}

#[test]
fn packet_identifier_0_is_refused_everywhere() {
    let zero = |packet| EncodeError::PacketIdZero { packet };
    assert_eq!(
        encode_error(Packet::Publish(publish(QoS::AtLeastOnce, Some(0)))),
        zero(PacketType::Publish)
    );
    assert_eq!(
        encode_error(Packet::PubAck(PublishAck::new(0))),
        zero(PacketType::PubAck)
    );
    assert_eq!(
        encode_error(Packet::PubRec(PublishAck::new(0))),
        zero(PacketType::PubRec)
    );
    assert_eq!(
        encode_error(Packet::PubRel(PublishAck::new(0))),
        zero(PacketType::PubRel)
    );
    assert_eq!(
        encode_error(Packet::PubComp(PublishAck::new(0))),
        zero(PacketType::PubComp)
    );
    assert_eq!(
        encode_error(Packet::UnsubAck(UnsubAck::new(0))),
        zero(PacketType::UnsubAck)
    );
    let filters = vec![SubscribeFilter::new("a", QoS::AtMostOnce)];
    assert_eq!(
        encode_error(Packet::Subscribe(Subscribe {
            packet_id: 0,
            filters,
            properties: PacketProperties::NONE,
        })),
        zero(PacketType::Subscribe)
    );
    assert_eq!(
        encode_error(Packet::Unsubscribe(Unsubscribe {
            packet_id: 0,
            filters: vec!["a".into()],
            properties: PacketProperties::NONE,
        })),
        zero(PacketType::Unsubscribe)
    );
    assert_eq!(
        encode_error(Packet::SubAck(SubAck {
            packet_id: 0,
            reason_codes: vec![SubscribeReasonCode::GrantedQoS0],
            properties: PacketProperties::NONE,
        })),
        zero(PacketType::SubAck)
    );
}

#[test]
fn subscribe_and_unsubscribe_without_filters_are_refused() {
    assert_eq!(
        encode_error(Packet::Subscribe(Subscribe {
            packet_id: 1,
            filters: vec![],
            properties: PacketProperties::NONE,
        })),
        EncodeError::NoTopicFilters {
            packet: PacketType::Subscribe
        }
    );
    assert_eq!(
        encode_error(Packet::Unsubscribe(Unsubscribe {
            packet_id: 1,
            filters: vec![],
            properties: PacketProperties::NONE,
        })),
        EncodeError::NoTopicFilters {
            packet: PacketType::Unsubscribe
        }
    );
}

// Reserved SUBACK and CONNACK codes need no encoder check: their types cannot hold them.

#[test]
fn suback_must_carry_return_codes() {
    assert_eq!(
        encode_error(Packet::SubAck(SubAck {
            packet_id: 1,
            reason_codes: vec![],
            properties: PacketProperties::NONE,
        })),
        EncodeError::NoReturnCodes
    );
}

#[test]
fn connack_must_not_present_a_session_on_refusal() {
    assert_eq!(
        encode_error(Packet::ConnAck(ConnAck {
            session_present: true,
            ..ConnAck::refused(ConnectReasonCode::IdentifierRejected)
        })),
        EncodeError::SessionPresentOnRefusal { return_code: 2 }
    );
}

#[test]
fn unsuback_reason_codes_cannot_be_encoded_in_mqtt_3() {
    let unsuback = UnsubAck {
        reason_codes: vec![ReasonCode::SUCCESS],
        ..UnsubAck::new(1)
    };
    let error = encode_error(Packet::UnsubAck(unsuback));
    assert_eq!(
        error,
        EncodeError::ReasonCodesNeedMqtt5 {
            packet: PacketType::UnsubAck
        }
    );
    assert_eq!(
        error.to_string(),
        "UNSUBACK reason codes need MQTT 5; MQTT 3.x cannot carry them"
    );
}

#[test]
fn connect_password_without_user_name_is_refused() {
    let packet = Connect {
        password: Some(Bytes::from_static(b"p")),
        ..connect()
    };
    assert_eq!(
        encode_error(Packet::Connect(packet.into())),
        EncodeError::PasswordWithoutUsername
    );
}

#[test]
fn strings_longer_than_65535_bytes_are_refused_and_65535_is_accepted() {
    let longest = "x".repeat(65_535);
    let packet = Packet::Publish(Publish {
        topic: longest.into(),
        ..publish(QoS::AtMostOnce, None)
    });
    assert_eq!(encoded_len(&packet, V311), Ok(1 + 3 + 2 + 65_535));

    let too_long = "x".repeat(65_536);
    let packet = Packet::Publish(Publish {
        topic: too_long.clone().into(),
        ..publish(QoS::AtMostOnce, None)
    });
    assert_eq!(
        encode_error(packet),
        EncodeError::StringTooLong {
            field: Field::PublishTopic,
            len: 65_536
        }
    );
    let filters = vec![SubscribeFilter::new(too_long.clone(), QoS::AtMostOnce)];
    assert_eq!(
        encode_error(Packet::Subscribe(Subscribe {
            packet_id: 1,
            filters,
            properties: PacketProperties::NONE,
        })),
        EncodeError::StringTooLong {
            field: Field::SubscribeFilter,
            len: 65_536
        }
    );
    let big = Bytes::from(vec![0u8; 65_536]);
    let will = LastWill {
        topic: "w".into(),
        payload: big.clone(),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: PacketProperties::NONE,
    };
    assert_eq!(
        encode_error(Packet::Connect(
            Connect {
                will: Some(will),
                ..connect()
            }
            .into()
        )),
        EncodeError::StringTooLong {
            field: Field::WillPayload,
            len: 65_536
        }
    );
    assert_eq!(
        encode_error(Packet::Connect(
            Connect {
                client_id: big,
                ..connect()
            }
            .into()
        )),
        EncodeError::StringTooLong {
            field: Field::ClientId,
            len: 65_536
        }
    );
}

#[test]
fn a_body_over_268435455_bytes_is_refused_and_one_at_the_limit_is_sized() {
    // vec![0; n] is allocated zeroed by the OS and never touched by encoded_len, so this costs no memory.
    let overhead = 2 + 1; // topic "t" with its length prefix
    let at_limit = Bytes::from(vec![0u8; MAX_REMAINING_LEN - overhead]);
    let packet = Packet::Publish(Publish {
        payload: at_limit,
        ..publish(QoS::AtMostOnce, None)
    });
    assert_eq!(encoded_len(&packet, V311), Ok(1 + 4 + MAX_REMAINING_LEN));

    let over = Bytes::from(vec![0u8; MAX_REMAINING_LEN - overhead + 1]);
    let packet = Packet::Publish(Publish {
        payload: over,
        ..publish(QoS::AtMostOnce, None)
    });
    assert_eq!(
        encode_error(packet),
        EncodeError::PacketTooLarge {
            remaining_len: MAX_REMAINING_LEN + 1
        }
    );
}

#[test]
fn publish_encoded_len_agrees_with_encoded_len_up_to_and_past_the_limit() {
    let overhead = 2 + 1 + 2; // topic "t" with its length prefix, packet id
    for payload_len in [
        0,
        127,
        16_383,
        MAX_REMAINING_LEN - overhead,
        MAX_REMAINING_LEN - overhead + 1,
    ] {
        let publish = Publish {
            payload: Bytes::from(vec![0u8; payload_len]),
            ..publish(QoS::AtLeastOnce, Some(9))
        };
        assert_eq!(
            publish_encoded_len(&publish, V311),
            encoded_len(&Packet::Publish(publish.clone()), V311)
        );
    }
}

#[test]
fn a_payload_of_max_payload_any_topic_fits_with_the_longest_topic_and_one_more_byte_does_not() {
    let longest_topic = "t".repeat(u16::MAX as usize);
    let with_payload = |len: usize| Publish {
        topic: longest_topic.as_str().into(),
        payload: Bytes::from(vec![0u8; len]),
        ..publish(QoS::ExactlyOnce, Some(1))
    };
    assert_eq!(
        publish_encoded_len(&with_payload(MAX_PAYLOAD_ANY_TOPIC), V311),
        Ok(MAX_PACKET_SIZE)
    );
    assert!(publish_encoded_len(&with_payload(MAX_PAYLOAD_ANY_TOPIC + 1), V311).is_err());
}

#[test]
fn a_detached_payload_follows_exactly_the_bytes_encode_would_have_written_before_it() {
    for (payload_len, qos, id) in [
        (0, QoS::AtMostOnce, None),
        (100, QoS::AtLeastOnce, Some(7)),
        (200_000, QoS::ExactlyOnce, Some(65_535)),
    ] {
        let mut packet = publish(qos, id);
        packet.payload = Bytes::from(vec![0xA5; payload_len]);
        let packet = Packet::Publish(packet);
        let mut whole = BytesMut::new();
        encode(&packet, V311, &mut whole).unwrap();

        let mut head = BytesMut::from(&b"previous"[..]);
        let detached = encode_detached(&packet, V311, &mut head, payload_len).unwrap();
        let payload = detached.expect("payload at or above the limit is detached");
        assert_eq!(
            [&head[8..], &payload[..]].concat(),
            whole,
            "{payload_len} bytes"
        );

        let mut inline = BytesMut::new();
        let kept = encode_detached(&packet, V311, &mut inline, payload_len + 1).unwrap();
        assert_eq!(
            (kept, inline),
            (None, whole),
            "below the limit it is encode()"
        );
    }
}

#[test]
fn encode_detached_appends_nothing_on_error() {
    let mut out = BytesMut::from(&b"previous"[..]);
    let mut bad = publish(QoS::AtLeastOnce, None);
    bad.payload = Bytes::from_static(&[1; 64]);
    let result = encode_detached(&Packet::Publish(bad), V311, &mut out, 1);
    assert_eq!(result, Err(EncodeError::MissingPacketId { qos: 1 }));
    assert_eq!(&out[..], b"previous");
}

// ---- MQTT 5 ----

const V5: ProtocolVersion = ProtocolVersion::V5;

fn encode_error_in(version: ProtocolVersion, packet: Packet) -> EncodeError {
    let mut out = BytesMut::from(&b"previous"[..]);
    let error = encode(&packet, version, &mut out).expect_err("should not encode");
    assert_eq!(&out[..], b"previous", "a failed encode appends nothing");
    assert_eq!(encoded_len(&packet, version), Err(error.clone()));
    error
}

fn reason_string() -> PacketProperties {
    PacketProperties::new(Properties {
        reason_string: Some("why".into()),
        ..Properties::default()
    })
}

#[test]
fn a_3x_encoder_refuses_what_only_mqtt_5_can_say() {
    let needs = |packet, what| EncodeError::NeedsMqtt5 { packet, what };
    let properties = |packet| needs(packet, "properties");
    assert_eq!(
        encode_error(Packet::Publish(Publish {
            properties: PacketProperties::new(Properties {
                message_expiry_interval: Some(5),
                ..Properties::default()
            }),
            ..publish(QoS::AtMostOnce, None)
        })),
        properties(PacketType::Publish)
    );
    assert_eq!(
        encode_error(Packet::PubAck(PublishAck {
            properties: reason_string(),
            ..PublishAck::new(1)
        })),
        properties(PacketType::PubAck)
    );
    let code = encode_error(Packet::PubRec(PublishAck {
        reason_code: ReasonCode::UNSPECIFIED_ERROR,
        ..PublishAck::new(1)
    }));
    assert_eq!(
        code,
        needs(PacketType::PubRec, "reason codes other than success")
    );
    assert_eq!(
        code.to_string(),
        "PUBREC reason codes other than success need MQTT 5; MQTT 3.x cannot carry them"
    );
    assert_eq!(
        encode_error(Packet::Disconnect(Disconnect {
            reason_code: ReasonCode::DISCONNECT_WITH_WILL_MESSAGE,
            properties: PacketProperties::NONE,
        })),
        needs(PacketType::Disconnect, "reason codes other than success")
    );
    assert_eq!(
        encode_error(Packet::ConnAck(ConnAck::refused(
            ConnectReasonCode::NotAuthorizedV5
        ))),
        needs(PacketType::ConnAck, "reason codes above 5")
    );
    assert!(matches!(
        encode_error(Packet::SubAck(SubAck {
            packet_id: 1,
            reason_codes: vec![SubscribeReasonCode::QuotaExceeded],
            properties: PacketProperties::NONE,
        })),
        EncodeError::NeedsMqtt5 {
            packet: PacketType::SubAck,
            ..
        }
    ));
    let mut filter = SubscribeFilter::new("a", QoS::AtMostOnce);
    filter.options.no_local = true;
    assert!(matches!(
        encode_error(Packet::Subscribe(Subscribe {
            packet_id: 1,
            filters: vec![filter],
            properties: PacketProperties::NONE,
        })),
        EncodeError::NeedsMqtt5 {
            packet: PacketType::Subscribe,
            ..
        }
    ));
    let will = LastWill {
        topic: "w".into(),
        payload: Bytes::new(),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: PacketProperties::new(Properties {
            will_delay_interval: Some(1),
            ..Properties::default()
        }),
    };
    assert_eq!(
        encode_error(Packet::Connect(
            Connect {
                will: Some(will),
                ..connect()
            }
            .into()
        )),
        properties(PacketType::Connect)
    );
    assert_eq!(
        encode_error(Packet::Auth(Box::new(Auth {
            reason_code: ReasonCode::SUCCESS,
            properties: Properties::default(),
        }))),
        needs(PacketType::Auth, "packets")
    );
}

#[test]
fn mqtt_5_reason_codes_must_be_ones_the_packet_can_carry() {
    let invalid = |packet, code| EncodeError::InvalidReasonCode { packet, code };
    assert_eq!(
        encode_error_in(
            V5,
            Packet::PubComp(PublishAck {
                reason_code: ReasonCode::NO_MATCHING_SUBSCRIBERS,
                ..PublishAck::new(1)
            })
        ),
        invalid(PacketType::PubComp, 0x10)
    );
    assert_eq!(
        encode_error_in(
            V5,
            Packet::ConnAck(ConnAck::refused(ConnectReasonCode::NotAuthorized))
        ),
        invalid(PacketType::ConnAck, 5)
    );
    assert_eq!(
        encode_error_in(
            V5,
            Packet::UnsubAck(UnsubAck {
                reason_codes: vec![ReasonCode::GRANTED_QOS_1],
                ..UnsubAck::new(1)
            })
        ),
        invalid(PacketType::UnsubAck, 1)
    );
    assert_eq!(
        encode_error_in(V5, Packet::UnsubAck(UnsubAck::new(1))),
        EncodeError::NoReturnCodes
    );
}

#[test]
fn mqtt_5_property_lists_are_checked_for_where_they_are_sent() {
    // Topic Alias on a PUBACK, and AUTH Continue without its Authentication Method.
    let error = encode_error_in(
        V5,
        Packet::PubAck(PublishAck {
            properties: PacketProperties::new(Properties {
                topic_alias: Some(1),
                ..Properties::default()
            }),
            ..PublishAck::new(1)
        }),
    );
    assert!(matches!(error, EncodeError::Property(_)), "{error}");
    assert!(error.to_string().contains("PUBACK properties"), "{error}");
    let error = encode_error_in(
        V5,
        Packet::Auth(Box::new(Auth {
            reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
            properties: Properties::default(),
        })),
    );
    assert!(matches!(error, EncodeError::Property(_)), "{error}");
}

#[test]
fn an_mqtt_5_publish_with_an_empty_topic_needs_a_topic_alias() {
    let empty = Publish {
        topic: "".into(),
        ..publish(QoS::AtMostOnce, None)
    };
    assert_eq!(
        encode_error_in(V5, Packet::Publish(empty.clone())),
        EncodeError::EmptyTopicWithoutAlias
    );
    let aliased = Publish {
        properties: PacketProperties::new(Properties {
            topic_alias: Some(2),
            ..Properties::default()
        }),
        ..empty
    };
    let mut out = BytesMut::new();
    encode(&Packet::Publish(aliased), V5, &mut out).unwrap();
    assert_eq!(&out[..], &[0x30, 6, 0, 0, 3, 0x23, 0, 2]);
}

#[test]
fn mqtt_5_acks_and_disconnect_use_the_short_forms_when_they_say_nothing_more() {
    let bytes_of = |packet: Packet| {
        let mut out = BytesMut::new();
        encode(&packet, V5, &mut out).unwrap();
        out.to_vec()
    };
    assert_eq!(
        bytes_of(Packet::PubAck(PublishAck::new(7))),
        [0x40, 2, 0, 7]
    );
    assert_eq!(
        bytes_of(Packet::PubAck(PublishAck {
            reason_code: ReasonCode::QUOTA_EXCEEDED,
            ..PublishAck::new(7)
        })),
        [0x40, 3, 0, 7, 0x97]
    );
    // Success with properties needs the code written out.
    assert_eq!(
        bytes_of(Packet::PubAck(PublishAck {
            properties: reason_string(),
            ..PublishAck::new(7)
        })),
        [&[0x40, 10, 0, 7, 0, 6, 0x1F, 0, 3][..], b"why"].concat()
    );
    assert_eq!(bytes_of(Packet::Disconnect(Disconnect::NORMAL)), [0xE0, 0]);
    assert_eq!(
        bytes_of(Packet::Disconnect(Disconnect {
            properties: reason_string(),
            ..Disconnect::NORMAL
        })),
        [&[0xE0, 8, 0, 6, 0x1F, 0, 3][..], b"why"].concat()
    );
}

#[test]
fn a_v5_publish_with_properties_detaches_its_payload_after_them() {
    let packet = Packet::Publish(Publish {
        payload: Bytes::from(vec![7; 1000]),
        properties: reason_free_publish_properties(),
        ..publish(QoS::AtLeastOnce, Some(3))
    });
    let mut whole = BytesMut::new();
    encode(&packet, V5, &mut whole).unwrap();
    let mut head = BytesMut::new();
    let payload = encode_detached(&packet, V5, &mut head, 100)
        .unwrap()
        .unwrap();
    assert_eq!([&head[..], &payload[..]].concat(), whole);
    let Packet::Publish(publish) = &packet else {
        unreachable!()
    };
    assert_eq!(publish_encoded_len(publish, V5), Ok(whole.len()));
}

fn reason_free_publish_properties() -> PacketProperties {
    PacketProperties::new(Properties {
        content_type: Some("text/plain".into()),
        user_properties: vec![("k".into(), "v".into())],
        ..Properties::default()
    })
}

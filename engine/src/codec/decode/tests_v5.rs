//! MQTT 5 decoding: what the readers accept beyond the fixtures, and each malformed case they refuse.

use bytes::BytesMut;

use super::*;
use crate::codec::error::TopicError;
use crate::codec::v5::{PropertyError, PropertyErrorKind, PropertyId};

const V5: ProtocolVersion = ProtocolVersion::V5;
const V311: ProtocolVersion = ProtocolVersion::V311;

fn decode_in(version: ProtocolVersion, wire: &[&[u8]]) -> Result<Option<Packet>, DecodeError> {
    decode(&mut BytesMut::from(&wire.concat()[..]), version, usize::MAX)
}

fn decode_v5(wire: &[&[u8]]) -> Packet {
    decode_in(V5, wire)
        .unwrap_or_else(|error| panic!("{error}"))
        .expect("complete packet")
}

fn error_v5(wire: &[&[u8]]) -> DecodeError {
    decode_in(V5, wire).expect_err("should not decode")
}

fn property_error(packet: PacketKind, kind: PropertyErrorKind) -> DecodeError {
    DecodeError::Property(PropertyError::new(packet.into(), kind))
}

#[test]
fn mqtt_5_long_forms_from_mqtt_packet_decode_to_the_short_forms_packets() {
    // mqtt-packet 9 writes an ack's Success or a DISCONNECT's code with an empty property list, where
    // we use the short forms; both are valid (sections 3.4.2.1, 3.14.2.1).
    assert_eq!(
        decode_v5(&[&[0x40, 4, 0, 7, 0x00, 0]]),
        Packet::PubAck(PublishAck::new(7))
    );
    assert_eq!(
        decode_v5(&[&[0x62, 4, 0, 7, 0x92, 0]]),
        Packet::PubRel(PublishAck {
            reason_code: ReasonCode::PACKET_IDENTIFIER_NOT_FOUND,
            ..PublishAck::new(7)
        })
    );
    assert_eq!(
        decode_v5(&[&[0xE0, 2, 0, 0]]),
        Packet::Disconnect(Disconnect::NORMAL)
    );
    assert_eq!(
        decode_v5(&[&[0xE0, 2, 4, 0]]),
        Packet::Disconnect(Disconnect {
            reason_code: ReasonCode::DISCONNECT_WITH_WILL_MESSAGE,
            properties: PacketProperties::NONE,
        })
    );
    // An AUTH Success with an Authentication Method, the long form of AUTH.
    let Packet::Auth(auth) = decode_v5(&[&[0xF0, 6, 0, 4, 0x15, 0, 1], b"m"]) else {
        panic!("expected AUTH")
    };
    assert_eq!(auth.reason_code, ReasonCode::SUCCESS);
}

#[test]
fn subscribe_option_bits_6_and_7_are_reserved_and_retain_handling_3_is_refused() {
    for options in [0x40, 0x80, 0xC1] {
        assert_eq!(
            error_v5(&[&[0x82, 7, 0, 1, 0], b"\x00\x01a", &[options]]),
            DecodeError::SubscribeReservedBits(options),
            "{options:#04x}"
        );
    }
    assert_eq!(
        error_v5(&[&[0x82, 7, 0, 1, 0], b"\x00\x01a", &[0x30]]),
        DecodeError::InvalidRetainHandling(0x30)
    );
    assert_eq!(
        error_v5(&[&[0x82, 7, 0, 1, 0], b"\x00\x01a", &[0x03]]),
        DecodeError::InvalidQoS {
            packet: PacketType::Subscribe,
            qos: 3
        }
    );
    // The same option bits are reserved in 3.1.1: they only mean something in MQTT 5.
    assert_eq!(
        decode_in(V311, &[&[0x82, 6, 0, 1], b"\x00\x01a", &[0x2D]]),
        Err(DecodeError::SubscribeReservedBits(0x2D))
    );
}

#[test]
fn a_reason_code_the_packet_cannot_carry_is_refused_on_every_packet() {
    let invalid = |packet, code| DecodeError::InvalidReasonCode { packet, code };
    // 0x10 No matching subscribers is PUBACK/PUBREC's, not PUBREL's or PUBCOMP's.
    assert_eq!(
        error_v5(&[&[0x40, 3, 0, 7, 0x01]]),
        invalid(PacketType::PubAck, 0x01)
    );
    assert_eq!(
        error_v5(&[&[0x62, 3, 0, 7, 0x10]]),
        invalid(PacketType::PubRel, 0x10)
    );
    assert_eq!(
        error_v5(&[&[0x70, 3, 0, 7, 0x80]]),
        invalid(PacketType::PubComp, 0x80)
    );
    // 3.x's CONNACK return code 5 is no MQTT 5 reason code.
    let connack = error_v5(&[&[0x20, 3, 0, 5, 0]]);
    assert_eq!(connack, invalid(PacketType::ConnAck, 5));
    assert_eq!(connack.reason_code(), ReasonCode::PROTOCOL_ERROR);
    assert_eq!(
        error_v5(&[&[0x90, 4, 0, 1, 0, 0x11]]),
        invalid(PacketType::SubAck, 0x11)
    );
    assert_eq!(
        error_v5(&[&[0xB0, 4, 0, 2, 0, 0x10]]),
        invalid(PacketType::UnsubAck, 0x10)
    );
    assert_eq!(
        error_v5(&[&[0xE0, 1, 0x10]]),
        invalid(PacketType::Disconnect, 0x10)
    );
    let auth = error_v5(&[&[0xF0, 1, 0x01]]);
    assert_eq!(auth, invalid(PacketType::Auth, 0x01));
    assert_eq!(auth.spec_ref(), Some("MQTT-3.15.2-1"));
    assert_eq!(
        invalid(PacketType::PubAck, 1).to_string(),
        "reason code 0x01 is not one PUBACK can carry [MQTT-3.4.2-1]"
    );
}

#[test]
fn mqtt_5_codes_are_refused_by_a_3x_decoder() {
    assert_eq!(
        decode_in(V311, &[&[0x20, 2, 0, 0x87]]),
        Err(DecodeError::InvalidConnAckReturnCode(0x87))
    );
    assert_eq!(
        decode_in(V311, &[&[0x90, 3, 0, 1, 0x87]]),
        Err(DecodeError::InvalidSubAckReturnCode(0x87))
    );
    // A 3.x ack has one size: the 3-byte MQTT 5 form is a wrong length there.
    assert_eq!(
        decode_in(V311, &[&[0x40, 3, 0, 7, 0x10]]),
        Err(DecodeError::InvalidRemainingLength {
            packet: PacketType::PubAck,
            expected: 2,
            actual: 3
        })
    );
}

#[test]
fn properties_on_the_wrong_packet_are_refused_through_the_property_codec() {
    // Topic Alias (0x23) belongs on PUBLISH alone.
    let error = error_v5(&[&[0x40, 7, 0, 7, 0x10, 3, 0x23, 0, 1]]);
    assert_eq!(
        error,
        property_error(
            PacketKind::PubAck,
            PropertyErrorKind::NotAllowed(PropertyId::TopicAlias)
        )
    );
    // The property codec's verdict on the disconnect reason (section 2.2.2.2: a Malformed Packet).
    assert_eq!(error.reason_code(), ReasonCode::MALFORMED_PACKET);
    // Receive Maximum twice in a CONNACK.
    assert_eq!(
        error_v5(&[&[0x20, 9, 0, 0, 6, 0x21, 0, 20, 0x21, 0, 10]]),
        property_error(
            PacketKind::ConnAck,
            PropertyErrorKind::Duplicate(PropertyId::ReceiveMaximum)
        )
    );
    // Will Delay Interval is a will property, not a CONNECT property.
    let connect = [
        &[0x10, 18][..],
        b"\x00\x04MQTT",
        &[5, 0x02, 0, 0],
        &[5, 0x18, 0, 0, 0, 1],
        b"\x00\x01c",
    ];
    assert_eq!(
        decode_in(V5, &connect),
        Err(property_error(
            PacketKind::Connect,
            PropertyErrorKind::NotAllowed(PropertyId::WillDelayInterval)
        ))
    );
    // An unknown identifier in a SUBACK.
    assert_eq!(
        error_v5(&[&[0x90, 5, 0, 1, 1, 0x7F, 0]]),
        property_error(
            PacketKind::SubAck,
            PropertyErrorKind::UnknownIdentifier(0x7F)
        )
    );
    // A Property Length past the end of the packet.
    assert_eq!(
        error_v5(&[&[0xE0, 3, 0x80, 9, 0x1F]]),
        property_error(PacketKind::Disconnect, PropertyErrorKind::Truncated)
    );
    // The message names the list and the rule.
    let message = error_v5(&[&[0x40, 7, 0, 7, 0x10, 3, 0x23, 0, 1]]).to_string();
    assert!(message.contains("PUBACK properties"), "{message}");
}

#[test]
fn an_empty_publish_topic_needs_a_topic_alias_and_mqtt_5() {
    let error = error_v5(&[&[0x30, 4, 0, 0, 0], b"x"]);
    assert_eq!(error, DecodeError::EmptyTopicWithoutAlias);
    assert_eq!(error.reason_code(), ReasonCode::PROTOCOL_ERROR);
    // With other properties but no alias: still refused.
    assert_eq!(
        error_v5(&[&[0x30, 6, 0, 0, 2, 0x01, 1], b"x"]),
        DecodeError::EmptyTopicWithoutAlias
    );
    // 3.x has no aliases: an empty topic is invalid there whatever follows.
    assert_eq!(
        decode_in(V311, &[&[0x30, 6, 0, 0, 3, 0x23, 0, 3]]),
        Err(DecodeError::InvalidTopic {
            field: Field::PublishTopic,
            error: TopicError::Empty
        })
    );
    // A non-empty topic is still checked in MQTT 5.
    assert_eq!(
        error_v5(&[&[0x30, 6], b"\x00\x03a/#", &[0]]),
        DecodeError::InvalidTopic {
            field: Field::PublishTopic,
            error: TopicError::WildcardInName
        }
    );
}

#[test]
fn auth_is_a_reserved_packet_type_before_mqtt_5() {
    assert_eq!(
        decode_in(V311, &[&[0xF0, 0]]),
        Err(DecodeError::ReservedPacketType(15))
    );
    // AUTH Continue needs its Authentication Method.
    assert_eq!(
        error_v5(&[&[0xF0, 2, 0x18, 0]]),
        property_error(
            PacketKind::Auth,
            PropertyErrorKind::MissingAuthenticationMethod
        )
    );
    assert_eq!(
        error_v5(&[&[0xF1, 0]]),
        DecodeError::InvalidFlags {
            packet: PacketType::Auth,
            flags: 1
        }
    );
}

#[test]
fn mqtt_5_minimum_lengths_are_checked_from_the_fixed_header() {
    let short = |packet, minimum, actual| DecodeError::RemainingLengthTooShort {
        packet,
        minimum,
        actual,
    };
    // CONNACK needs its property length in MQTT 5 (a 2-byte one is only a 3.x refusal, below);
    // acks their packet id; UNSUBACK a code too.
    assert_eq!(
        error_v5(&[&[0x20, 2, 0, 0]]),
        short(PacketType::ConnAck, 3, 2)
    );
    assert_eq!(error_v5(&[&[0x20, 1, 0]]), short(PacketType::ConnAck, 2, 1));
    assert_eq!(error_v5(&[&[0x40, 1, 0]]), short(PacketType::PubAck, 2, 1));
    assert_eq!(
        error_v5(&[&[0xB0, 3, 0, 2, 0]]),
        short(PacketType::UnsubAck, 4, 3)
    );
    // Rejected before the body arrives.
    assert_eq!(
        decode_in(V5, &[&[0x20, 1]]),
        Err(short(PacketType::ConnAck, 2, 1))
    );
    // PINGs keep their one size.
    assert_eq!(
        error_v5(&[&[0xC0, 1, 0]]),
        DecodeError::InvalidRemainingLength {
            packet: PacketType::PingReq,
            expected: 0,
            actual: 1
        }
    );
}

#[test]
fn an_unsuback_needs_a_reason_code_after_its_properties() {
    // Properties (a Reason String) fill the body: no reason code follows.
    assert_eq!(
        error_v5(&[&[0xB0, 7, 0, 2, 4, 0x1F, 0, 1], b"x"]),
        DecodeError::Truncated {
            packet: PacketType::UnsubAck
        }
    );
}

#[test]
fn a_mqtt_5_connect_allows_a_password_alone_and_3x_does_not() {
    let body = |level| {
        let mut wire = vec![0x10, 0];
        wire.extend_from_slice(b"\x00\x04MQTT");
        wire.extend_from_slice(&[level, 0x42, 0, 0]);
        if level == 5 {
            wire.push(0);
        }
        wire.extend_from_slice(b"\x00\x01c\x00\x01p");
        wire[1] = (wire.len() - 2) as u8;
        wire
    };
    assert!(matches!(
        decode_in(V5, &[&body(5)]),
        Ok(Some(Packet::Connect(_)))
    ));
    assert_eq!(
        decode_in(V5, &[&body(4)]),
        Err(DecodeError::PasswordWithoutUsername)
    );
}

#[test]
fn bytes_after_mqtt_5_properties_are_trailing_where_nothing_may_follow() {
    assert_eq!(
        error_v5(&[&[0x40, 5, 0, 7, 0x10, 0, 0xAA]]),
        DecodeError::TrailingBytes {
            packet: PacketType::PubAck,
            count: 1
        }
    );
    assert_eq!(
        error_v5(&[&[0x20, 4, 0, 0, 0, 0xAA]]),
        DecodeError::TrailingBytes {
            packet: PacketType::ConnAck,
            count: 1
        }
    );
    assert_eq!(
        error_v5(&[&[0xF0, 7, 0x18, 4, 0x15, 0, 1], b"m", &[0xAA]]),
        DecodeError::TrailingBytes {
            packet: PacketType::Auth,
            count: 1
        }
    );
}

#[test]
fn a_3x_connack_refusing_our_mqtt_5_connect_decodes_as_that_refusal() {
    // A server without MQTT 5 answers a level-5 CONNECT with its own 2-byte CONNACK, return code 1
    // "unacceptable protocol level" [MQTT-3.1.2-2]: a refusal (as MQTT.js reports it), not a
    // malformed packet.
    for (code, refusal) in [
        (1, ConnectReasonCode::UnacceptableProtocolVersion),
        (5, ConnectReasonCode::NotAuthorized),
    ] {
        assert_eq!(
            decode_v5(&[&[0x20, 2, 0, code]]),
            Packet::ConnAck(ConnAck {
                session_present: false,
                reason_code: refusal,
                properties: PacketProperties::NONE,
            })
        );
    }
    // A 2-byte "accepted" is no MQTT 5 answer; neither is a refusal with session present, nor a
    // code 3.x does not have.
    assert!(matches!(
        error_v5(&[&[0x20, 2, 0, 0]]),
        DecodeError::RemainingLengthTooShort { .. }
    ));
    assert_eq!(
        error_v5(&[&[0x20, 2, 1, 1]]),
        DecodeError::SessionPresentOnRefusal { return_code: 1 }
    );
    assert!(matches!(
        error_v5(&[&[0x20, 2, 0, 0x84]]),
        DecodeError::RemainingLengthTooShort { .. }
    ));
}

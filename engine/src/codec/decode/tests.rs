use bytes::{BufMut, Bytes, BytesMut};

use super::*;
use crate::codec::error::TopicError;
use crate::codec::fixtures;

const V311: ProtocolVersion = ProtocolVersion::V311;
const V5: ProtocolVersion = ProtocolVersion::V5;

fn decode_bytes(wire: &[u8]) -> Result<Option<Packet>, DecodeError> {
    decode(&mut BytesMut::from(wire), V311, usize::MAX)
}

fn decode_error(wire: &[&[u8]]) -> DecodeError {
    decode_bytes(&wire.concat()).expect_err("should not decode")
}

#[test]
fn every_fixture_decodes_to_its_packet_and_consumes_exactly_its_bytes() {
    for fixture in fixtures::all() {
        let mut buf = BytesMut::from(&fixture.wire[..]);
        let packet = decode(&mut buf, fixture.version, usize::MAX);
        assert_eq!(packet, Ok(Some(fixture.packet)), "{}", fixture.name);
        assert!(buf.is_empty(), "{}", fixture.name);
    }
}

#[test]
fn connect_is_decoded_by_its_own_protocol_level_whatever_version_is_passed() {
    for fixture in fixtures::all() {
        if let Packet::Connect(connect) = &fixture.packet {
            for version in [ProtocolVersion::V31, ProtocolVersion::V311] {
                let mut buf = BytesMut::from(&fixture.wire[..]);
                let decoded = decode(&mut buf, version, usize::MAX).unwrap().unwrap();
                assert_eq!(
                    decoded,
                    Packet::Connect(connect.clone()),
                    "{}",
                    fixture.name
                );
            }
        }
    }
}

#[test]
fn empty_buffer_is_incomplete() {
    assert_eq!(decode_bytes(&[]), Ok(None));
}

#[test]
fn a_packet_fed_one_byte_at_a_time_is_incomplete_until_its_last_byte() {
    for fixture in fixtures::all() {
        let mut buf = BytesMut::new();
        let (last, head) = fixture.wire.split_last().unwrap();
        for &byte in head {
            buf.put_u8(byte);
            let before = buf.clone();
            assert_eq!(
                decode(&mut buf, fixture.version, usize::MAX),
                Ok(None),
                "{}",
                fixture.name
            );
            assert_eq!(
                buf, before,
                "incomplete decode must leave the buffer untouched"
            );
        }
        buf.put_u8(*last);
        buf.put_slice(&[0xC0, 0x00, 0xD0]); // a PINGREQ and the first byte of the next packet
        let packet = decode(&mut buf, fixture.version, usize::MAX).unwrap();
        assert_eq!(packet, Some(fixture.packet), "{}", fixture.name);
        assert_eq!(&buf[..], &[0xC0, 0x00, 0xD0], "{}", fixture.name);
    }
}

#[test]
fn several_packets_in_one_buffer_decode_in_order() {
    for version in [V311, V5] {
        let fixtures: Vec<_> = fixtures::all()
            .into_iter()
            .filter(|f| f.version.is_v5() == version.is_v5())
            .collect();
        let mut buf: BytesMut = fixtures
            .iter()
            .flat_map(|f| f.wire.iter().copied())
            .collect();
        for fixture in &fixtures {
            assert_eq!(
                decode(&mut buf, version, usize::MAX),
                Ok(Some(fixture.packet.clone())),
                "{}",
                fixture.name
            );
        }
        assert_eq!(decode(&mut buf, version, usize::MAX), Ok(None));
        assert!(buf.is_empty());
    }
}

#[test]
fn publish_payload_is_a_slice_of_the_read_buffer_not_a_copy() {
    let mut buf = BytesMut::from(&b"\x30\x07\x00\x03a/bhi"[..]);
    let payload_address = buf.as_ptr() as usize + 7;
    let Some(Packet::Publish(publish)) = decode(&mut buf, V311, usize::MAX).unwrap() else {
        panic!("expected PUBLISH");
    };
    assert_eq!(publish.payload.as_ptr() as usize, payload_address);
}

#[test]
fn max_size_rejects_a_header_claiming_268435455_bytes_with_only_five_present() {
    let mut buf = BytesMut::from(&[0x30, 0xFF, 0xFF, 0xFF, 0x7F][..]);
    assert_eq!(
        decode(&mut buf, V311, 1024),
        Err(DecodeError::PacketTooLarge {
            size: 268_435_460,
            max: 1024
        })
    );
    assert_eq!(buf.len(), 5, "the header is not consumed");
}

#[test]
fn max_size_counts_the_fixed_header() {
    let wire = b"\x30\x07\x00\x03a/bhi"; // 9 bytes in all
    assert!(decode(&mut BytesMut::from(&wire[..]), V311, 9)
        .unwrap()
        .is_some());
    assert_eq!(
        decode(&mut BytesMut::from(&wire[..]), V311, 8),
        Err(DecodeError::PacketTooLarge { size: 9, max: 8 })
    );
}

#[test]
fn a_header_claiming_the_largest_length_within_the_limit_waits_for_the_body() {
    let mut buf = BytesMut::from(&[0x30, 0xFF, 0xFF, 0xFF, 0x7F, 0x00][..]);
    assert_eq!(decode(&mut buf, V311, usize::MAX), Ok(None));
    assert_eq!(buf.len(), 6);
}

// ---- fixed header errors ----

#[test]
fn packet_types_0_and_15_are_reserved() {
    assert_eq!(
        decode_error(&[&[0x00, 0x00]]),
        DecodeError::ReservedPacketType(0)
    );
    assert_eq!(
        decode_error(&[&[0xF0, 0x00]]),
        DecodeError::ReservedPacketType(15)
    );
}

#[test]
fn fixed_flags_must_match_table_2_2() {
    let cases: [(&[u8], PacketType, u8); 6] = [
        (&[0x41, 2, 0, 1], PacketType::PubAck, 1),
        (&[0x60, 2, 0, 1], PacketType::PubRel, 0), // PUBREL needs 0010
        (&[0x80, 6, 0, 1, 0, 1, b'a', 0], PacketType::Subscribe, 0),
        (&[0xA0, 5, 0, 1, 0, 1, b'a'], PacketType::Unsubscribe, 0),
        (&[0x92, 3, 0, 1, 0], PacketType::SubAck, 2),
        (&[0xC8, 0], PacketType::PingReq, 8),
    ];
    for (wire, packet, flags) in cases {
        assert_eq!(
            decode_error(&[wire]),
            DecodeError::InvalidFlags { packet, flags }
        );
    }
}

#[test]
fn a_remaining_length_longer_than_four_bytes_is_malformed() {
    assert_eq!(
        decode_error(&[&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]]),
        DecodeError::MalformedRemainingLength
    );
}

#[test]
fn fixed_size_packets_with_another_length_fail_from_the_header_alone() {
    let wrong = |packet, expected, actual| DecodeError::InvalidRemainingLength {
        packet,
        expected,
        actual,
    };
    assert_eq!(
        decode_error(&[&[0x40, 3, 0, 1, 0]]),
        wrong(PacketType::PubAck, 2, 3)
    );
    assert_eq!(
        decode_error(&[&[0x20, 1, 0]]),
        wrong(PacketType::ConnAck, 2, 1)
    );
    assert_eq!(
        decode_error(&[&[0xD0, 1, 0]]),
        wrong(PacketType::PingResp, 0, 1)
    );
    assert_eq!(
        decode_error(&[&[0xC0, 1, 0]]),
        wrong(PacketType::PingReq, 0, 1)
    );
    assert_eq!(
        decode_error(&[&[0xE0, 1, 0]]),
        wrong(PacketType::Disconnect, 0, 1)
    );
    // No body bytes present at all: still rejected, not "incomplete".
    assert_eq!(
        decode_error(&[&[0xB0, 0x7F]]),
        wrong(PacketType::UnsubAck, 2, 127)
    );
}

// ---- PUBLISH ----

#[test]
fn publish_with_qos_3_is_rejected() {
    let error = decode_error(&[&[0x36, 3], b"\x00\x01t"]);
    assert_eq!(
        error,
        DecodeError::InvalidQoS {
            packet: PacketType::Publish,
            qos: 3
        }
    );
    assert_eq!(error.to_string(), "invalid QoS 3 in PUBLISH [MQTT-3.3.1-4]");
}

#[test]
fn qos_0_publish_with_dup_is_rejected() {
    assert_eq!(
        decode_error(&[&[0x38, 3], b"\x00\x01t"]),
        DecodeError::DupOnQoS0
    );
}

#[test]
fn publish_with_packet_identifier_0_is_rejected() {
    assert_eq!(
        decode_error(&[&[0x32, 5], b"\x00\x01t", &[0, 0]]),
        DecodeError::PacketIdZero {
            packet: PacketType::Publish
        }
    );
}

#[test]
fn publish_topic_must_be_a_valid_topic_name() {
    let invalid = |error| DecodeError::InvalidTopic {
        field: Field::PublishTopic,
        error,
    };
    assert_eq!(
        decode_error(&[&[0x30, 2], b"\x00\x00"]),
        invalid(TopicError::Empty)
    );
    let wildcard = decode_error(&[&[0x30, 5], b"\x00\x03a/+"]);
    assert_eq!(wildcard, invalid(TopicError::WildcardInName));
    assert_eq!(wildcard.spec_ref(), Some("MQTT-3.3.2-2"));
    assert_eq!(
        decode_error(&[&[0x30, 3], b"\x00\x01#"]),
        invalid(TopicError::WildcardInName)
    );
}

#[test]
fn publish_topic_must_be_utf8_without_null() {
    assert_eq!(
        decode_error(&[&[0x30, 4], &[0, 2, 0xC3, 0x28]]),
        DecodeError::InvalidUtf8 {
            field: Field::PublishTopic
        }
    );
    assert_eq!(
        decode_error(&[&[0x30, 4], &[0, 2, b'a', 0]]),
        DecodeError::NullCharacter {
            field: Field::PublishTopic
        }
    );
}

#[test]
fn publish_whose_length_ends_inside_the_topic_or_packet_id_is_truncated() {
    let truncated = DecodeError::Truncated {
        packet: PacketType::Publish,
    };
    assert_eq!(decode_error(&[&[0x30, 3], b"\x00\x05a"]), truncated);
    assert_eq!(decode_error(&[&[0x30, 1], b"\x00"]), truncated);
    assert_eq!(decode_error(&[&[0x32, 4], b"\x00\x01t", &[0]]), truncated);
}

// ---- CONNECT ----

/// A 3.1.1 CONNECT with the given flags byte and payload after keep alive.
fn connect_wire(protocol: &[u8], flags: u8, payload: &[u8]) -> Vec<u8> {
    let body = [protocol, &[flags, 0, 60], payload].concat();
    [&[0x10, body.len() as u8][..], &body].concat()
}

const MQTT4: &[u8] = b"\x00\x04MQTT\x04";

#[test]
fn connect_with_unknown_protocol_name_is_rejected() {
    let wire = connect_wire(b"\x00\x04MQTX\x04", 0x02, b"\x00\x01c");
    assert_eq!(
        decode_bytes(&wire),
        Err(DecodeError::InvalidProtocolName("MQTX".into()))
    );
}

#[test]
fn connect_with_a_level_that_does_not_match_the_name_is_rejected() {
    let level = |name, level| DecodeError::UnsupportedProtocolLevel { name, level };
    let mqtt6 = connect_wire(b"\x00\x04MQTT\x06", 0x02, b"\x00\x01c");
    assert_eq!(decode_bytes(&mqtt6), Err(level("MQTT", 6)));
    let mqisdp_level5 = connect_wire(b"\x00\x06MQIsdp\x05", 0x02, b"\x00\x01c");
    assert_eq!(decode_bytes(&mqisdp_level5), Err(level("MQIsdp", 5)));
    let mqtt_level3 = connect_wire(b"\x00\x04MQTT\x03", 0x02, b"\x00\x01c");
    assert_eq!(decode_bytes(&mqtt_level3), Err(level("MQTT", 3)));
    let mqisdp_level4 = connect_wire(b"\x00\x06MQIsdp\x04", 0x02, b"\x00\x01c");
    assert_eq!(decode_bytes(&mqisdp_level4), Err(level("MQIsdp", 4)));
}

#[test]
fn connect_with_reserved_flag_is_rejected() {
    let wire = connect_wire(MQTT4, 0x03, b"\x00\x01c");
    assert_eq!(decode_bytes(&wire), Err(DecodeError::ConnectReservedFlag));
}

#[test]
fn connect_with_will_qos_or_retain_but_no_will_is_rejected() {
    for flags in [0b0000_1010, 0b0001_0010, 0b0010_0010] {
        let wire = connect_wire(MQTT4, flags, b"\x00\x01c");
        assert_eq!(
            decode_bytes(&wire),
            Err(DecodeError::WillFlagsWithoutWill),
            "{flags:#b}"
        );
    }
}

#[test]
fn connect_with_will_qos_3_is_rejected() {
    let wire = connect_wire(MQTT4, 0b0001_1110, b"\x00\x01c\x00\x01w\x00\x00");
    assert_eq!(
        decode_bytes(&wire),
        Err(DecodeError::InvalidQoS {
            packet: PacketType::Connect,
            qos: 3
        })
    );
}

#[test]
fn connect_with_password_but_no_user_name_is_rejected() {
    let wire = connect_wire(MQTT4, 0b0100_0010, b"\x00\x01c\x00\x01p");
    assert_eq!(
        decode_bytes(&wire),
        Err(DecodeError::PasswordWithoutUsername)
    );
}

#[test]
fn connect_will_topic_must_be_a_valid_topic_name() {
    let wire = connect_wire(MQTT4, 0b0000_0110, b"\x00\x01c\x00\x03a/#\x00\x00");
    assert_eq!(
        decode_bytes(&wire),
        Err(DecodeError::InvalidTopic {
            field: Field::WillTopic,
            error: TopicError::WildcardInName
        })
    );
}

#[test]
fn connect_client_id_and_user_name_must_be_utf8_without_null() {
    let bad_id = connect_wire(MQTT4, 0x02, &[0, 1, 0xFF]);
    assert_eq!(
        decode_bytes(&bad_id),
        Err(DecodeError::InvalidUtf8 {
            field: Field::ClientId
        })
    );
    let null_user = connect_wire(MQTT4, 0x82, b"\x00\x01c\x00\x01\x00");
    assert_eq!(
        decode_bytes(&null_user),
        Err(DecodeError::NullCharacter {
            field: Field::Username
        })
    );
}

#[test]
fn connect_with_an_empty_client_id_decodes_because_refusing_it_is_the_brokers_call() {
    let wire = connect_wire(MQTT4, 0x02, b"\x00\x00");
    let Ok(Some(Packet::Connect(connect))) = decode_bytes(&wire) else {
        panic!()
    };
    assert_eq!(connect.client_id, Bytes::new());
}

#[test]
fn connect_missing_a_flagged_field_is_truncated() {
    // User name flag set, no user name follows.
    let wire = connect_wire(MQTT4, 0x82, b"\x00\x01c");
    assert_eq!(
        decode_bytes(&wire),
        Err(DecodeError::Truncated {
            packet: PacketType::Connect
        })
    );
}

#[test]
fn connect_with_bytes_after_its_last_field_is_rejected() {
    let wire = connect_wire(MQTT4, 0x02, b"\x00\x01c\xAA\xBB");
    assert_eq!(
        decode_bytes(&wire),
        Err(DecodeError::TrailingBytes {
            packet: PacketType::Connect,
            count: 2
        })
    );
}

// ---- CONNACK ----

#[test]
fn connack_flags_other_than_session_present_are_rejected() {
    assert_eq!(
        decode_error(&[&[0x20, 2, 0x02, 0]]),
        DecodeError::InvalidConnAckFlags(0x02)
    );
    assert_eq!(
        decode_error(&[&[0x20, 2, 0x81, 0]]),
        DecodeError::InvalidConnAckFlags(0x81)
    );
}

#[test]
fn connack_return_codes_above_5_are_rejected() {
    assert_eq!(
        decode_error(&[&[0x20, 2, 0, 6]]),
        DecodeError::InvalidConnAckReturnCode(6)
    );
    assert_eq!(
        decode_error(&[&[0x20, 2, 0, 0xFF]]),
        DecodeError::InvalidConnAckReturnCode(0xFF)
    );
}

#[test]
fn connack_refusal_with_session_present_is_rejected() {
    assert_eq!(
        decode_error(&[&[0x20, 2, 1, 4]]),
        DecodeError::SessionPresentOnRefusal { return_code: 4 }
    );
}

// ---- acknowledgements ----

#[test]
fn acknowledgements_with_packet_identifier_0_are_rejected() {
    for (first, packet) in [
        (0x40, PacketType::PubAck),
        (0x50, PacketType::PubRec),
        (0x62, PacketType::PubRel),
        (0x70, PacketType::PubComp),
        (0xB0, PacketType::UnsubAck),
    ] {
        assert_eq!(
            decode_error(&[&[first, 2, 0, 0]]),
            DecodeError::PacketIdZero { packet }
        );
    }
}

// ---- SUBSCRIBE / SUBACK / UNSUBSCRIBE ----

#[test]
fn subscribe_without_filters_is_rejected() {
    let error = decode_error(&[&[0x82, 2, 0, 1]]);
    assert_eq!(
        error,
        DecodeError::NoTopicFilters {
            packet: PacketType::Subscribe
        }
    );
    assert_eq!(error.spec_ref(), Some("MQTT-3.8.3-3"));
}

#[test]
fn subscribe_with_packet_identifier_0_is_rejected() {
    assert_eq!(
        decode_error(&[&[0x82, 6, 0, 0], b"\x00\x01a", &[0]]),
        DecodeError::PacketIdZero {
            packet: PacketType::Subscribe
        }
    );
}

#[test]
fn subscribe_options_with_reserved_bits_or_qos_3_are_rejected() {
    assert_eq!(
        decode_error(&[&[0x82, 6, 0, 1], b"\x00\x01a", &[0x04]]),
        DecodeError::SubscribeReservedBits(0x04)
    );
    assert_eq!(
        decode_error(&[&[0x82, 6, 0, 1], b"\x00\x01a", &[0x03]]),
        DecodeError::InvalidQoS {
            packet: PacketType::Subscribe,
            qos: 3
        }
    );
}

#[test]
fn subscribe_filter_without_its_options_byte_is_truncated() {
    assert_eq!(
        decode_error(&[&[0x82, 5, 0, 1], b"\x00\x01a"]),
        DecodeError::Truncated {
            packet: PacketType::Subscribe
        }
    );
}

#[test]
fn subscribe_filters_must_be_valid_topic_filters() {
    assert_eq!(
        decode_error(&[&[0x82, 7, 0, 1], b"\x00\x02a#", &[0]]),
        DecodeError::InvalidTopic {
            field: Field::SubscribeFilter,
            error: TopicError::MisplacedMultiLevelWildcard
        }
    );
    assert_eq!(
        decode_error(&[&[0x82, 6, 0, 1], &[0, 1, 0xFF], &[0]]),
        DecodeError::InvalidUtf8 {
            field: Field::SubscribeFilter
        }
    );
}

#[test]
fn suback_return_codes_other_than_0_1_2_and_0x80_are_rejected() {
    assert_eq!(
        decode_error(&[&[0x90, 3, 0, 1, 0x03]]),
        DecodeError::InvalidSubAckReturnCode(3)
    );
    assert_eq!(
        decode_error(&[&[0x90, 4, 0, 1, 0x01, 0x81]]),
        DecodeError::InvalidSubAckReturnCode(0x81)
    );
}

#[test]
fn suback_without_return_codes_is_rejected() {
    assert_eq!(
        decode_error(&[&[0x90, 2, 0, 1]]),
        DecodeError::NoReturnCodes
    );
}

#[test]
fn suback_shorter_than_a_packet_identifier_is_truncated() {
    assert_eq!(
        decode_error(&[&[0x90, 1, 0]]),
        DecodeError::Truncated {
            packet: PacketType::SubAck
        }
    );
}

#[test]
fn unsubscribe_without_filters_is_rejected() {
    assert_eq!(
        decode_error(&[&[0xA2, 2, 0, 1]]),
        DecodeError::NoTopicFilters {
            packet: PacketType::Unsubscribe
        }
    );
}

#[test]
fn unsubscribe_filters_must_be_valid_topic_filters() {
    assert_eq!(
        decode_error(&[&[0xA2, 4, 0, 1], b"\x00\x00"]),
        DecodeError::InvalidTopic {
            field: Field::UnsubscribeFilter,
            error: TopicError::Empty
        }
    );
}

#[test]
fn unsubscribe_with_a_dangling_byte_is_truncated() {
    assert_eq!(
        decode_error(&[&[0xA2, 6, 0, 1], b"\x00\x01a", &[0]]),
        DecodeError::Truncated {
            packet: PacketType::Unsubscribe
        }
    );
}

#[test]
fn a_body_error_consumes_the_bad_packet_but_not_the_next() {
    let mut buf = BytesMut::from(&[0x40, 2, 0, 0, 0xC0, 0][..]);
    assert!(decode(&mut buf, V311, usize::MAX).is_err());
    assert_eq!(
        decode(&mut buf, V311, usize::MAX),
        Ok(Some(Packet::PingReq))
    );
}

#[test]
fn next_packet_len_is_known_from_the_fixed_header_alone() {
    // PUBLISH QoS 0 with a remaining length of 200 (two length bytes).
    assert_eq!(next_packet_len(&[]), None);
    assert_eq!(next_packet_len(&[0x30]), None);
    assert_eq!(next_packet_len(&[0x30, 0xC8]), None, "length continues");
    assert_eq!(next_packet_len(&[0x30, 0xC8, 0x01]), Some(203));
    assert_eq!(next_packet_len(&[0x30, 0xC8, 0x01, 0, 1, b't']), Some(203));
    assert_eq!(next_packet_len(&[0xD0, 0x00]), Some(2), "PINGRESP");
    assert_eq!(
        next_packet_len(&[0x00, 0x00]),
        None,
        "reserved type: decode reports it"
    );
}

//! Property lists: byte fixtures for every wire type, every property through every list it may (and may
//! not) appear in, each strictness rule with its message and reason code, truncation at every byte, and
//! random round trips.

use bytes::{Bytes, BytesMut};

use super::super::{
    PacketKind, PropertyContext, PropertyError, PropertyErrorKind as Kind, PropertyId, ReasonCode,
    ValueRule, WireType,
};
use super::*;
use crate::codec::random::Rng;

const CONNECT: PropertyContext = PropertyContext::Packet(PacketKind::Connect);
const CONNACK: PropertyContext = PropertyContext::Packet(PacketKind::ConnAck);
const PUBLISH: PropertyContext = PropertyContext::Packet(PacketKind::Publish);
const SUBSCRIBE: PropertyContext = PropertyContext::Packet(PacketKind::Subscribe);
const DISCONNECT: PropertyContext = PropertyContext::Packet(PacketKind::Disconnect);
const WILL: PropertyContext = PropertyContext::Will;

/// A property list on the wire: the one-byte Property Length, then `items`.
fn list(items: &[&[u8]]) -> Vec<u8> {
    let body = items.concat();
    assert!(body.len() < 128, "fixture lists keep a one-byte length");
    [&[body.len() as u8][..], &body].concat()
}

fn decode(wire: &[u8], context: PropertyContext) -> Result<Properties, PropertyError> {
    Properties::decode(&mut Bytes::copy_from_slice(wire), context)
}

fn encode(properties: &Properties, context: PropertyContext) -> Vec<u8> {
    properties
        .validate(context)
        .unwrap_or_else(|e| panic!("{e}: {properties:?}"));
    let mut out = BytesMut::new();
    properties.encode(&mut out);
    assert_eq!(out.len(), properties.encoded_len(), "{properties:?}");
    out.to_vec()
}

fn error(context: PropertyContext, kind: Kind) -> Result<Properties, PropertyError> {
    Err(PropertyError::new(context, kind))
}

// ----------------------------------------------------------------------------------- byte fixtures

/// One fixture per wire type (section 1.5), each a property of that type in a list where it is allowed.
#[test]
fn each_wire_type_decodes_from_and_encodes_to_the_specification_layout() {
    let fixtures: Vec<(&str, PropertyContext, Vec<u8>, Properties)> = vec![
        (
            "Byte: Payload Format Indicator 1 (UTF-8)",
            PUBLISH,
            list(&[&[0x01, 0x01]]),
            Properties {
                payload_format_indicator: Some(true),
                ..Properties::default()
            },
        ),
        (
            "Two Byte Integer, big-endian: Server Keep Alive 0x1234",
            CONNACK,
            list(&[&[0x13, 0x12, 0x34]]),
            Properties {
                server_keep_alive: Some(0x1234),
                ..Properties::default()
            },
        ),
        (
            "Four Byte Integer, big-endian: Message Expiry Interval 0x01020304",
            WILL,
            list(&[&[0x02, 0x01, 0x02, 0x03, 0x04]]),
            Properties {
                message_expiry_interval: Some(0x0102_0304),
                ..Properties::default()
            },
        ),
        (
            "Variable Byte Integer: Subscription Identifier 321 (the specification's example 0xC1 0x02)",
            SUBSCRIBE,
            list(&[&[0x0B, 0xC1, 0x02]]),
            Properties {
                subscription_identifiers: vec![321],
                ..Properties::default()
            },
        ),
        (
            "UTF-8 Encoded String: Content Type \"text/é\" (two-byte length, then UTF-8)",
            PUBLISH,
            list(&[&[0x03, 0x00, 0x07], "text/é".as_bytes()]),
            Properties {
                content_type: Some("text/é".into()),
                ..Properties::default()
            },
        ),
        (
            "Binary Data: Correlation Data 00 FF (two-byte length, then the bytes)",
            PUBLISH,
            list(&[&[0x09, 0x00, 0x02, 0x00, 0xFF]]),
            Properties {
                correlation_data: Some(Bytes::from_static(&[0x00, 0xFF])),
                ..Properties::default()
            },
        ),
        (
            "UTF-8 String Pair: User Property (\"k\", \"v1\") then (\"k\", \"\") in order",
            DISCONNECT,
            list(&[
                &[0x26, 0x00, 0x01, b'k', 0x00, 0x02, b'v', b'1'],
                &[0x26, 0x00, 0x01, b'k', 0x00, 0x00],
            ]),
            Properties {
                user_properties: vec![("k".into(), "v1".into()), ("k".into(), "".into())],
                ..Properties::default()
            },
        ),
        (
            "several Subscription Identifiers on PUBLISH (one per matching subscription), in order",
            PUBLISH,
            list(&[&[0x0B, 0x07], &[0x0B, 0xFF, 0xFF, 0xFF, 0x7F], &[0x0B, 0x01]]),
            Properties {
                subscription_identifiers: vec![7, 268_435_455, 1],
                ..Properties::default()
            },
        ),
        (
            "the CONNACK properties mosquitto 2 sends by default",
            CONNACK,
            list(&[
                &[0x21, 0x00, 0x14], // Receive Maximum 20
                &[0x22, 0x00, 0x0A], // Topic Alias Maximum 10
            ]),
            Properties {
                receive_maximum: Some(20),
                topic_alias_maximum: Some(10),
                ..Properties::default()
            },
        ),
    ];
    for (name, context, wire, properties) in fixtures {
        assert_eq!(decode(&wire, context), Ok(properties.clone()), "{name}");
        assert_eq!(encode(&properties, context), wire, "{name}");
    }
}

#[test]
fn no_properties_is_a_property_length_of_zero() {
    // [MQTT-2.2.2-1]
    assert_eq!(encode(&Properties::default(), PUBLISH), [0]);
    assert_eq!(decode(&[0], PUBLISH), Ok(Properties::default()));
    assert!(Properties::default().is_empty());
}

#[test]
fn decode_takes_only_the_property_list_and_leaves_the_rest_of_the_body() {
    let mut body = Bytes::from([&list(&[&[0x23, 0x00, 0x05]])[..], b"payload"].concat());
    let properties = Properties::decode(&mut body, PUBLISH).unwrap();
    assert_eq!(properties.topic_alias, Some(5));
    assert_eq!(&body[..], b"payload");
}

#[test]
fn strings_and_binary_values_share_the_packet_bytes() {
    let body = Bytes::from(list(&[
        &[0x08, 0x00, 0x03, b'a', b'/', b'b'],
        &[0x09, 0x00, 0x01, 0x42],
        &[0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v'],
    ]));
    let start = body.as_ptr() as usize;
    let properties = Properties::decode(&mut body.clone(), PUBLISH).unwrap();
    let topic = properties.response_topic.unwrap();
    assert_eq!(
        topic.as_ptr() as usize,
        start + 4,
        "Response Topic is a slice of the body"
    );
    assert_eq!(
        properties.correlation_data.unwrap().as_ptr() as usize,
        start + 10
    );
    let (name, value) = &properties.user_properties[0];
    assert_eq!(name.as_ptr() as usize, start + 14);
    assert_eq!(value.as_ptr() as usize, start + 17);
}

// ------------------------------------------------- every property through every list (the table 2-4)

/// `property` with a valid value, encoded independently of `Properties::encode`: from its wire type.
fn wire_sample(property: PropertyId) -> Vec<u8> {
    let id = property.wire() as u8;
    match property.wire_type() {
        WireType::Byte => vec![id, 1],
        WireType::TwoByteInteger => vec![id, 0x01, 0x02],
        WireType::FourByteInteger => vec![id, 0x01, 0x02, 0x03, 0x04],
        WireType::VariableByteInteger => vec![id, 0x80, 0x01],
        WireType::Utf8String => vec![id, 0, 3, b'a', b'/', b'z'],
        WireType::BinaryData => vec![id, 0, 2, 0x00, 0xFF],
        WireType::Utf8StringPair => vec![id, 0, 1, b'k', 0, 2, b'v', b'w'],
    }
}

/// A list holding `property` alone, as decoding and encoding need it (Authentication Data and AUTH's
/// lists also need an Authentication Method).
fn lone_wire(property: PropertyId, context: PropertyContext) -> Vec<u8> {
    let mut items = vec![wire_sample(property)];
    let needs_method = property == PropertyId::AuthenticationData
        || context == PropertyContext::Packet(PacketKind::Auth);
    if needs_method && property != PropertyId::AuthenticationMethod {
        items.insert(0, wire_sample(PropertyId::AuthenticationMethod));
    }
    let items: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
    list(&items)
}

#[test]
fn every_property_round_trips_byte_for_byte_in_every_list_it_may_appear_in() {
    let mut pairs = 0;
    for property in PropertyId::ALL {
        for &context in property.contexts() {
            let wire = lone_wire(property, context);
            let decoded =
                decode(&wire, context).unwrap_or_else(|e| panic!("{property} in {context}: {e}"));
            assert!(!decoded.is_empty());
            assert_eq!(encode(&decoded, context), wire, "{property} in {context}");
            pairs += 1;
        }
    }
    // Table 2-4 has 27 properties with 64 (property, list) pairs (will properties counted as a list).
    assert_eq!(pairs, 64);
}

#[test]
fn every_property_is_refused_in_every_list_it_may_not_appear_in_both_ways() {
    let mut pairs = 0;
    for property in PropertyId::ALL {
        for context in PropertyContext::ALL {
            if property.allowed_in(context) {
                continue;
            }
            let expected = error(context, Kind::NotAllowed(property));
            assert_eq!(decode(&list(&[&wire_sample(property)]), context), expected);
            let home = property.contexts()[0];
            let mut decoded = decode(&lone_wire(property, home), home).unwrap();
            if property == PropertyId::AuthenticationData {
                decoded.authentication_method = None;
            }
            assert_eq!(
                decoded.validate(context).map(|()| decoded.clone()),
                expected
            );
            pairs += 1;
        }
    }
    assert_eq!(pairs, 27 * 14 - 64);
}

#[test]
fn the_table_matches_the_specification_for_a_few_spot_checks() {
    use PropertyId as P;
    assert_eq!(PropertyId::ALL.len(), 27);
    assert!(PropertyId::ALL.windows(2).all(|w| w[0] < w[1]));
    for (id, property) in [
        (0x01, P::PayloadFormatIndicator),
        (0x0B, P::SubscriptionIdentifier),
        (0x1F, P::ReasonString),
        (0x26, P::UserProperty),
        (0x2A, P::SharedSubscriptionAvailable),
    ] {
        assert_eq!(PropertyId::from_wire(id), Some(property));
    }
    for unassigned in [
        0x00, 0x04, 0x0A, 0x10, 0x14, 0x1B, 0x1D, 0x20, 0x2B, 0x7F, 0x80,
    ] {
        assert_eq!(PropertyId::from_wire(unassigned), None, "{unassigned:#x}");
    }
    assert_eq!(
        P::ReasonString.contexts().len(),
        9,
        "every ack, DISCONNECT, AUTH and CONNACK"
    );
    assert_eq!(P::UserProperty.contexts().len(), 14, "everywhere");
    assert_eq!(P::WillDelayInterval.contexts(), &[WILL]);
    assert_eq!(P::TopicAlias.value_rule(), ValueRule::NonZero);
}

// ------------------------------------------------------------------------------- strictness, each rule

#[test]
fn a_property_length_beyond_the_packet_is_truncated() {
    // Declares 5 bytes of properties, 3 follow.
    let result = decode(&[5, 0x23, 0x00, 0x01], PUBLISH);
    assert_eq!(result, error(PUBLISH, Kind::Truncated));
    let error = result.unwrap_err();
    assert_eq!(
        error.to_string(),
        "PUBLISH properties run past the end of the packet [MQTT 5.0 §2.2.2.1]"
    );
    assert_eq!(error.reason_code(), ReasonCode::MALFORMED_PACKET);
    // No Property Length at all.
    assert_eq!(decode(&[], PUBLISH), error_of(PUBLISH, Kind::Truncated));
}

fn error_of(context: PropertyContext, kind: Kind) -> Result<Properties, PropertyError> {
    error(context, kind)
}

#[test]
fn a_value_cut_by_the_property_length_is_truncated_even_when_the_packet_goes_on() {
    // Topic Alias needs 2 bytes; the Property Length ends after 1 of them, the payload follows.
    assert_eq!(
        decode(&[2, 0x23, 0x00, 0x05, b'p'], PUBLISH),
        error(PUBLISH, Kind::Truncated)
    );
    // A string's length prefix claims more than the list holds.
    assert_eq!(
        decode(&[4, 0x03, 0x00, 0x09, b'a'], PUBLISH),
        error(PUBLISH, Kind::Truncated)
    );
}

#[test]
fn every_truncation_of_a_full_list_is_an_error_and_never_a_shorter_list() {
    let full = Properties {
        payload_format_indicator: Some(true),
        message_expiry_interval: Some(60),
        content_type: Some("application/json".into()),
        response_topic: Some("reply/here".into()),
        correlation_data: Some(Bytes::from_static(b"\x01\x02\x03")),
        subscription_identifiers: vec![1, 200, 70_000],
        topic_alias: Some(3),
        user_properties: vec![("a".into(), "b".into()), ("é".into(), "🙂".into())],
        ..Properties::default()
    };
    let wire = encode(&full, PUBLISH);
    assert_eq!(decode(&wire, PUBLISH), Ok(full));
    // The packet cut after every byte (as if its remaining length lied), then the Property Length
    // shortened to every value with the bytes kept (a list cut mid-property).
    for cut in 0..wire.len() {
        assert!(
            matches!(
                decode(&wire[..cut], PUBLISH),
                Err(PropertyError {
                    kind: Kind::Truncated,
                    ..
                })
            ),
            "cut at {cut}"
        );
    }
    let mut shortened_successfully = 0;
    for declared in 0..wire.len() - 1 {
        let mut lied = wire.clone();
        lied[0] = declared as u8;
        // Only cuts at property boundaries may parse (as a shorter list); all others are errors.
        if let Ok(properties) = decode(&lied, PUBLISH) {
            assert_eq!(properties.encoded_len(), 1 + declared);
            shortened_successfully += 1;
        }
    }
    // Boundaries: empty, and after each of the first 10 of the 11 properties.
    assert_eq!(shortened_successfully, 11);
}

#[test]
fn an_unknown_property_identifier_is_malformed() {
    for id in [0x00u8, 0x04, 0x2B, 0x7F] {
        let result = decode(&list(&[&[id, 0]]), CONNECT);
        assert_eq!(result, error(CONNECT, Kind::UnknownIdentifier(id.into())));
        assert_eq!(
            result.unwrap_err().reason_code(),
            ReasonCode::MALFORMED_PACKET
        );
    }
    // Identifiers are variable byte integers: 0x80 0x01 is 128, unknown.
    assert_eq!(
        decode(&list(&[&[0x80, 0x01]]), CONNECT),
        error(CONNECT, Kind::UnknownIdentifier(128))
    );
    assert_eq!(
        decode(&list(&[&[0x2B, 0]]), CONNECT)
            .unwrap_err()
            .to_string(),
        "unknown property identifier 0x2b in CONNECT properties [MQTT 5.0 §2.2.2.2]"
    );
}

#[test]
fn variable_byte_integers_must_be_in_their_shortest_form() {
    // [MQTT-1.5.5-1]: the Property Length, an identifier and a Subscription Identifier, each padded.
    for (wire, what) in [
        (vec![0x80, 0x00], "Property Length"),
        (list(&[&[0x81, 0x00, 0x00]]), "identifier 1 padded"),
        (
            list(&[&[0x0B, 0x81, 0x00]]),
            "Subscription Identifier 1 padded",
        ),
    ] {
        let result = decode(&wire, SUBSCRIBE);
        assert_eq!(result, error(SUBSCRIBE, Kind::VarIntNotShortest), "{what}");
        let error = result.unwrap_err();
        assert_eq!(
            error.to_string(),
            "variable byte integer in SUBSCRIBE properties is not in its shortest form [MQTT-1.5.5-1]"
        );
        assert_eq!(error.reason_code(), ReasonCode::MALFORMED_PACKET);
    }
}

#[test]
fn a_variable_byte_integer_longer_than_four_bytes_is_malformed() {
    let result = decode(&[0xFF, 0xFF, 0xFF, 0xFF, 0x01], PUBLISH);
    assert_eq!(result, error(PUBLISH, Kind::MalformedVarInt));
    assert_eq!(
        result.unwrap_err().to_string(),
        "malformed variable byte integer in PUBLISH properties (longer than 4 bytes) [MQTT 5.0 §1.5.5]"
    );
    assert_eq!(
        decode(&list(&[&[0x0B, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]]), PUBLISH),
        error(PUBLISH, Kind::MalformedVarInt)
    );
}

#[test]
fn a_property_twice_where_once_is_the_limit_is_a_protocol_error_in_every_list() {
    let mut checked = 0;
    for property in PropertyId::ALL {
        for &context in property.contexts() {
            let sample = wire_sample(property);
            let wire = {
                let mut items = vec![sample.clone(), sample];
                if property == PropertyId::AuthenticationData
                    || (context == PropertyContext::Packet(PacketKind::Auth)
                        && property != PropertyId::AuthenticationMethod)
                {
                    items.insert(0, wire_sample(PropertyId::AuthenticationMethod));
                }
                let items: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
                list(&items)
            };
            let result = decode(&wire, context);
            if property.repeatable_in(context) {
                let decoded = result.unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(encode(&decoded, context), wire);
            } else {
                assert_eq!(result, error(context, Kind::Duplicate(property)));
                assert_eq!(
                    result.unwrap_err().reason_code(),
                    ReasonCode::PROTOCOL_ERROR
                );
                checked += 1;
            }
        }
    }
    // 64 pairs, less User Property's 14 and Subscription Identifier on PUBLISH.
    assert_eq!(checked, 64 - 14 - 1);
    assert_eq!(
        decode(&list(&[&[0x21, 0, 1], &[0x21, 0, 2]]), CONNECT)
            .unwrap_err()
            .to_string(),
        "Receive Maximum appears more than once in CONNECT properties [MQTT 5.0 §3.1.2.11]"
    );
}

#[test]
fn several_subscription_identifiers_on_subscribe_are_refused_when_sending() {
    let properties = Properties {
        subscription_identifiers: vec![1, 2],
        ..Properties::default()
    };
    assert_eq!(
        properties.validate(SUBSCRIBE),
        Err(PropertyError::new(
            SUBSCRIBE,
            Kind::Duplicate(PropertyId::SubscriptionIdentifier)
        ))
    );
    assert_eq!(properties.validate(PUBLISH), Ok(()));
}

/// Every integer property with a rule, with each value its rule refuses (and the smallest allowed).
#[test]
fn integers_outside_their_allowed_values_are_refused_both_ways() {
    let mut checked = 0;
    for property in PropertyId::ALL {
        let refused: &[u32] = match property.value_rule() {
            ValueRule::Any => continue,
            ValueRule::ZeroOrOne => &[2, 255],
            ValueRule::NonZero | ValueRule::OneToVarIntMax => &[0],
        };
        let context = property.contexts()[0];
        for &value in refused {
            let id = property.wire() as u8;
            let wire = match property.wire_type() {
                WireType::Byte => list(&[&[id, value as u8]]),
                WireType::TwoByteInteger => list(&[&[id, 0, value as u8]]),
                WireType::FourByteInteger => list(&[&[id, 0, 0, 0, value as u8]]),
                WireType::VariableByteInteger => list(&[&[id, value as u8]]),
                other => unreachable!("{other:?} has no value rule"),
            };
            let result = decode(&wire, context);
            assert_eq!(
                result,
                error(context, Kind::InvalidValue { property, value }),
                "{property} {value}"
            );
            let expected_code = if property == PropertyId::TopicAlias {
                ReasonCode::TOPIC_ALIAS_INVALID
            } else {
                ReasonCode::PROTOCOL_ERROR
            };
            assert_eq!(result.unwrap_err().reason_code(), expected_code);
            checked += 1;
        }
    }
    // 8 boolean-like bytes x 2 values, Receive Maximum, Maximum Packet Size, Topic Alias, Subscription Id.
    assert_eq!(checked, 8 * 2 + 4);

    let cases = [
        (
            Properties {
                maximum_qos: Some(QoS::ExactlyOnce),
                ..Properties::default()
            },
            CONNACK,
            "Maximum QoS of 2 in CONNACK properties (must be 0 or 1) [MQTT 5.0 §3.2.2.3]",
        ),
        (
            Properties {
                receive_maximum: Some(0),
                ..Properties::default()
            },
            CONNECT,
            "Receive Maximum of 0 in CONNECT properties (must not be 0) [MQTT 5.0 §3.1.2.11]",
        ),
        (
            Properties {
                maximum_packet_size: Some(0),
                ..Properties::default()
            },
            CONNACK,
            "Maximum Packet Size of 0 in CONNACK properties (must not be 0) [MQTT 5.0 §3.2.2.3]",
        ),
        (
            Properties {
                topic_alias: Some(0),
                ..Properties::default()
            },
            PUBLISH,
            "Topic Alias of 0 in PUBLISH properties (must not be 0) [MQTT-3.3.2-8]",
        ),
        (
            Properties {
                subscription_identifiers: vec![0],
                ..Properties::default()
            },
            SUBSCRIBE,
            "Subscription Identifier of 0 in SUBSCRIBE properties (must be 1 to 268435455) [MQTT 5.0 §3.8.2.1]",
        ),
        (
            Properties {
                subscription_identifiers: vec![268_435_456],
                ..Properties::default()
            },
            PUBLISH,
            "Subscription Identifier of 268435456 in PUBLISH properties (must be 1 to 268435455) [MQTT 5.0 §3.3.2.3]",
        ),
    ];
    for (properties, context, message) in cases {
        assert_eq!(
            properties.validate(context).map_err(|e| e.to_string()),
            Err(message.to_string())
        );
    }
    // The bounds themselves are fine.
    let edges = Properties {
        receive_maximum: Some(1),
        maximum_packet_size: Some(1),
        maximum_qos: Some(QoS::AtMostOnce),
        topic_alias_maximum: Some(0),
        server_keep_alive: Some(0),
        session_expiry_interval: Some(u32::MAX),
        ..Properties::default()
    };
    assert_eq!(decode(&encode(&edges, CONNACK), CONNACK), Ok(edges));
}

#[test]
fn strings_must_be_well_formed_utf8() {
    // [MQTT-1.5.4-1]: an invalid continuation byte, and a UTF-16 surrogate (U+D800) encoded in UTF-8.
    for bad in [&[0xC3, 0x28][..], &[0xED, 0xA0, 0x80], &[0xFF]] {
        let mut item = vec![0x1F, 0, bad.len() as u8];
        item.extend_from_slice(bad);
        let result = decode(&list(&[&item]), DISCONNECT);
        assert_eq!(
            result,
            error(DISCONNECT, Kind::InvalidUtf8(PropertyId::ReasonString))
        );
        let error = result.unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid UTF-8 in Reason String in DISCONNECT properties [MQTT-1.5.4-1]"
        );
        assert_eq!(error.reason_code(), ReasonCode::MALFORMED_PACKET);
    }
}

#[test]
fn strings_must_not_contain_the_null_character() {
    // [MQTT-1.5.4-2], both on receipt and before sending.
    let result = decode(&list(&[&[0x03, 0, 3, b'a', 0, b'b']]), PUBLISH);
    assert_eq!(
        result,
        error(PUBLISH, Kind::NullCharacter(PropertyId::ContentType))
    );
    assert_eq!(
        result.unwrap_err().to_string(),
        "U+0000 in Content Type in PUBLISH properties [MQTT-1.5.4-2]"
    );
    let outbound = Properties {
        reason_string: Some("a\0b".into()),
        ..Properties::default()
    };
    assert_eq!(
        outbound.validate(DISCONNECT),
        Err(PropertyError::new(
            DISCONNECT,
            Kind::NullCharacter(PropertyId::ReasonString)
        ))
    );
}

#[test]
fn both_strings_of_a_user_property_must_be_valid() {
    // [MQTT-1.5.7-1]: the name, then the value.
    for (item, kind) in [
        (
            vec![0x26, 0, 1, 0xFF, 0, 1, b'v'],
            Kind::InvalidUtf8(PropertyId::UserProperty),
        ),
        (
            vec![0x26, 0, 1, b'k', 0, 2, 0xC3, 0x28],
            Kind::InvalidUtf8(PropertyId::UserProperty),
        ),
        (
            vec![0x26, 0, 1, 0, 0, 1, b'v'],
            Kind::NullCharacter(PropertyId::UserProperty),
        ),
        (
            vec![0x26, 0, 1, b'k', 0, 1, 0],
            Kind::NullCharacter(PropertyId::UserProperty),
        ),
    ] {
        let result = decode(&list(&[&item]), PUBLISH);
        assert_eq!(result, error(PUBLISH, kind), "{item:02x?}");
        assert_eq!(result.unwrap_err().spec_ref(), "MQTT-1.5.7-1");
    }
    let outbound = Properties {
        user_properties: vec![("k".into(), "\0".into())],
        ..Properties::default()
    };
    assert!(outbound.validate(PUBLISH).is_err());
}

#[test]
fn a_response_topic_must_be_a_topic_name() {
    for (topic, message) in [
        (
            "reply/+",
            "Response Topic in PUBLISH properties contains a wildcard ('+' or '#') [MQTT-3.3.2-14]",
        ),
        (
            "#",
            "Response Topic in PUBLISH properties contains a wildcard ('+' or '#') [MQTT-3.3.2-14]",
        ),
        (
            "",
            "Response Topic in PUBLISH properties is empty [MQTT-4.7.3-1]",
        ),
    ] {
        let mut item = vec![0x08, 0, topic.len() as u8];
        item.extend_from_slice(topic.as_bytes());
        let error = decode(&list(&[&item]), PUBLISH).unwrap_err();
        assert_eq!(error.to_string(), message);
        assert_eq!(error.reason_code(), ReasonCode::PROTOCOL_ERROR);
        let outbound = Properties {
            response_topic: Some(topic.into()),
            ..Properties::default()
        };
        assert_eq!(outbound.validate(WILL).unwrap_err().kind, error.kind);
    }
}

#[test]
fn authentication_data_needs_an_authentication_method() {
    let result = decode(&list(&[&[0x16, 0, 1, 0xAA]]), CONNECT);
    assert_eq!(
        result,
        error(CONNECT, Kind::AuthenticationDataWithoutMethod)
    );
    let error = result.unwrap_err();
    assert_eq!(
        error.to_string(),
        "Authentication Data without Authentication Method in CONNECT properties [MQTT 5.0 §3.1.2.11]"
    );
    assert_eq!(error.reason_code(), ReasonCode::PROTOCOL_ERROR);
    let outbound = Properties {
        authentication_data: Some(Bytes::from_static(b"x")),
        ..Properties::default()
    };
    assert_eq!(outbound.validate(CONNACK).unwrap_err().kind, error.kind);
}

#[test]
fn values_over_65535_bytes_are_refused_before_sending() {
    let long = "x".repeat(65_536);
    let too_long = Properties {
        content_type: Some(long.as_str().into()),
        ..Properties::default()
    };
    let error = too_long.validate(PUBLISH).unwrap_err();
    assert_eq!(
        error.kind,
        Kind::TooLong {
            property: PropertyId::ContentType,
            len: 65_536
        }
    );
    assert_eq!(
        error.to_string(),
        "Content Type of 65536 bytes exceeds the 65535-byte limit in PUBLISH properties [MQTT 5.0 §1.5.4]"
    );
    let binary = Properties {
        correlation_data: Some(Bytes::from(vec![0; 65_536])),
        ..Properties::default()
    };
    assert!(binary.validate(PUBLISH).is_err());
    // 65,535 is the limit, and a list that long needs a 3-byte Property Length.
    let longest = Properties {
        user_properties: vec![(long[1..].into(), long[1..].into())],
        ..Properties::default()
    };
    let wire = encode(&longest, PUBLISH);
    assert_eq!(wire.len(), 3 + 1 + 4 + 2 * 65_535);
    assert_eq!(decode(&wire, PUBLISH), Ok(longest));
}

// ------------------------------------------------------------------------------------ random round trips

#[test]
fn ten_thousand_random_lists_survive_encode_then_decode_in_every_context() {
    let mut rng = Rng::new(0x5EED);
    for _ in 0..10_000 {
        let context = PropertyContext::ALL[rng.below(PropertyContext::ALL.len())];
        let properties = rng.properties(context);
        let wire = encode(&properties, context);
        let mut body = Bytes::from([&wire[..], b"rest"].concat());
        assert_eq!(
            Properties::decode(&mut body, context).as_ref(),
            Ok(&properties),
            "{context}"
        );
        assert_eq!(&body[..], b"rest");
    }
}

#[test]
fn corrupted_and_random_lists_never_panic_and_what_decodes_re_encodes_to_the_same_length() {
    let mut rng = Rng::new(99);
    for round in 0..20_000 {
        let context = PropertyContext::ALL[rng.below(PropertyContext::ALL.len())];
        let mut wire = if round % 4 == 0 {
            let len = rng.below(40);
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            if let Some(first) = bytes.first_mut() {
                *first = (len.saturating_sub(1)) as u8 & 0x7F;
            }
            bytes
        } else {
            encode(&rng.properties(context), context)
        };
        if !wire.is_empty() {
            let index = rng.below(wire.len());
            wire[index] = rng.byte();
        }
        let cut = wire.len() - rng.below(3).min(wire.len());
        let mut body = Bytes::copy_from_slice(&wire[..cut]);
        let before = body.len();
        if let Ok(properties) = Properties::decode(&mut body, context) {
            // Every accepted list is one we could have sent, and the same size: decoding accepted only
            // shortest-form integers, so the canonical encoding cannot be shorter or longer.
            assert_eq!(properties.validate(context), Ok(()), "{properties:?}");
            assert_eq!(properties.encoded_len(), before - body.len());
            let wire = encode(&properties, context);
            assert_eq!(decode(&wire, context), Ok(properties));
        }
    }
}

use super::*;
use engine::codec::v5::PacketKind;

const PUBLISH: PropertyContext = PropertyContext::Packet(PacketKind::Publish);
const CONNECT: PropertyContext = PropertyContext::Packet(PacketKind::Connect);

fn object(entries: &[(&str, Given)]) -> Given {
    Given::Object(
        entries
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect(),
    )
}

fn number(n: f64) -> Given {
    Given::Number(n)
}

fn string(text: &str) -> Given {
    Given::String(text.into())
}

fn convert(given: &Given, context: PropertyContext) -> Result<Properties, String> {
    properties_from_given(given, context, "properties")
        .map(|list| list.get().cloned().unwrap_or_default())
}

#[test]
fn every_publish_property_converts_from_mqttjs_names() {
    let given = object(&[
        ("payloadFormatIndicator", Given::Bool(true)),
        ("messageExpiryInterval", number(4294967295.0)),
        ("topicAlias", number(3.0)),
        ("responseTopic", string("reply/to")),
        (
            "correlationData",
            Given::Buffer(Bytes::from_static(b"\x00\x01")),
        ),
        (
            "userProperties",
            object(&[
                ("a", string("1")),
                (
                    "b",
                    Given::Array(vec![string("x"), number(2.0), Given::Bool(false)]),
                ),
            ]),
        ),
        (
            "subscriptionIdentifier",
            Given::Array(vec![number(1.0), number(268435455.0)]),
        ),
        ("contentType", string("text/plain")),
    ]);
    let properties = convert(&given, PUBLISH).unwrap();
    assert_eq!(properties.payload_format_indicator, Some(true));
    assert_eq!(properties.message_expiry_interval, Some(u32::MAX));
    assert_eq!(properties.topic_alias, Some(3));
    assert_eq!(properties.response_topic.as_deref(), Some("reply/to"));
    assert_eq!(
        properties.correlation_data.as_deref(),
        Some(&b"\x00\x01"[..])
    );
    let pairs: Vec<(&str, &str)> = properties
        .user_properties
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(pairs, [("a", "1"), ("b", "x"), ("b", "2"), ("b", "false")]);
    assert_eq!(properties.subscription_identifiers, [1, 268435455]);
    assert_eq!(properties.content_type.as_deref(), Some("text/plain"));
}

#[test]
fn absent_values_and_lists_are_no_properties() {
    for given in [
        Given::Undefined,
        Given::Null,
        object(&[]),
        object(&[
            ("topicAlias", Given::Undefined),
            ("contentType", Given::Null),
        ]),
    ] {
        assert_eq!(
            properties_from_given(&given, PUBLISH, "properties"),
            Ok(PacketProperties::NONE)
        );
    }
}

#[test]
fn correlation_data_may_be_a_string_as_mqtt_packet_writes_it() {
    let properties = convert(&object(&[("correlationData", string("id-1"))]), PUBLISH).unwrap();
    assert_eq!(properties.correlation_data.as_deref(), Some(&b"id-1"[..]));
}

#[test]
fn a_list_that_is_not_an_object_is_refused() {
    for given in [
        number(1.0),
        string("x"),
        Given::Array(vec![]),
        Given::Other("function"),
    ] {
        let error = properties_from_given(&given, PUBLISH, "properties").unwrap_err();
        assert!(
            error.starts_with("Invalid properties: must be an object, got "),
            "{error}"
        );
    }
}

#[test]
fn unknown_names_are_refused_by_name() {
    let error = convert(&object(&[("topicAlais", number(1.0))]), PUBLISH).unwrap_err();
    assert_eq!(
        error,
        "Invalid properties.topicAlais: not an MQTT 5 property"
    );
    // The specification's spelling is not MQTT.js's.
    let error = convert(&object(&[("userProperty", object(&[]))]), PUBLISH).unwrap_err();
    assert_eq!(
        error,
        "Invalid properties.userProperty: not an MQTT 5 property"
    );
}

#[test]
fn wrong_types_are_refused_naming_the_property_and_the_value() {
    let cases = [
        (
            "payloadFormatIndicator",
            number(1.0),
            "must be a boolean, got 1",
        ),
        (
            "topicAlias",
            string("3"),
            "must be an integer from 0 to 65535, got \"3\"",
        ),
        (
            "messageExpiryInterval",
            Given::Bool(true),
            "must be an integer from 0 to 4294967295, got true",
        ),
        (
            "contentType",
            Given::Buffer(Bytes::new()),
            "must be a string, got a Buffer",
        ),
        (
            "correlationData",
            number(5.0),
            "must be a Buffer or a string, got 5",
        ),
        (
            "userProperties",
            string("a=b"),
            "must be an object of names to strings, got \"a=b\"",
        ),
        (
            "userProperties",
            object(&[("k", object(&[]))]),
            "\"k\" must be a string or an array of strings, got an object",
        ),
        (
            "userProperties",
            object(&[("k", Given::Null)]),
            "\"k\" must be a string or an array of strings, got null",
        ),
        (
            "subscriptionIdentifier",
            Given::Array(vec![number(1.0), string("2")]),
            "must be an integer from 0 to 4294967295, got \"2\"",
        ),
        (
            "responseTopic",
            Given::Other("symbol"),
            "must be a string, got a symbol",
        ),
    ];
    for (name, value, problem) in cases {
        let error = convert(&object(&[(name, value)]), PUBLISH).unwrap_err();
        assert_eq!(error, format!("Invalid properties.{name}: {problem}"));
    }
}

#[test]
fn out_of_range_numbers_are_refused() {
    let cases = [
        ("topicAlias", 65536.0),
        ("topicAlias", -1.0),
        ("topicAlias", 1.5),
        ("topicAlias", f64::NAN),
        ("topicAlias", f64::INFINITY),
        ("messageExpiryInterval", 4294967296.0),
    ];
    for (name, n) in cases {
        let error = convert(&object(&[(name, number(n))]), PUBLISH).unwrap_err();
        assert!(
            error.starts_with(&format!(
                "Invalid properties.{name}: must be an integer from 0 to "
            )),
            "{error}"
        );
    }
}

#[test]
fn the_codec_rules_apply_and_name_the_property() {
    // Topic Alias 0 [MQTT-3.3.2-8].
    let error = convert(&object(&[("topicAlias", number(0.0))]), PUBLISH).unwrap_err();
    assert!(
        error.starts_with("Invalid properties.topicAlias: "),
        "{error}"
    );
    assert!(error.contains("MQTT-3.3.2-8"), "{error}");
    // A CONNECT property on a PUBLISH.
    let error = convert(&object(&[("sessionExpiryInterval", number(10.0))]), PUBLISH).unwrap_err();
    assert!(
        error.starts_with("Invalid properties.sessionExpiryInterval: "),
        "{error}"
    );
    assert!(error.contains("not allowed in"), "{error}");
    // Subscription identifier 0, and past a variable byte integer.
    for n in [0.0, 268435456.0] {
        let given = object(&[("subscriptionIdentifier", number(n))]);
        let context = PropertyContext::Packet(PacketKind::Subscribe);
        let error = convert(&given, context).unwrap_err();
        assert!(
            error.starts_with("Invalid properties.subscriptionIdentifier: "),
            "{error}"
        );
    }
    // A response topic with a wildcard.
    let error = convert(&object(&[("responseTopic", string("a/#"))]), PUBLISH).unwrap_err();
    assert!(
        error.starts_with("Invalid properties.responseTopic: "),
        "{error}"
    );
    // Authentication data without a method.
    let given = object(&[(
        "authenticationData",
        Given::Buffer(Bytes::from_static(b"x")),
    )]);
    let error = convert(&given, CONNECT).unwrap_err();
    assert!(
        error.starts_with("Invalid properties.authenticationData: "),
        "{error}"
    );
    // Receive Maximum 0.
    let error = convert(&object(&[("receiveMaximum", number(0.0))]), CONNECT).unwrap_err();
    assert!(
        error.starts_with("Invalid properties.receiveMaximum: "),
        "{error}"
    );
    // U+0000 in a user property.
    let given = object(&[("userProperties", object(&[("a", string("b\u{0}"))]))]);
    let error = convert(&given, PUBLISH).unwrap_err();
    assert!(
        error.starts_with("Invalid properties.userProperties: "),
        "{error}"
    );
    // A string over 65,535 bytes.
    let given = object(&[("contentType", string(&"x".repeat(65536)))]);
    let error = convert(&given, PUBLISH).unwrap_err();
    assert!(
        error.starts_with("Invalid properties.contentType: "),
        "{error}"
    );
}

#[test]
fn the_error_names_the_list_it_came_from() {
    let given = object(&[("willDelayInterval", string("soon"))]);
    let error =
        properties_from_given(&given, PropertyContext::Will, "will.properties").unwrap_err();
    assert_eq!(
        error,
        "Invalid will.properties.willDelayInterval: must be an integer from 0 to 4294967295, got \"soon\""
    );
}

#[test]
fn every_property_has_one_mqttjs_name_and_a_batch_type() {
    let formats = property_formats();
    assert_eq!(formats.len(), PropertyId::ALL.len());
    for (format, id) in formats.iter().zip(PropertyId::ALL) {
        assert_eq!(format.id, id.wire());
        assert_eq!(property_named(&format.name), Some(id));
    }
    let mut names: Vec<&str> = formats.iter().map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), formats.len());
    assert_eq!(BatchType::of(PropertyId::MaximumQoS), BatchType::U8);
    assert_eq!(BatchType::of(PropertyId::RetainAvailable), BatchType::Bool);
    assert_eq!(
        BatchType::of(PropertyId::SubscriptionIdentifier),
        BatchType::U32
    );
    assert_eq!(BatchType::of(PropertyId::UserProperty), BatchType::Pair);
}

#[test]
fn a_list_goes_into_a_record_as_count_then_id_and_value() {
    let mut out = Vec::new();
    put_properties(&mut out, &PacketProperties::NONE);
    assert_eq!(out, [0, 0, 0, 0]);

    let list = PacketProperties::new(Properties {
        payload_format_indicator: Some(true),
        topic_alias: Some(0x0102),
        message_expiry_interval: Some(7),
        user_properties: vec![("k".into(), "v".into())],
        correlation_data: Some(Bytes::from_static(b"\xff")),
        ..Properties::default()
    });
    let mut out = Vec::new();
    put_properties(&mut out, &list);
    assert_eq!(
        out,
        [
            5, 0, 0, 0, // count
            0x01, 1, // payloadFormatIndicator
            0x02, 7, 0, 0, 0, // messageExpiryInterval
            0x09, 1, 0, 0, 0, 0xff, // correlationData
            0x23, 2, 1, // topicAlias
            0x26, 1, 0, 0, 0, b'k', 1, 0, 0, 0, b'v', // userProperties
        ]
    );
}

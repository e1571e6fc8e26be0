//! The reason code table against the per-packet tables of chapter 3 (transcribed separately from table
//! 2-6, so a slip in either shows), and the texts against MQTT.js's own map.

use std::collections::BTreeMap;
use std::path::Path;

use super::*;

/// The reason codes each packet's own section lists (tables 3-1 to 3-13).
fn per_packet_tables() -> Vec<(PacketKind, Vec<u8>)> {
    vec![
        (
            ConnAck,
            vec![
                0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90,
                0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
            ],
        ),
        (
            PubAck,
            vec![0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
        ),
        (
            PubRec,
            vec![0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
        ),
        (PubRel, vec![0x00, 0x92]),
        (PubComp, vec![0x00, 0x92]),
        (
            SubAck,
            vec![
                0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2,
            ],
        ),
        (UnsubAck, vec![0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91]),
        (
            Disconnect,
            vec![
                0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90,
                0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0,
                0xA1, 0xA2,
            ],
        ),
        (Auth, vec![0x00, 0x18, 0x19]),
        // No reason codes at all.
        (PacketKind::Connect, vec![]),
        (PacketKind::Publish, vec![]),
        (PacketKind::Subscribe, vec![]),
        (PacketKind::Unsubscribe, vec![]),
    ]
}

#[test]
fn each_packet_accepts_exactly_the_codes_its_section_lists() {
    let tables = per_packet_tables();
    assert_eq!(tables.len(), PacketKind::ALL.len());
    for (packet, codes) in tables {
        for code in 0..=255u8 {
            assert_eq!(
                ReasonCode(code).is_valid_for(packet),
                codes.contains(&code),
                "{} on {packet}",
                ReasonCode(code)
            );
        }
    }
}

#[test]
fn one_byte_has_the_name_its_packet_gives_it() {
    let zero = ReasonCode(0);
    assert_eq!(zero.name_on(PubAck), Some("Success"));
    assert_eq!(zero.name_on(Disconnect), Some("Normal disconnection"));
    assert_eq!(zero.name_on(SubAck), Some("Granted QoS 0"));
    assert_eq!(zero.name_on(PacketKind::Publish), None);
    assert_eq!(
        ReasonCode(0x04).name_on(Disconnect),
        Some("Disconnect with Will Message")
    );
    assert_eq!(ReasonCode(0x04).name_on(ConnAck), None);
    assert_eq!(
        ReasonCode::TOPIC_ALIAS_INVALID.name_on(Disconnect),
        Some("Topic Alias invalid")
    );
    assert_eq!(
        ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
            .packets()
            .collect::<Vec<_>>(),
        [PubRel, PubComp]
    );
    assert_eq!(ReasonCode(0x03).packets().count(), 0);
    assert_eq!(ReasonCode::QUOTA_EXCEEDED.to_string(), "0x97");
}

#[test]
fn codes_from_0x80_are_errors() {
    assert!(!ReasonCode::SUCCESS.is_error());
    assert!(!ReasonCode::NO_MATCHING_SUBSCRIBERS.is_error());
    assert!(!ReasonCode::RE_AUTHENTICATE.is_error());
    assert!(ReasonCode::UNSPECIFIED_ERROR.is_error());
    assert!(ReasonCode::WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED.is_error());
}

/// The `N: 'text'` entries of the JavaScript object literal that follows `marker` in `source`.
fn js_reason_codes(source: &str, marker: &str) -> BTreeMap<u8, String> {
    let start = source.find(marker).expect("the ReasonCodes map") + marker.len();
    let body = &source[start..start + source[start..].find('}').unwrap()];
    body.lines()
        .filter_map(|line| {
            let (code, text) = line.trim().trim_end_matches(',').split_once(": ")?;
            let text = text.strip_prefix('\'')?.strip_suffix('\'')?;
            Some((code.parse().ok()?, text.to_string()))
        })
        .collect()
}

fn assert_texts_match(map: &BTreeMap<u8, String>, origin: &str) {
    assert!(
        map.len() > 40,
        "{origin}: parsed only {} entries",
        map.len()
    );
    for code in 0..=255u8 {
        assert_eq!(
            ReasonCode(code).mqttjs_text(),
            map.get(&code).map(String::as_str),
            "code {code} against {origin}"
        );
    }
}

#[test]
fn texts_are_mqttjs_texts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mqttjs = root.join("node_modules/mqtt/build/lib/handlers/ack.js");
    match std::fs::read_to_string(&mqttjs) {
        Ok(source) => assert_texts_match(
            &js_reason_codes(&source, "exports.ReasonCodes = {"),
            "MQTT.js",
        ),
        // The Rust tests also run without `npm ci`. The shim has no copy to check: lib/errors.js
        // builds `ReasonCodes` from this table through the addon.
        Err(error) => eprintln!(
            "skipping the MQTT.js comparison: {}: {error}",
            mqttjs.display()
        ),
    }
}

//! Protocol facts the JS shim needs synchronously, exported from their one
//! definition in the engine instead of copied into JS: the reason-code texts
//! and the topic-name rule (MQTT.js fails a bad publish inside `publish()`,
//! before anything reaches the engine).

use std::collections::HashMap;

use napi_derive::napi;

use engine::codec::v5::ReasonCode;

/// MQTT.js's `ReasonCodes`: code → text (the package exports it as such).
#[napi]
pub fn reason_codes() -> HashMap<String, String> {
    (0..=u8::MAX)
        .filter_map(|code| {
            let text = ReasonCode(code).mqttjs_text()?;
            Some((code.to_string(), text.to_string()))
        })
        .collect()
}

/// Why `topic` cannot be published to, or null (the rule the engine applies
/// to every publish; see `publish_batch::topic_name_error`).
#[napi]
pub fn topic_name_error(topic: String) -> Option<String> {
    super::publish_batch::topic_name_error(&topic)
}

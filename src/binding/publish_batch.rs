//! Reads the publish batches the JS shim writes (`lib/publish-batch.js`).
//!
//! Publishes made in the same tick cross the N-API boundary as one Buffer:
//! one native call and one copy for the lot. Payloads are then slices of
//! that one copy. Record layout (little-endian, constants in `batch_format`):
//! `u8 OP_PUBLISH | u8 flags (qos | FLAG_RETAIN | FLAG_PROPERTIES) | f64 token | u32 len, topic |
//! u32 len, payload`. A record flagged `FLAG_PROPERTIES` takes the next object of the call's
//! `propertiesList` (MQTT 5 PUBLISH properties in MQTT.js's names), in record order.

use bytes::Bytes;

use super::batch_buffers;
use super::batch_format::{FLAG_PROPERTIES, FLAG_QOS_MASK, FLAG_RETAIN, OP_PUBLISH};
use super::properties::{properties_from_given, Given};

use engine::codec::v5::{PacketKind, PropertyContext};
use engine::codec::{validate_topic_name, PacketProperties, QoS, SharedStr, TopicError};
use engine::session::{Command, CommandError};

#[derive(Debug, PartialEq, Eq)]
pub struct MalformedBatch(pub &'static str);

/// Turns a batch into session commands, in order. A record with a bad topic,
/// QoS or properties becomes a failed command (its callback gets the reason);
/// a batch whose framing is broken, or whose flagged records and
/// `properties_list` do not pair up, is rejected whole.
pub fn parse_publish_batch(
    batch: &[u8],
    properties_list: &[Given],
) -> Result<Vec<Command>, MalformedBatch> {
    let data = batch_buffers::copy_to_shared(batch);
    let mut properties_list = properties_list.iter();
    let mut commands = Vec::new();
    let mut cursor = Cursor {
        data: &data,
        pos: 0,
    };
    while cursor.pos < data.len() {
        if cursor.u8()? != OP_PUBLISH {
            return Err(MalformedBatch("unknown command"));
        }
        let flags = cursor.u8()?;
        let token = cursor.f64()? as u64;
        let topic = cursor.slice()?;
        let payload = cursor.slice()?;
        let properties = if flags & FLAG_PROPERTIES != 0 {
            let given = properties_list.next().ok_or(MalformedBatch(
                "more records flagged with properties than properties",
            ))?;
            Some(given)
        } else {
            None
        };
        commands.push(publish_command(token, flags, topic, payload, properties));
    }
    if properties_list.next().is_some() {
        return Err(MalformedBatch(
            "more properties than records flagged with them",
        ));
    }
    Ok(commands)
}

/// One publish record as a session command (a failed one if topic, QoS or
/// properties are invalid). The topic keeps sharing `topic`'s bytes.
pub fn publish_command(
    token: u64,
    flags: u8,
    topic: Bytes,
    payload: Bytes,
    properties: Option<&Given>,
) -> Command {
    let fail = |reason: String| Command::Fail {
        token,
        error: CommandError::Invalid(reason),
    };
    let Ok(topic) = SharedStr::from_utf8(topic) else {
        return fail("Invalid topic: not valid UTF-8".into());
    };
    let properties = match properties {
        None => PacketProperties::NONE,
        Some(given) => match properties_from_given(given, PUBLISH_PROPERTIES, "properties") {
            Ok(properties) => properties,
            Err(reason) => return fail(reason),
        },
    };
    // The codec allows it on a PUBLISH, which a broker sends with it; a client's may not.
    if properties
        .get()
        .is_some_and(|p| !p.subscription_identifiers.is_empty())
    {
        return fail(
            "Invalid properties.subscriptionIdentifier: only a server puts it on a PUBLISH \
             [MQTT-3.3.4-6]"
                .into(),
        );
    }
    // MQTT 5 [MQTT-3.3.2-12]: an empty topic name with a Topic Alias means "the topic this alias
    // stands for"; the session's alias rules check the alias is registered. (Properties exist
    // only in MQTT 5, so a 3.x publish never gets here with an alias.)
    let alias_only = topic.is_empty() && properties.get().is_some_and(|p| p.topic_alias.is_some());
    if !alias_only {
        if let Some(reason) = topic_name_error(&topic) {
            return fail(reason);
        }
    }
    let Some(qos) = QoS::from_u8(flags & FLAG_QOS_MASK) else {
        return fail("Invalid QoS 3: must be 0, 1 or 2".into());
    };
    Command::Publish {
        token,
        topic,
        payload,
        qos,
        retain: flags & FLAG_RETAIN != 0,
        properties,
    }
}

/// Why `topic` cannot be published to, or `None`: the engine's topic-name
/// rule, which the shim also calls (`topicNameError`) to fail a publish
/// before it is queued, as MQTT.js fails it inside `publish()`.
pub fn topic_name_error(topic: &str) -> Option<String> {
    let error = validate_topic_name(topic).err()?;
    Some(match error {
        // Nothing to quote, or too much to.
        TopicError::Empty | TopicError::TooLong { .. } => format!("Invalid topic: {error}"),
        _ => format!("Invalid topic {topic}: {error}"),
    })
}

const PUBLISH_PROPERTIES: PropertyContext = PropertyContext::Packet(PacketKind::Publish);

struct Cursor<'a> {
    data: &'a Bytes,
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<std::ops::Range<usize>, MalformedBatch> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.data.len())
            .ok_or(MalformedBatch("truncated record"))?;
        let range = self.pos..end;
        self.pos = end;
        Ok(range)
    }

    fn u8(&mut self) -> Result<u8, MalformedBatch> {
        let range = self.take(1)?;
        Ok(self.data[range.start])
    }

    fn f64(&mut self) -> Result<f64, MalformedBatch> {
        let range = self.take(8)?;
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&self.data[range]);
        Ok(f64::from_le_bytes(raw))
    }

    fn slice(&mut self) -> Result<Bytes, MalformedBatch> {
        let range = self.take(4)?;
        let mut raw = [0u8; 4];
        raw.copy_from_slice(&self.data[range]);
        let len = u32::from_le_bytes(raw) as usize;
        let range = self.take(len)?;
        Ok(self.data.slice(range))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::batch_format::PUBLISH_RECORD_HEADER_BYTES;

    fn record(flags: u8, token: f64, topic: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut out = vec![OP_PUBLISH, flags];
        out.extend_from_slice(&token.to_le_bytes());
        out.extend_from_slice(&(topic.len() as u32).to_le_bytes());
        out.extend_from_slice(topic);
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn two_publishes_come_out_in_order_with_their_fields() {
        let mut batch = record(1 | FLAG_RETAIN, 7.0, b"a/b", b"hello");
        batch.extend(record(0, 0.0, b"c", b""));
        let commands = parse_publish_batch(&batch, &[]).unwrap();
        assert_eq!(commands.len(), 2);
        match &commands[0] {
            Command::Publish {
                token,
                topic,
                payload,
                qos,
                retain,
                ..
            } => {
                assert_eq!(*token, 7);
                assert_eq!(topic, "a/b");
                assert_eq!(&payload[..], b"hello");
                assert_eq!(*qos, QoS::AtLeastOnce);
                assert!(*retain);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_wildcard_topic_becomes_a_failed_command_not_a_publish() {
        let commands = parse_publish_batch(&record(0, 3.0, b"a/+", b"x"), &[]).unwrap();
        assert!(matches!(
            &commands[..],
            [Command::Fail { token: 3, error: CommandError::Invalid(reason) }] if reason.contains("a/+")
        ));
    }

    #[test]
    fn topic_name_errors_quote_the_topic_unless_it_is_empty_or_huge() {
        assert_eq!(topic_name_error("a/b"), None);
        assert_eq!(
            topic_name_error("a/#").as_deref(),
            Some("Invalid topic a/#: topic contains a wildcard ('+' or '#') [MQTT-4.7.1-1]")
        );
        assert!(topic_name_error("")
            .unwrap()
            .starts_with("Invalid topic: topic is empty"));
        let huge = "x".repeat(65536);
        assert!(!topic_name_error(&huge).unwrap().contains(&huge));
    }

    #[test]
    fn qos_3_becomes_a_failed_command() {
        let commands = parse_publish_batch(&record(3, 1.0, b"t", b"x"), &[]).unwrap();
        assert!(matches!(&commands[..], [Command::Fail { token: 1, .. }]));
    }

    fn given_alias(alias: f64) -> Given {
        Given::Object(vec![("topicAlias".into(), Given::Number(alias))])
    }

    #[test]
    fn flagged_records_take_the_properties_list_in_order() {
        let mut batch = record(1 | FLAG_PROPERTIES, 1.0, b"a", b"x");
        batch.extend(record(0, 2.0, b"b", b"y"));
        batch.extend(record(FLAG_PROPERTIES, 3.0, b"c", b"z"));
        let list = [given_alias(5.0), given_alias(0.0)];
        let commands = parse_publish_batch(&batch, &list).unwrap();
        let alias = |command: &Command| match command {
            Command::Publish { properties, .. } => properties.get().and_then(|p| p.topic_alias),
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(alias(&commands[0]), Some(5));
        assert_eq!(alias(&commands[1]), None);
        // Alias 0 is invalid: that publish fails, naming the property; the others go.
        assert!(matches!(
            &commands[2],
            Command::Fail { token: 3, error: CommandError::Invalid(reason) }
                if reason.starts_with("Invalid properties.topicAlias: ")
        ));
    }

    #[test]
    fn an_empty_topic_is_allowed_only_with_a_topic_alias() {
        let mut batch = record(FLAG_PROPERTIES, 1.0, b"", b"x");
        batch.extend(record(0, 2.0, b"", b"y"));
        batch.extend(record(FLAG_PROPERTIES, 3.0, b"", b"z"));
        let list = [given_alias(4.0), Given::Object(vec![])];
        let commands = parse_publish_batch(&batch, &list).unwrap();
        assert!(matches!(
            &commands[0],
            Command::Publish { token: 1, topic, properties, .. }
                if topic.is_empty() && properties.get().and_then(|p| p.topic_alias) == Some(4)
        ));
        for (command, token) in commands[1..].iter().zip([2, 3]) {
            assert!(
                matches!(
                    command,
                    Command::Fail { token: t, error: CommandError::Invalid(reason) }
                        if *t == token && reason.starts_with("Invalid topic: topic is empty")
                ),
                "{command:?}"
            );
        }
    }

    #[test]
    fn a_subscription_identifier_from_the_application_fails_the_publish() {
        let batch = record(1 | FLAG_PROPERTIES, 7.0, b"t", b"x");
        let list = [Given::Object(vec![(
            "subscriptionIdentifier".into(),
            Given::Number(3.0),
        )])];
        let commands = parse_publish_batch(&batch, &list).unwrap();
        assert!(
            matches!(
                &commands[..],
                [Command::Fail { token: 7, error: CommandError::Invalid(reason) }]
                    if reason.starts_with("Invalid properties.subscriptionIdentifier: ")
                        && reason.contains("[MQTT-3.3.4-6]")
            ),
            "{commands:?}"
        );
    }

    #[test]
    fn flagged_records_and_the_properties_list_must_pair_up() {
        let flagged = record(FLAG_PROPERTIES, 1.0, b"a", b"x");
        assert_eq!(
            parse_publish_batch(&flagged, &[]).err(),
            Some(MalformedBatch(
                "more records flagged with properties than properties"
            ))
        );
        let plain = record(0, 1.0, b"a", b"x");
        assert_eq!(
            parse_publish_batch(&plain, &[given_alias(1.0)]).err(),
            Some(MalformedBatch(
                "more properties than records flagged with them"
            ))
        );
    }

    #[test]
    fn a_record_header_is_as_long_as_the_format_says() {
        assert_eq!(record(0, 0.0, b"", b"").len(), PUBLISH_RECORD_HEADER_BYTES);
    }

    #[test]
    fn a_truncated_batch_is_rejected_without_panicking() {
        let batch = record(0, 1.0, b"topic", b"payload");
        for cut in 1..batch.len() {
            assert_eq!(
                parse_publish_batch(&batch[..cut], &[]).err(),
                Some(MalformedBatch("truncated record"))
            );
        }
    }
}

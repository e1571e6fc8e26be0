//! The two byte formats that cross the N-API boundary, defined once.
//!
//! Publish batches go JS → Rust (`lib/publish-batch.js` writes them,
//! `publish_batch.rs` reads them); event batches go Rust → JS
//! (`event_batch.rs` writes them, `lib/event-batch.js` reads them). The record
//! kinds, opcodes, flag bits and sizes below are the only copy: the addon
//! exports them (`batchFormat()`) and the JS side reads them at load, so the
//! two languages cannot drift apart. `__test__/batch-format.test.js` checks
//! that each side decodes what the other encodes.
//!
//! Little-endian throughout; strings are UTF-8 with a u32 length. MQTT 5
//! property lists: see `properties::put_properties`.

use std::collections::HashMap;

use engine::codec::PacketType;
use napi_derive::napi;

use super::properties::{property_formats, PropertyFormat};

/// Publish batch: the one opcode a record may start with.
pub const OP_PUBLISH: u8 = 1;
/// Publish batch record before its topic and payload bytes:
/// `u8 op | u8 flags | f64 token | u32 topic length | u32 payload length`.
pub const PUBLISH_RECORD_HEADER_BYTES: usize = 1 + 1 + 8 + 4 + 4;

/// Flags byte of a publish (both formats): the QoS in the low two bits.
pub const FLAG_QOS_MASK: u8 = 0b11;
/// Flags byte of a publish (both formats).
pub const FLAG_RETAIN: u8 = 0b100;
/// Flags byte of a publish (event batch only: the JS side never sets it).
pub const FLAG_DUP: u8 = 0b1000;
/// MESSAGE flags bit: the payload is not in the record but the batch's next
/// attached Buffer (large payloads, no copy).
pub const FLAG_PAYLOAD_ATTACHED: u8 = 0x10;
/// MESSAGE flags bit: the engine holds this message's PUBACK/PUBCOMP until JS
/// acknowledges it; the record ends with the u32 connection to name in the ack.
pub const FLAG_ACK_HELD: u8 = 0x20;
/// Flags byte of a publish (both formats): MQTT 5 properties go with it. In a
/// publish batch the record takes the next object of the call's
/// `propertiesList`; in an event record a property list follows the payload.
/// MQTT 3.x never sets it, and pays nothing for it.
pub const FLAG_PROPERTIES: u8 = 0x40;

/// Declares the event record kinds once: as constants for the encoder and
/// as the list the addon exports by name.
macro_rules! event_kinds {
    ($($name:ident = $value:expr),* $(,)?) => {
        /// Event batch record kinds: every record starts with one.
        pub mod kind {
            $(pub const $name: u8 = $value;)*
            /// Every kind with its name, as JS sees them (`KIND.CONNECT`, ...).
            pub const ALL: &[(&str, u8)] = &[$((stringify!($name), $name)),*];
        }
    };
}

event_kinds! {
    CONNECT = 1,
    MESSAGE = 2,
    PUBLISH_DONE = 3,
    SUBSCRIBE_DONE = 4,
    UNSUBSCRIBE_DONE = 5,
    RECONNECT = 6,
    OFFLINE = 7,
    CLOSE = 8,
    ERROR = 9,
    OUTGOING_EMPTY = 10,
    DISCONNECT = 11,
    TERMINATED = 12,
    PACKET_SEND = 13,
    PACKET_RECEIVE = 14,
    PACKET_ID_ALLOCATED = 15,
    QOS0_WRITTEN = 16,
    QOS0_DROPPED = 17,
    AUTH = 18,
    SUBSCRIPTIONS_REFUSED = 19,
}

#[napi(object)]
pub struct PublishBatchFormat {
    pub op_publish: u32,
    pub record_header_bytes: u32,
    pub flag_qos_mask: u32,
    pub flag_retain: u32,
    pub flag_properties: u32,
}

#[napi(object)]
pub struct EventBatchFormat {
    /// Record kind by name.
    pub kinds: HashMap<String, u32>,
    pub flag_qos_mask: u32,
    pub flag_retain: u32,
    pub flag_dup: u32,
    pub flag_payload_attached: u32,
    pub flag_ack_held: u32,
    pub flag_properties: u32,
}

#[napi(object)]
pub struct BatchFormat {
    pub publish_batch: PublishBatchFormat,
    pub event_batch: EventBatchFormat,
    /// MQTT.js's `cmd` name of each packet type, by its wire number (null for
    /// the reserved 0 and 15): packet records carry the number.
    pub packet_types: Vec<Option<String>>,
    /// Every MQTT 5 property: its identifier, MQTT.js's name, and how a record writes its value.
    pub properties: Vec<PropertyFormat>,
}

/// The formats' constants, read by the JS shim once at load.
#[napi]
pub fn batch_format() -> BatchFormat {
    BatchFormat {
        publish_batch: PublishBatchFormat {
            op_publish: OP_PUBLISH.into(),
            record_header_bytes: PUBLISH_RECORD_HEADER_BYTES as u32,
            flag_qos_mask: FLAG_QOS_MASK.into(),
            flag_retain: FLAG_RETAIN.into(),
            flag_properties: FLAG_PROPERTIES.into(),
        },
        event_batch: EventBatchFormat {
            kinds: kind::ALL
                .iter()
                .map(|(name, value)| (name.to_string(), u32::from(*value)))
                .collect(),
            flag_qos_mask: FLAG_QOS_MASK.into(),
            flag_retain: FLAG_RETAIN.into(),
            flag_dup: FLAG_DUP.into(),
            flag_payload_attached: FLAG_PAYLOAD_ATTACHED.into(),
            flag_ack_held: FLAG_ACK_HELD.into(),
            flag_properties: FLAG_PROPERTIES.into(),
        },
        packet_types: (0..16).map(packet_type_name).collect(),
        properties: property_formats(),
    }
}

/// MQTT.js names packets by the specification's name in lower case (`pubrec`).
fn packet_type_name(wire: u8) -> Option<String> {
    PacketType::from_wire(wire).map(|t| t.name().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_distinct_and_nonzero() {
        let mut values: Vec<u8> = kind::ALL.iter().map(|(_, v)| *v).collect();
        values.sort_unstable();
        values.dedup();
        assert_eq!(values.len(), kind::ALL.len());
        assert!(!values.contains(&0));
    }

    #[test]
    fn packet_type_names_are_mqtt_js_cmd_names() {
        assert_eq!(packet_type_name(0), None);
        assert_eq!(packet_type_name(5).as_deref(), Some("pubrec"));
        assert_eq!(packet_type_name(11).as_deref(), Some("unsuback"));
        assert_eq!(packet_type_name(15).as_deref(), Some("auth"));
    }

    #[test]
    fn message_flag_bits_do_not_overlap() {
        let bits = [
            FLAG_QOS_MASK,
            FLAG_RETAIN,
            FLAG_DUP,
            FLAG_PAYLOAD_ATTACHED,
            FLAG_ACK_HELD,
            FLAG_PROPERTIES,
        ];
        assert_eq!(bits.iter().fold(0, |a, b| a | b).count_ones(), 7);
    }
}

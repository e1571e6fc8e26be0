//! What the broker's CONNACK says we may send on this connection (MQTT 5 section 3.2.2.3): its
//! Receive Maximum, Topic Alias Maximum, Maximum Packet Size, Maximum QoS and Retain Available, and
//! the Server Keep Alive that replaces ours. Each CONNACK replaces all of them, a property it leaves
//! out taking its default; MQTT 3.x's CONNACK has none, so 3.x runs on the defaults throughout.

use std::time::Duration;

use super::error::CommandError;
use super::flow_control::DEFAULT_RECEIVE_MAXIMUM;
use crate::codec::{
    publish_encoded_len, EncodeError, PacketProperties, ProtocolVersion, Publish, QoS,
    MAX_PACKET_SIZE,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BrokerLimits {
    /// Our QoS 1/2 publishes that may be unacknowledged at once.
    pub(super) receive_maximum: u16,
    /// The highest outbound Topic Alias (0: none).
    pub(super) topic_alias_maximum: u16,
    /// The largest packet we may send, fixed header included.
    pub(super) maximum_packet_size: usize,
    /// Replaces our keepalive interval ([MQTT-3.2.2-21]); `None`: ours stands.
    pub(super) server_keep_alive: Option<u16>,
    pub(super) maximum_qos: QoS,
    pub(super) retain_available: bool,
}

impl Default for BrokerLimits {
    fn default() -> Self {
        BrokerLimits {
            receive_maximum: DEFAULT_RECEIVE_MAXIMUM,
            topic_alias_maximum: 0,
            maximum_packet_size: MAX_PACKET_SIZE,
            server_keep_alive: None,
            maximum_qos: QoS::ExactlyOnce,
            retain_available: true,
        }
    }
}

impl BrokerLimits {
    /// The limits a CONNACK's properties set (the decoder has checked each value's range).
    pub(super) fn from_connack(properties: &PacketProperties) -> Self {
        let defaults = BrokerLimits::default();
        let Some(properties) = properties.get() else {
            return defaults;
        };
        BrokerLimits {
            receive_maximum: properties
                .receive_maximum
                .unwrap_or(defaults.receive_maximum),
            topic_alias_maximum: properties.topic_alias_maximum.unwrap_or(0),
            maximum_packet_size: properties
                .maximum_packet_size
                .map_or(MAX_PACKET_SIZE, |max| {
                    usize::try_from(max).map_or(MAX_PACKET_SIZE, |max| max.min(MAX_PACKET_SIZE))
                }),
            server_keep_alive: properties.server_keep_alive,
            maximum_qos: properties.maximum_qos.unwrap_or(defaults.maximum_qos),
            retain_available: properties
                .retain_available
                .unwrap_or(defaults.retain_available),
        }
    }

    /// The keepalive interval in force: the broker's Server Keep Alive when it sent one (0 turns
    /// keepalive off), else ours.
    pub(super) fn keep_alive(&self, ours: u16) -> Duration {
        Duration::from_secs(u64::from(self.server_keep_alive.unwrap_or(ours)))
    }

    /// Whether `publish` (as stored: whole topic, no alias) may be sent on this connection; the
    /// reason it may not otherwise. A publish refused here is never sent: the broker would only
    /// close the connection over it, and over a QoS 1/2 one again after every reconnect.
    pub(super) fn admit(
        &self,
        publish: &Publish,
        protocol: ProtocolVersion,
    ) -> Result<(), CommandError> {
        if publish.qos > self.maximum_qos {
            // [MQTT-3.2.2-11]
            return Err(CommandError::QoSNotSupported {
                qos: publish.qos.as_u8(),
                max: self.maximum_qos.as_u8(),
            });
        }
        if publish.retain && !self.retain_available {
            // [MQTT-3.2.2-14]
            return Err(CommandError::RetainNotSupported);
        }
        let size = match publish_encoded_len(publish, protocol) {
            Ok(size) if size <= self.maximum_packet_size => return Ok(()),
            Ok(size) => size,
            // Past what a remaining length can say: the header would need at least 4 length bytes.
            Err(EncodeError::PacketTooLarge { remaining_len }) => 1 + 4 + remaining_len,
            Err(other) => return Err(CommandError::Invalid(format!("Invalid publish: {other}"))),
        };
        Err(CommandError::PacketTooLarge {
            size,
            max: self.maximum_packet_size,
        })
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::codec::v5::Properties;

    fn publish(qos: QoS, retain: bool, payload: usize) -> Publish {
        Publish {
            dup: false,
            qos,
            retain,
            topic: "t".into(),
            packet_id: (qos != QoS::AtMostOnce).then_some(1),
            payload: Bytes::from(vec![0; payload]),
            properties: PacketProperties::NONE,
        }
    }

    #[test]
    fn a_connack_without_properties_leaves_every_default() {
        let limits = BrokerLimits::from_connack(&PacketProperties::NONE);
        assert_eq!(limits, BrokerLimits::default());
        assert_eq!(limits.receive_maximum, 65_535);
        assert_eq!(limits.keep_alive(30), Duration::from_secs(30));
        assert!(limits
            .admit(&publish(QoS::ExactlyOnce, true, 1000), ProtocolVersion::V5)
            .is_ok());
    }

    #[test]
    fn connack_properties_set_the_limits_and_server_keep_alive_replaces_ours() {
        let limits = BrokerLimits::from_connack(&PacketProperties::new(Properties {
            receive_maximum: Some(20),
            topic_alias_maximum: Some(10),
            maximum_packet_size: Some(100),
            server_keep_alive: Some(0),
            maximum_qos: Some(QoS::AtLeastOnce),
            retain_available: Some(false),
            ..Properties::default()
        }));
        assert_eq!(limits.receive_maximum, 20);
        assert_eq!(limits.topic_alias_maximum, 10);
        assert_eq!(limits.maximum_packet_size, 100);
        // 0 from the broker turns keepalive off, whatever we asked for.
        assert_eq!(limits.keep_alive(60), Duration::ZERO);
    }

    #[test]
    fn a_publish_over_the_maximum_qos_size_or_with_retain_refused_is_not_admitted() {
        let limits = BrokerLimits::from_connack(&PacketProperties::new(Properties {
            maximum_packet_size: Some(100),
            maximum_qos: Some(QoS::AtMostOnce),
            retain_available: Some(false),
            ..Properties::default()
        }));
        let v5 = ProtocolVersion::V5;
        assert!(limits
            .admit(&publish(QoS::AtMostOnce, false, 10), v5)
            .is_ok());
        assert_eq!(
            limits.admit(&publish(QoS::AtLeastOnce, false, 10), v5),
            Err(CommandError::QoSNotSupported { qos: 1, max: 0 })
        );
        assert_eq!(
            limits.admit(&publish(QoS::AtMostOnce, true, 10), v5),
            Err(CommandError::RetainNotSupported)
        );
        // 1 + 1 (remaining length) + 2 + 1 (topic) + 1 (no properties) + payload.
        assert!(limits
            .admit(&publish(QoS::AtMostOnce, false, 94), v5)
            .is_ok());
        assert_eq!(
            limits.admit(&publish(QoS::AtMostOnce, false, 95), v5),
            Err(CommandError::PacketTooLarge {
                size: 101,
                max: 100
            })
        );
    }
}

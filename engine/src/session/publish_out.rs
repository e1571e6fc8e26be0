//! How our publishes reach the wire under MQTT 5's rules: checked against what the broker's
//! CONNACK allows (`BrokerLimits`), given Topic Aliases as they go out (`topic_alias`), and held
//! back while the broker's Receive Maximum is reached (`flow_control`).
//!
//! The session stores every publish whole (its topic, no alias): the form a resend after a
//! reconnect needs, since aliases do not outlive their connection. An alias is put on the copy
//! that goes out, per the current connection's map.

use super::topic_alias::Aliased;
use super::*;
use crate::codec::{encoded_len, publish_encoded_len};

/// The application's own Topic Alias on a publish: the alias, and whether it sent an empty topic
/// (using an alias it set before) rather than setting the alias.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ExplicitAlias {
    alias: u16,
    topic_was_empty: bool,
}

/// A publish ready for the session: stored form, and the application's alias for its first send.
pub(super) struct Prepared {
    pub(super) publish: Publish,
    pub(super) explicit: Option<ExplicitAlias>,
}

impl Session {
    /// Makes a publish command ready to send, or fails it (its callback gets the error, nothing is
    /// sent): an alias the broker does not allow or never saw, a QoS above its Maximum QoS, retain
    /// it does not support, or a packet over its Maximum Packet Size.
    pub(super) fn prepare_publish(
        &mut self,
        token: Token,
        topic: SharedStr,
        payload: Bytes,
        qos: QoS,
        retain: bool,
        mut properties: PacketProperties,
    ) -> Option<Prepared> {
        let mut topic = topic;
        let mut explicit = None;
        if let Some(alias) = properties.get().and_then(|p| p.topic_alias) {
            match self.aliases_out.check_explicit(&topic, alias) {
                Ok(whole_topic) => {
                    explicit = Some(ExplicitAlias {
                        alias,
                        topic_was_empty: topic.is_empty(),
                    });
                    topic = whole_topic;
                    properties = with_topic_alias(&properties, None);
                }
                Err(error) => {
                    self.fail_publish(token, error);
                    return None;
                }
            }
        }
        let publish = Publish {
            dup: false,
            qos,
            retain,
            topic,
            // The size depends on whether there is an id, not on its value (allocated later).
            packet_id: (qos != QoS::AtMostOnce).then_some(1),
            payload,
            properties,
        };
        if let Err(error) = self.limits.admit(&publish, self.config.protocol) {
            self.fail_publish(token, error);
            return None;
        }
        Some(Prepared { publish, explicit })
    }

    /// Queues a publish for the socket: as stored, or with a Topic Alias (the application's on its
    /// first send, else per `autoUseTopicAlias` / `autoAssignTopicAlias`).
    pub(super) fn transmit_publish(&mut self, publish: Publish, explicit: Option<ExplicitAlias>) {
        if !self.aliases_out.is_active() || !self.may_alias(&publish) {
            self.transmit.push_back(Packet::Publish(publish));
            return;
        }
        let aliased = self.aliases_out.apply(
            &publish.topic,
            explicit.map(|e| e.alias),
            explicit.is_some_and(|e| e.topic_was_empty),
        );
        let publish = match aliased {
            Aliased::No => publish,
            Aliased::Set(alias) => Publish {
                properties: with_topic_alias(&publish.properties, Some(alias)),
                ..publish
            },
            Aliased::Use(alias) => Publish {
                topic: SharedStr::default(),
                properties: with_topic_alias(&publish.properties, Some(alias)),
                ..publish
            },
        };
        self.transmit.push_back(Packet::Publish(publish));
    }

    /// Whether an alias still lets the packet fit the broker's Maximum Packet Size: the Topic
    /// Alias property adds at most 5 bytes (3 for itself, one more each for the property length
    /// and the remaining length). A publish that close to the limit goes out whole, without
    /// touching the alias map (the broker must learn every alias we later rely on).
    fn may_alias(&self, publish: &Publish) -> bool {
        const ALIAS_OVERHEAD: usize = 5;
        if self.limits.maximum_packet_size >= MAX_PACKET_SIZE {
            return true;
        }
        publish_encoded_len(publish, self.config.protocol)
            .is_ok_and(|size| size + ALIAS_OVERHEAD <= self.limits.maximum_packet_size)
    }

    /// A QoS 1/2 exchange started on this connection is over (final ack, refusal, or the ack of a
    /// withdrawn publish): its place in the broker's Receive Maximum goes to the next one waiting.
    pub(super) fn publish_exchange_ended(&mut self) {
        self.send_quota.release();
        self.send_waiting_publishes();
    }

    /// Sends, in order, the publishes waiting for room under the broker's Receive Maximum.
    pub(super) fn send_waiting_publishes(&mut self) {
        if !self.is_connected() {
            return;
        }
        while let Some((order, id)) = self.send_quota.next_waiting() {
            let Some(Pending::Publish {
                publish,
                stage,
                order: current,
                ..
            }) = self.pending.get_mut(&id)
            else {
                continue;
            };
            // Withdrawn meanwhile (and maybe the id reused by a later publish, which waits its own turn).
            if *current != order || *stage != PublishStage::Unsent {
                continue;
            }
            *stage = awaiting_stage(publish.qos);
            let publish = publish.clone();
            self.send_quota.acquire();
            self.transmit_publish(publish, None);
        }
    }

    /// On a CONNACK whose limits are narrower than before: publishes made earlier that no longer
    /// fit fail now rather than be sent (QoS 1/2 ones not yet acknowledged, and QoS 0 ones that
    /// waited offline). A QoS 2 publish whose PUBREC arrived is the broker's already: it goes on.
    pub(super) fn fail_publishes_over_limits(&mut self) {
        if self.limits == BrokerLimits::default() {
            return;
        }
        let protocol = self.config.protocol;
        let mut refused: Vec<(u64, PacketId, CommandError)> = self
            .pending
            .iter()
            .filter_map(|(id, pending)| match pending {
                Pending::Publish {
                    publish,
                    stage,
                    order,
                    ..
                } if *stage != PublishStage::AwaitingPubComp => self
                    .limits
                    .admit(publish, protocol)
                    .err()
                    .map(|error| (*order, *id, error)),
                _ => None,
            })
            .collect();
        refused.sort_unstable_by_key(|(order, ..)| *order);
        for (_, id, error) in refused {
            self.fail_pending(id, error);
        }
        let limits = self.limits;
        let mut failed = Vec::new();
        self.offline_queue.retain(|queued| match queued {
            Queued::PublishQoS0 {
                token,
                topic,
                payload,
                retain,
                properties,
            } => {
                let publish = Publish {
                    dup: false,
                    qos: QoS::AtMostOnce,
                    retain: *retain,
                    topic: topic.clone(),
                    packet_id: None,
                    payload: payload.clone(),
                    properties: properties.clone(),
                };
                match limits.admit(&publish, protocol) {
                    Ok(()) => true,
                    Err(error) => {
                        failed.push((*token, error));
                        false
                    }
                }
            }
            Queued::Request(_) => true,
        });
        for (token, error) in failed {
            self.fail_publish(token, error);
        }
    }
}

impl Session {
    /// An AUTH or DISCONNECT the application filled, made to fit the broker's Maximum Packet Size:
    /// over it, its Reason String and User Properties are left out, which is what the
    /// specification allows a sender to drop (sections 3.14.2.2.4, 3.15.2.2.4 and ff.). Its other
    /// properties (method, data, session expiry) are the packet's meaning and stay.
    pub(super) fn within_maximum_packet_size(&self, mut packet: Packet) -> Packet {
        let max = self.limits.maximum_packet_size;
        if max >= MAX_PACKET_SIZE
            || encoded_len(&packet, self.config.protocol).is_ok_and(|size| size <= max)
        {
            return packet;
        }
        match &mut packet {
            Packet::Auth(auth) => {
                auth.properties.reason_string = None;
                auth.properties.user_properties = Vec::new();
            }
            Packet::Disconnect(disconnect) => {
                if let Some(list) = disconnect.properties.get() {
                    let mut list = list.clone();
                    list.reason_string = None;
                    list.user_properties = Vec::new();
                    disconnect.properties = PacketProperties::new(list);
                }
            }
            _ => {}
        }
        packet
    }
}

/// `properties` with its Topic Alias set to `alias` (or removed). MQTT 5 only: a 3.x publish
/// never has an alias to remove or a broker maximum to add one under.
fn with_topic_alias(properties: &PacketProperties, alias: Option<u16>) -> PacketProperties {
    let mut list = properties.get().cloned().unwrap_or_default();
    list.topic_alias = alias;
    PacketProperties::new(list)
}

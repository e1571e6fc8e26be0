//! What the broker answers: inbound publishes and the acknowledgements that
//! complete (or refute) what we sent.

use super::*;

impl Session {
    pub(super) fn handle_incoming_publish(&mut self, publish: Publish) {
        match (publish.qos, publish.packet_id) {
            (QoS::AtLeastOnce, Some(id)) if self.config.manual_acks => {
                self.deliver_held(id, publish);
            }
            (QoS::AtLeastOnce, Some(id)) => {
                self.events.push_back(Event::Message(publish));
                self.transmit.push_back(Packet::PubAck(PublishAck::new(id)));
            }
            (QoS::ExactlyOnce, Some(id)) => {
                // A resend of an id we hold is the same message: answer, do not store twice.
                self.incoming_qos2.entry(id).or_insert(Some(publish));
                self.transmit.push_back(Packet::PubRec(PublishAck::new(id)));
            }
            _ => self.events.push_back(Event::Message(publish)),
        }
    }

    /// PUBREL releases an inbound QoS 2 message: delivered now, completed by
    /// PUBCOMP at once or, with manual acks, once the application has it.
    pub(super) fn handle_pubrel(&mut self, id: PacketId) {
        match self.incoming_qos2.remove(&id) {
            Some(Some(publish)) if self.config.manual_acks => self.deliver_held(id, publish),
            Some(Some(publish)) => {
                self.events.push_back(Event::Message(publish));
                self.transmit
                    .push_back(Packet::PubComp(PublishAck::new(id)));
            }
            // A repeated PUBREL for a message still being handled: PUBCOMP waits for its ack.
            _ if self.held_acks.contains(id) => {}
            // Released and completed before (our PUBCOMP was lost): complete again.
            _ => self
                .transmit
                .push_back(Packet::PubComp(PublishAck::new(id))),
        }
    }

    fn deliver_held(&mut self, id: PacketId, publish: Publish) {
        self.held_acks.hold(id, publish.qos, self.connections);
        self.events.push_back(Event::HeldMessage {
            publish,
            connection: self.connections,
        });
    }

    /// Turns manual acks on or off (JS started or stopped overriding
    /// `handleMessage`). Messages already held still wait for their ack.
    pub fn set_manual_acks(&mut self, on: bool) {
        self.config.manual_acks = on;
    }

    /// The application has handled the message delivered as packet `id` on
    /// `connection` (a `HeldMessage`): its PUBACK or PUBCOMP goes out. A stale
    /// ack (the connection has changed, or the id is not held) sends nothing:
    /// the broker resends what it still holds, and the id may by now name
    /// another message.
    pub fn acknowledge(&mut self, id: PacketId, connection: u32) {
        let Some(qos) = self.held_acks.release(id, connection) else {
            return;
        };
        // Offline, a QoS 2 message is completed when the broker resends its
        // PUBREL (an id we no longer hold is answered with PUBCOMP).
        if self.is_connected() {
            self.transmit.push_back(match qos {
                QoS::ExactlyOnce => Packet::PubComp(PublishAck::new(id)),
                _ => Packet::PubAck(PublishAck::new(id)),
            });
        }
    }

    pub(super) fn ack_mismatch(&self, id: PacketId, ack: PacketType) -> SessionError {
        SessionError::Protocol(match self.pending.get(&id) {
            None => ProtocolViolation::UnsolicitedAck { ack, packet_id: id },
            Some(pending) => ProtocolViolation::MismatchedAck {
                ack,
                pending: pending.awaits_answer_to(),
                packet_id: id,
            },
        })
    }

    pub(super) fn complete_publish(
        &mut self,
        id: PacketId,
        ack: PacketType,
        expected: PublishStage,
    ) -> Result<(), SessionError> {
        match self.pending.get(&id) {
            Some(Pending::Publish { stage, .. }) if *stage == expected => {
                if let Some(Pending::Publish { token, .. }) = self.pending.remove(&id) {
                    self.release_id(id);
                    self.events.push_back(Event::Published {
                        token,
                        packet_id: Some(id),
                        result: Ok(()),
                    });
                }
                self.after_ack();
                Ok(())
            }
            _ => Err(self.ack_mismatch(id, ack)),
        }
    }

    pub(super) fn handle_pubrec(&mut self, id: PacketId) -> Result<(), SessionError> {
        match self.pending.get_mut(&id) {
            Some(Pending::Publish { stage, .. })
                if matches!(
                    *stage,
                    PublishStage::AwaitingPubRec | PublishStage::AwaitingPubComp
                ) =>
            {
                // A repeated PUBREC (after our resend) is answered again.
                *stage = PublishStage::AwaitingPubComp;
                self.transmit.push_back(Packet::PubRel(PublishAck::new(id)));
                Ok(())
            }
            _ => Err(self.ack_mismatch(id, PacketType::PubRec)),
        }
    }

    pub(super) fn handle_suback(&mut self, suback: SubAck) -> Result<(), SessionError> {
        let id = suback.packet_id;
        let requested = match self.pending.get(&id) {
            Some(Pending::Subscribe { packet, .. }) => packet.filters.len(),
            _ => return Err(self.ack_mismatch(id, PacketType::SubAck)),
        };
        if suback.reason_codes.len() != requested {
            return Err(SessionError::Protocol(
                ProtocolViolation::SubAckCountMismatch {
                    granted: suback.reason_codes.len(),
                    requested,
                },
            ));
        }
        if let Some(Pending::Subscribe { part, packet }) = self.pending.remove(&id) {
            self.release_id(id);
            let refused: Vec<String> = packet
                .filters
                .into_iter()
                .zip(&suback.reason_codes)
                .filter(|(_, code)| code.granted_qos().is_none())
                .map(|(filter, _)| filter.filter)
                .collect();
            if !refused.is_empty() {
                for filter in &refused {
                    self.resubscribe_topics.forget(filter);
                }
                self.events
                    .push_back(Event::SubscriptionsRefused { filters: refused });
            }
            if let Some(completion) = self.subscribe_calls.answered(part, suback) {
                self.events.push_back(completion);
            }
        }
        self.after_ack();
        Ok(())
    }

    pub(super) fn handle_unsuback(&mut self, id: PacketId) -> Result<(), SessionError> {
        match self.pending.remove(&id) {
            Some(Pending::Unsubscribe { token, .. }) => {
                self.release_id(id);
                self.events.push_back(Event::Unsubscribed {
                    token,
                    packet_id: id,
                    result: Ok(()),
                });
                self.after_ack();
                Ok(())
            }
            Some(other) => {
                self.pending.insert(id, other);
                Err(self.ack_mismatch(id, PacketType::UnsubAck))
            }
            None => Err(self.ack_mismatch(id, PacketType::UnsubAck)),
        }
    }

    pub(super) fn after_ack(&mut self) {
        self.admit_waiting_commands();
        self.maybe_finish_disconnect();
        // A drained in-flight table gives back the room a burst grew it to.
        if self.pending.is_empty() && self.pending.capacity() > super::RETAINED_QUEUE_CAPACITY {
            self.pending = std::collections::HashMap::new();
        }
    }

    pub(super) fn release_id(&mut self, id: PacketId) {
        self.packet_ids.release(id);
    }

    pub(super) fn fail_pending(&mut self, id: PacketId, error: CommandError) {
        let Some(pending) = self.pending.remove(&id) else {
            return;
        };
        self.release_id(id);
        if matches!(
            pending,
            Pending::Subscribe { .. } | Pending::Unsubscribe { .. }
        ) {
            // Only requests wait in the offline queue, and only while offline: this
            // scan is over what was asked for since the connection went down.
            self.offline_queue
                .retain(|q| !matches!(q, Queued::Request(queued) if *queued == id));
        }
        let event = match pending {
            Pending::Withdrawn => None,
            Pending::Publish { token, .. } => Some(Event::Published {
                token,
                packet_id: Some(id),
                result: Err(error),
            }),
            // The call reports its first failure only.
            Pending::Subscribe { part, .. } => self.subscribe_calls.failed(part, error),
            Pending::Unsubscribe { token, .. } => Some(Event::Unsubscribed {
                token,
                packet_id: id,
                result: Err(error),
            }),
        };
        self.events.extend(event);
    }
}

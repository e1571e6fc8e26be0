//! What the broker answers: inbound publishes and the acknowledgements that
//! complete (or refute) what we sent.

use super::*;

impl Session {
    pub(super) fn handle_incoming_publish(&mut self, publish: Publish) {
        match (publish.qos, publish.packet_id) {
            (QoS::AtLeastOnce, Some(id)) => {
                self.events.push_back(Event::Message(publish));
                self.transmit.push_back(Packet::PubAck(id));
            }
            (QoS::ExactlyOnce, Some(id)) => {
                // A resend of an id we hold is the same message: answer, do not store twice.
                self.incoming_qos2.entry(id).or_insert(Some(publish));
                self.transmit.push_back(Packet::PubRec(id));
            }
            _ => self.events.push_back(Event::Message(publish)),
        }
    }

    pub(super) fn ack_mismatch(&self, id: PacketId, cmd: &'static str) -> SessionError {
        SessionError::Protocol(match self.pending.get(&id) {
            None => ProtocolViolation::UnsolicitedAck { cmd, packet_id: id },
            Some(pending) => ProtocolViolation::MismatchedAck {
                cmd,
                pending: pending.cmd(),
                packet_id: id,
            },
        })
    }

    pub(super) fn complete_publish(
        &mut self,
        id: PacketId,
        cmd: &'static str,
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
            _ => Err(self.ack_mismatch(id, cmd)),
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
                self.transmit.push_back(Packet::PubRel(id));
                Ok(())
            }
            _ => Err(self.ack_mismatch(id, "pubrec")),
        }
    }

    pub(super) fn handle_suback(&mut self, suback: SubAck) -> Result<(), SessionError> {
        let id = suback.packet_id;
        let requested = match self.pending.get(&id) {
            Some(Pending::Subscribe { packet, .. }) => packet.filters.len(),
            _ => return Err(self.ack_mismatch(id, "suback")),
        };
        if suback.return_codes.len() != requested {
            return Err(SessionError::Protocol(
                ProtocolViolation::SubAckCountMismatch {
                    granted: suback.return_codes.len(),
                    requested,
                },
            ));
        }
        if let Some(Pending::Subscribe { token, packet }) = self.pending.remove(&id) {
            self.release_id(id);
            for (filter, code) in packet.filters.iter().zip(&suback.return_codes) {
                if code & 0x80 != 0 {
                    self.resubscribe_topics
                        .retain(|s| s.filter != filter.filter);
                }
            }
            self.events.push_back(Event::Subscribed {
                token,
                filters: packet.filters,
                result: Ok(suback),
            });
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
                Err(self.ack_mismatch(id, "unsuback"))
            }
            None => Err(self.ack_mismatch(id, "unsuback")),
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
        self.offline_queue
            .retain(|q| !matches!(q, Queued::Request(queued) if *queued == id));
        self.events.push_back(match pending {
            Pending::Withdrawn => return,
            Pending::Publish { token, .. } => Event::Published {
                token,
                packet_id: Some(id),
                result: Err(error),
            },
            Pending::Subscribe { token, packet } => Event::Subscribed {
                token,
                filters: packet.filters,
                result: Err(error),
            },
            Pending::Unsubscribe { token, .. } => Event::Unsubscribed {
                token,
                packet_id: id,
                result: Err(error),
            },
        });
    }
}

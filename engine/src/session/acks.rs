//! What the broker answers: inbound publishes and the acknowledgements that
//! complete (or refute) what we sent.

use super::held_acks::HeldAnswer;
use super::*;
use crate::codec::v5::ReasonCode;

impl Session {
    pub(super) fn handle_incoming_publish(
        &mut self,
        mut publish: Publish,
    ) -> Result<(), SessionError> {
        if let Some(alias) = publish.properties.get().and_then(|p| p.topic_alias) {
            // The topic the alias stands for (or now stands for) is the message's topic; the
            // property stays, as MQTT.js leaves it on `packet.properties`.
            self.aliases_in
                .resolve(&mut publish.topic, alias)
                .map_err(SessionError::Protocol)?;
        }
        if let Some(id) = publish.packet_id {
            self.check_receive_maximum(id)?;
        }
        match (publish.qos, publish.packet_id) {
            (QoS::AtLeastOnce, Some(id)) if self.config.manual_acks => {
                self.deliver_held(id, HeldAnswer::PubAck, publish);
            }
            (QoS::AtLeastOnce, Some(id)) => {
                self.events.push_back(Event::Message(publish));
                self.transmit.push_back(Packet::PubAck(PublishAck::new(id)));
            }
            (QoS::ExactlyOnce, Some(id)) if self.holds_pubrec() => {
                if self.incoming_qos2.contains_key(&id) {
                    // Received before (its PUBREC went): answer again, do not deliver twice.
                    self.transmit.push_back(Packet::PubRec(PublishAck::new(id)));
                } else if !self.held_acks.contains(id) {
                    // (A resend while the application decides waits for that same decision.)
                    self.deliver_held(id, HeldAnswer::PubRec, publish);
                }
            }
            (QoS::ExactlyOnce, Some(id)) => {
                // A resend of an id we hold is the same message: answer, do not store twice.
                self.incoming_qos2.entry(id).or_insert(Some(publish));
                self.transmit.push_back(Packet::PubRec(PublishAck::new(id)));
            }
            _ => self.events.push_back(Event::Message(publish)),
        }
        Ok(())
    }

    /// MQTT 5: a new inbound QoS 1/2 publish must not take the unacknowledged ones past our
    /// Receive Maximum (CONNECT property, default 65,535). Unacknowledged: a QoS 2 message
    /// awaiting PUBREL, and with manual acks any message the application has not acknowledged
    /// yet; a resend of one of those is not new.
    fn check_receive_maximum(&self, id: PacketId) -> Result<(), SessionError> {
        let Some(max) = self
            .config
            .connect_properties
            .get()
            .and_then(|p| p.receive_maximum)
        else {
            return Ok(());
        };
        let in_flight = self.incoming_qos2.len() + self.held_acks.len();
        if in_flight < usize::from(max)
            || self.incoming_qos2.contains_key(&id)
            || self.held_acks.contains(id)
        {
            return Ok(());
        }
        Err(SessionError::Protocol(
            ProtocolViolation::ReceiveMaximumExceeded {
                in_flight: in_flight + 1,
                max,
            },
        ))
    }

    /// PUBREL releases an inbound QoS 2 message: delivered now, completed by
    /// PUBCOMP at once or, with manual acks, once the application has it.
    pub(super) fn handle_pubrel(&mut self, id: PacketId) {
        match self.incoming_qos2.remove(&id) {
            Some(Some(publish)) if self.config.manual_acks => {
                self.deliver_held(id, HeldAnswer::PubComp, publish)
            }
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

    /// MQTT 5 with `customHandleAcks`: inbound QoS 2 PUBRECs wait for the application's code.
    fn holds_pubrec(&self) -> bool {
        self.config.hold_pubrec && self.config.protocol.is_v5()
    }

    fn deliver_held(&mut self, id: PacketId, answer: HeldAnswer, publish: Publish) {
        self.held_acks.hold(id, answer, self.connections);
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
    ///
    /// `reason_code` is MQTT 5's code for the PUBACK or PUBREC (MQTT.js `customHandleAcks`); 3.x
    /// acks have none, and a PUBCOMP's only codes say whether the packet id was found, so both
    /// send Success. A PUBREC below 0x80 keeps the packet id until PUBREL (already delivered: the
    /// PUBREL is completed at once); an error code ends the exchange [MQTT-4.3.3-4].
    pub fn acknowledge(&mut self, id: PacketId, connection: u32, reason_code: ReasonCode) {
        let Some(answer) = self.held_acks.release(id, connection) else {
            return;
        };
        let reason_code = self.v5_code(reason_code);
        if answer == HeldAnswer::PubRec && !reason_code.is_error() {
            // Delivered: a resent PUBLISH is answered with PUBREC, PUBREL with PUBCOMP.
            self.incoming_qos2.insert(id, None);
        }
        // Offline, a QoS 2 message is completed when the broker resends its
        // PUBLISH or PUBREL (answered as above, or, after a refusing code, the
        // PUBLISH comes as a new message). A held PUBACK went with its connection.
        if !self.is_connected() {
            return;
        }
        let coded = PublishAck {
            reason_code,
            ..PublishAck::new(id)
        };
        self.transmit.push_back(match answer {
            HeldAnswer::PubComp => Packet::PubComp(PublishAck::new(id)),
            HeldAnswer::PubAck => Packet::PubAck(coded),
            HeldAnswer::PubRec => Packet::PubRec(coded),
        });
    }

    /// `code` in MQTT 5; Success (the only code there is) in 3.x.
    fn v5_code(&self, code: ReasonCode) -> ReasonCode {
        if self.config.protocol.is_v5() {
            code
        } else {
            ReasonCode::SUCCESS
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

    /// The PUBACK (QoS 1) or PUBCOMP (QoS 2) that ends a publish: the callback gets it, or, when its
    /// MQTT 5 reason code is an error (0x80 and up; 0x10 "No matching subscribers" is a success),
    /// fails with it, as MQTT.js does.
    pub(super) fn complete_publish(
        &mut self,
        ack: PublishAck,
        ack_type: PacketType,
        expected: PublishStage,
    ) -> Result<(), SessionError> {
        let id = ack.packet_id;
        match self.pending.get(&id) {
            Some(Pending::Publish { stage, .. }) if *stage == expected => {
                self.finish_publish(ack);
                Ok(())
            }
            _ => Err(self.ack_mismatch(id, ack_type)),
        }
    }

    /// Ends the publish `ack` answers, frees its id and reports the ack as its outcome; its place
    /// under the broker's Receive Maximum goes to the next publish waiting.
    fn finish_publish(&mut self, ack: PublishAck) {
        let id = ack.packet_id;
        if let Some(Pending::Publish { token, .. }) = self.pending.remove(&id) {
            self.release_id(id);
            let result = if ack.reason_code.is_error() {
                Err(CommandError::Refused(ack))
            } else {
                Ok(Some(ack))
            };
            self.events.push_back(Event::Published {
                token,
                packet_id: Some(id),
                result,
            });
        }
        self.publish_exchange_ended();
        self.after_ack();
    }

    pub(super) fn handle_pubrec(&mut self, ack: PublishAck) -> Result<(), SessionError> {
        let id = ack.packet_id;
        let awaits_pubrec = matches!(
            self.pending.get(&id),
            Some(Pending::Publish {
                stage: PublishStage::AwaitingPubRec | PublishStage::AwaitingPubComp,
                ..
            })
        );
        if awaits_pubrec && ack.reason_code.is_error() {
            // Refused: the exchange ends here. PUBREL answers only a PUBREC below 0x80
            // [MQTT-4.3.3-4], and the id is free again at once (MQTT 5 section 4.3.3).
            self.finish_publish(ack);
            return Ok(());
        }
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

    pub(super) fn handle_unsuback(&mut self, unsuback: UnsubAck) -> Result<(), SessionError> {
        let id = unsuback.packet_id;
        match self.pending.remove(&id) {
            Some(Pending::Unsubscribe { token, .. }) => {
                self.release_id(id);
                self.events.push_back(Event::Unsubscribed {
                    token,
                    packet_id: id,
                    result: Ok(unsuback),
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

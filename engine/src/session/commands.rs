//! Starting what JS asks for: publishes, subscribes and unsubscribes, packet
//! ids, the offline queue and its limits.

use super::publish_out::{ExplicitAlias, Prepared};
use super::*;
use crate::codec::encoded_len;

impl Session {
    /// Starts a command, or has it wait behind those already waiting for a packet id.
    pub(super) fn submit(&mut self, command: Command) {
        if !self.waiting_for_id.is_empty() {
            // Keep call order: nothing overtakes a command already waiting.
            self.waiting_for_id.push_back(Waiting::Command(command));
            return;
        }
        if let Err(waiting) = self.start_command(command) {
            self.waiting_for_id.push_back(waiting);
        }
    }

    /// Starts a command, or says what must wait for a free packet id.
    fn start_command(&mut self, command: Command) -> Result<(), Waiting> {
        match command {
            Command::Publish {
                token,
                topic,
                payload,
                qos,
                retain,
                properties,
            } => {
                let Some(prepared) =
                    self.prepare_publish(token, topic, payload, qos, retain, properties)
                else {
                    return Ok(());
                };
                if qos == QoS::AtMostOnce {
                    self.start_qos0(token, prepared);
                    Ok(())
                } else {
                    self.start_qos12(token, prepared)
                }
            }
            Command::Subscribe { token, filters, .. } if filters.is_empty() => {
                // A SUBSCRIBE must carry a filter; a call without one would never settle.
                self.events.push_back(Event::Subscribed {
                    token,
                    granted: Vec::new(),
                    result: Err(CommandError::Invalid(
                        "Invalid subscribe: no topic filter [MQTT-3.8.3-3]".into(),
                    )),
                });
                Ok(())
            }
            Command::Subscribe {
                token,
                filters,
                properties,
            } => {
                let call = self.subscribe_calls.open(
                    token,
                    filters,
                    properties,
                    self.config.subscribe_batch_size,
                );
                self.send_subscribe_call(call)
            }
            Command::Unsubscribe {
                token,
                filters,
                properties,
            } => {
                let too_large = self.request_too_large(|| {
                    Packet::Unsubscribe(Unsubscribe {
                        packet_id: 1,
                        filters: filters.clone(),
                        properties: properties.clone(),
                    })
                });
                if let Some(error) = too_large {
                    let command = Command::Unsubscribe {
                        token,
                        filters,
                        properties,
                    };
                    self.fail_command(command, error);
                    return Ok(());
                }
                let Some(id) = self.allocate_id() else {
                    return Err(Waiting::Command(Command::Unsubscribe {
                        token,
                        filters,
                        properties,
                    }));
                };
                if self.config.resubscribe {
                    for filter in &filters {
                        self.resubscribe_topics.forget(filter);
                    }
                }
                let packet = Unsubscribe {
                    packet_id: id,
                    filters,
                    properties,
                };
                self.send_or_queue_request(id, Packet::Unsubscribe(packet.clone()));
                self.pending
                    .insert(id, Pending::Unsubscribe { token, packet });
                Ok(())
            }
            Command::Disconnect(_)
            | Command::AuthContinue(_)
            | Command::Reauthenticate(_)
            | Command::RemoveOutgoing(_)
            | Command::Fail { .. } => Ok(()),
        }
    }

    /// MQTT 5: why a SUBSCRIBE or UNSUBSCRIBE (`build` makes it, only when the broker set a Maximum
    /// Packet Size) must not be sent: over that maximum, the broker would drop the connection.
    fn request_too_large(&self, build: impl FnOnce() -> Packet) -> Option<CommandError> {
        let max = self.limits.maximum_packet_size;
        if max >= MAX_PACKET_SIZE {
            return None;
        }
        let packet = build();
        let size = encoded_len(&packet, self.config.protocol).unwrap_or(MAX_PACKET_SIZE + 1);
        (size > max).then(|| CommandError::RequestTooLarge {
            packet: packet.packet_type(),
            size,
            max,
        })
    }

    /// Makes the packets of a subscribe call, each with its own id, while ids
    /// last; the rest of the call waits for one (in call order).
    fn send_subscribe_call(&mut self, call: CallId) -> Result<(), Waiting> {
        while self.subscribe_calls.has_unsent(call) {
            let Some(id) = self.allocate_id() else {
                return Err(Waiting::SubscribeCall(call));
            };
            let Some((part, filters, properties)) = self.subscribe_calls.next_packet(call) else {
                // Not reached (checked above); the id goes back.
                self.release_id(id);
                break;
            };
            let packet = Subscribe {
                packet_id: id,
                filters,
                properties,
            };
            // MQTT 5: a packet over the broker's Maximum Packet Size would only make it drop the
            // connection: the call fails instead, and this packet's id goes back.
            let too_large = self.request_too_large(|| Packet::Subscribe(packet.clone()));
            if let Some(error) = too_large {
                self.release_id(id);
                // The call fails with this packet, and its filters not yet sent never go.
                let failed = self.subscribe_calls.failed(part, error.clone());
                let dropped = self.subscribe_calls.drop_unsent(call, error);
                self.events.extend(failed.into_iter().chain(dropped));
                return Ok(());
            }
            if self.config.resubscribe && self.config.auto_reconnect {
                self.resubscribe_topics
                    .remember(&packet.filters, &packet.properties);
            }
            self.send_or_queue_request(id, Packet::Subscribe(packet.clone()));
            self.pending.insert(id, Pending::Subscribe { part, packet });
        }
        Ok(())
    }

    /// A QoS 0 publish: out now when connected, else in the offline queue (or failed).
    fn start_qos0(&mut self, token: Token, prepared: Prepared) {
        if self.is_connected() {
            self.send_qos0(token, prepared.publish, prepared.explicit);
            return;
        }
        let publish = prepared.publish;
        let queued = if self.config.queue_qos_zero {
            self.admit_offline(publish.topic.len() + publish.payload.len())
        } else {
            Err(CommandError::NoConnection)
        };
        match queued {
            Ok(()) => self.offline_queue.push_back(Queued::PublishQoS0 {
                token,
                topic: publish.topic,
                payload: publish.payload,
                retain: publish.retain,
                properties: publish.properties,
            }),
            Err(error) => self.fail_publish(token, error),
        }
    }

    /// A QoS 1/2 publish: given a packet id and sent when connected and the broker's Receive
    /// Maximum has room, else kept (in order) until a connection or room; handed back when no
    /// packet id is free.
    fn start_qos12(&mut self, token: Token, prepared: Prepared) -> Result<(), Waiting> {
        let Prepared {
            mut publish,
            explicit,
        } = prepared;
        let size = publish.topic.len() + publish.payload.len();
        if !self.is_connected() {
            if let Err(error) = self.admit_offline(size) {
                self.fail_publish(token, error);
                return Ok(());
            }
        }
        let Some(id) = self.allocate_id() else {
            if !self.is_connected() {
                self.release_offline(size);
            }
            // Its own alias is dropped (the topic is whole): it goes out under the automatic rules.
            return Err(Waiting::Command(Command::Publish {
                token,
                topic: publish.topic,
                payload: publish.payload,
                qos: publish.qos,
                retain: publish.retain,
                properties: publish.properties,
            }));
        };
        publish.packet_id = Some(id);
        let order = self.next_order();
        let stage = if self.is_connected() && self.send_quota.has_room() {
            self.send_quota.acquire();
            self.transmit_publish(publish.clone(), explicit);
            awaiting_stage(publish.qos)
        } else {
            if self.is_connected() {
                self.send_quota.wait(order, id);
            }
            PublishStage::Unsent
        };
        self.pending.insert(
            id,
            Pending::Publish {
                token,
                publish,
                stage,
                order,
            },
        );
        Ok(())
    }

    pub(super) fn fail_publish(&mut self, token: Token, error: CommandError) {
        self.events.push_back(Event::Published {
            token,
            packet_id: None,
            result: Err(error),
        });
    }

    /// Counts a publish made while offline, or says why it cannot wait.
    pub(super) fn admit_offline(&mut self, size: usize) -> Result<(), CommandError> {
        let limits = self.config.offline_limits;
        let over_messages = limits
            .max_messages
            .is_some_and(|max| self.offline_messages + 1 > max);
        let over_bytes = limits
            .max_bytes
            .is_some_and(|max| self.offline_bytes + size > max);
        if over_messages || over_bytes {
            return Err(CommandError::OfflineQueueFull {
                messages: self.offline_messages,
                bytes: self.offline_bytes,
            });
        }
        self.offline_messages += 1;
        self.offline_bytes += size;
        Ok(())
    }

    pub(super) fn release_offline(&mut self, size: usize) {
        self.offline_messages = self.offline_messages.saturating_sub(1);
        self.offline_bytes = self.offline_bytes.saturating_sub(size);
    }

    /// Withdraws an unacknowledged publish; its callback gets "Message removed".
    pub(super) fn remove_outgoing(&mut self, id: PacketId) {
        let Some(Pending::Publish { publish, stage, .. }) = self.pending.get(&id) else {
            return;
        };
        let was_sent = *stage != PublishStage::Unsent;
        if !was_sent {
            let size = publish.topic.len() + publish.payload.len();
            self.release_offline(size);
        }
        self.fail_pending(id, CommandError::Removed);
        if was_sent && self.packet_ids.register(id) {
            self.pending.insert(id, Pending::Withdrawn);
        }
        self.after_ack();
    }

    pub(super) fn send_or_queue_request(&mut self, id: PacketId, packet: Packet) {
        if self.is_connected() {
            self.transmit.push_back(packet);
        } else {
            self.offline_queue.push_back(Queued::Request(id));
        }
    }

    pub(super) fn send_qos0(
        &mut self,
        token: Token,
        publish: Publish,
        explicit: Option<ExplicitAlias>,
    ) {
        self.transmit_publish(publish, explicit);
        // It completes once written (`Event`s do not see writes: see `qos0`).
        self.qos0.queued(token);
    }

    pub(super) fn next_order(&mut self) -> u64 {
        self.next_order += 1;
        self.next_order
    }

    /// Fails what waited for a packet id and will never get one.
    pub(super) fn fail_waiting(&mut self, waiting: Waiting, error: CommandError) {
        match waiting {
            Waiting::Command(command) => self.fail_command(command, error),
            Waiting::SubscribeCall(call) => {
                if let Some(event) = self.subscribe_calls.drop_unsent(call, error) {
                    self.events.push_back(event);
                }
            }
        }
    }

    fn fail_command(&mut self, command: Command, error: CommandError) {
        let event = match command {
            Command::Publish { token, .. } => Event::Published {
                token,
                packet_id: None,
                result: Err(error),
            },
            Command::Subscribe { token, filters, .. } => Event::Subscribed {
                token,
                granted: filters.iter().map(|filter| filter.qos).collect(),
                result: Err(error),
            },
            Command::Unsubscribe { token, .. } => Event::Unsubscribed {
                token,
                packet_id: 0,
                result: Err(error),
            },
            Command::Disconnect(_)
            | Command::AuthContinue(_)
            | Command::Reauthenticate(_)
            | Command::RemoveOutgoing(_)
            | Command::Fail { .. } => return,
        };
        self.events.push_back(event);
    }

    /// Commands that waited for a packet id go out, in order, while ids last.
    pub(super) fn admit_waiting_commands(&mut self) {
        while let Some(waiting) = self.waiting_for_id.pop_front() {
            let started = match waiting {
                Waiting::Command(command) => self.start_command(command),
                Waiting::SubscribeCall(call) => self.send_subscribe_call(call),
            };
            if let Err(waiting) = started {
                self.waiting_for_id.push_front(waiting);
                break;
            }
        }
    }

    /// The next free packet id, reported as allocated (`Event::PacketIdAllocated`).
    fn allocate_id(&mut self) -> Option<PacketId> {
        let id = self.packet_ids.allocate()?;
        self.events.push_back(Event::PacketIdAllocated(id));
        Some(id)
    }

    /// Subscribes again to every remembered filter: calls split and joined as
    /// the application's are (MQTT.js's `_resubscribe` makes one `subscribe()`
    /// per set of properties); nobody waits for their completion (token 0).
    pub(super) fn queue_resubscribe(&mut self) {
        if self.resubscribe_topics.is_empty() {
            return;
        }
        // Filters subscribed with different MQTT 5 properties (a subscription identifier, user
        // properties) go in different calls, each with its own list, as first sent; in 3.x all
        // properties are `NONE` and it is one call. Each call splits by `subscribeBatchSize`.
        let mut remembered = self
            .resubscribe_topics
            .subscriptions()
            .into_iter()
            .peekable();
        while let Some((first, properties)) = remembered.next() {
            let mut filters = vec![first];
            while let Some((filter, _)) = remembered.next_if(|(_, next)| *next == properties) {
                filters.push(filter);
            }
            self.submit(Command::Subscribe {
                token: 0,
                filters,
                properties,
            });
        }
    }
}

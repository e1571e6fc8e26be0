//! Starting what JS asks for: publishes, subscribes and unsubscribes, packet
//! ids, the offline queue and its limits.

use bytes::Bytes;

use super::*;
use crate::codec::{publish_encoded_len, EncodeError};

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
                qos: QoS::AtMostOnce,
                retain,
            } => {
                if self.is_connected() {
                    self.send_qos0(token, topic, payload, retain);
                    return Ok(());
                }
                let queued = if self.config.queue_qos_zero {
                    self.admit_offline(topic.len() + payload.len())
                } else {
                    Err(CommandError::NoConnection)
                };
                match queued {
                    Ok(()) => self.offline_queue.push_back(Queued::PublishQoS0 {
                        token,
                        topic,
                        payload,
                        retain,
                    }),
                    Err(error) => self.events.push_back(Event::Published {
                        token,
                        packet_id: None,
                        result: Err(error),
                    }),
                }
                Ok(())
            }
            Command::Publish {
                token,
                topic,
                payload,
                qos,
                retain,
            } => {
                if !self.is_connected() {
                    if let Err(error) = self.admit_offline(topic.len() + payload.len()) {
                        self.events.push_back(Event::Published {
                            token,
                            packet_id: None,
                            result: Err(error),
                        });
                        return Ok(());
                    }
                }
                let Some(id) = self.allocate_id() else {
                    if !self.is_connected() {
                        self.release_offline(topic.len() + payload.len());
                    }
                    return Err(Waiting::Command(Command::Publish {
                        token,
                        topic,
                        payload,
                        qos,
                        retain,
                    }));
                };
                let publish = Publish {
                    dup: false,
                    qos,
                    retain,
                    topic,
                    packet_id: Some(id),
                    payload,
                    properties: PacketProperties::NONE,
                };
                let stage = if self.is_connected() {
                    self.transmit.push_back(Packet::Publish(publish.clone()));
                    awaiting_stage(qos)
                } else {
                    PublishStage::Unsent
                };
                let order = self.next_order();
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
            Command::Subscribe { token, filters } if filters.is_empty() => {
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
            Command::Subscribe { token, filters } => {
                let call =
                    self.subscribe_calls
                        .open(token, filters, self.config.subscribe_batch_size);
                self.send_subscribe_call(call)
            }
            Command::Unsubscribe { token, filters } => {
                let Some(id) = self.allocate_id() else {
                    return Err(Waiting::Command(Command::Unsubscribe { token, filters }));
                };
                if self.config.resubscribe {
                    for filter in &filters {
                        self.resubscribe_topics.forget(filter);
                    }
                }
                let packet = Unsubscribe {
                    packet_id: id,
                    filters,
                    properties: PacketProperties::NONE,
                };
                self.send_or_queue_request(id, Packet::Unsubscribe(packet.clone()));
                self.pending
                    .insert(id, Pending::Unsubscribe { token, packet });
                Ok(())
            }
            Command::Disconnect | Command::RemoveOutgoing(_) | Command::Fail { .. } => Ok(()),
        }
    }

    /// Makes the packets of a subscribe call, each with its own id, while ids
    /// last; the rest of the call waits for one (in call order).
    fn send_subscribe_call(&mut self, call: CallId) -> Result<(), Waiting> {
        while self.subscribe_calls.has_unsent(call) {
            let Some(id) = self.allocate_id() else {
                return Err(Waiting::SubscribeCall(call));
            };
            let Some((part, filters)) = self.subscribe_calls.next_packet(call) else {
                // Not reached (checked above); the id goes back.
                self.release_id(id);
                break;
            };
            if self.config.resubscribe && self.config.auto_reconnect {
                self.resubscribe_topics.remember(&filters);
            }
            let packet = Subscribe {
                packet_id: id,
                filters,
                properties: PacketProperties::NONE,
            };
            self.send_or_queue_request(id, Packet::Subscribe(packet.clone()));
            self.pending.insert(id, Pending::Subscribe { part, packet });
        }
        Ok(())
    }

    /// Hands the command back, unless it is a publish whose packet would exceed
    /// `max_packet_size`: that one fails at once (sent, it would only make the
    /// broker drop the connection, and a QoS 1/2 one would do it again after
    /// every reconnect).
    pub(super) fn admit_packet_size(&mut self, command: Command) -> Option<Command> {
        let Command::Publish {
            token,
            topic,
            payload,
            qos,
            retain,
        } = command
        else {
            return Some(command);
        };
        let publish = Publish {
            dup: false,
            qos,
            retain,
            topic,
            // The size depends on whether there is an id, not on its value (allocated later).
            packet_id: (qos != QoS::AtMostOnce).then_some(1),
            payload,
            properties: PacketProperties::NONE,
        };
        let size = match publish_encoded_len(&publish, self.config.protocol) {
            Ok(size) if size <= self.max_packet_size => {
                return Some(Command::Publish {
                    token,
                    topic: publish.topic,
                    payload: publish.payload,
                    qos,
                    retain,
                })
            }
            Ok(size) => size,
            // Past what a remaining length can say: the header would need at least 4 length bytes.
            Err(EncodeError::PacketTooLarge { remaining_len }) => 1 + 4 + remaining_len,
            Err(other) => {
                self.fail_publish(
                    token,
                    CommandError::Invalid(format!("Invalid publish: {other}")),
                );
                return None;
            }
        };
        self.fail_publish(
            token,
            CommandError::PacketTooLarge {
                size,
                max: self.max_packet_size,
            },
        );
        None
    }

    fn fail_publish(&mut self, token: Token, error: CommandError) {
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
        topic: SharedStr,
        payload: Bytes,
        retain: bool,
    ) {
        self.transmit.push_back(Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtMostOnce,
            retain,
            topic,
            packet_id: None,
            payload,
            properties: PacketProperties::NONE,
        }));
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
            Command::Subscribe { token, filters } => Event::Subscribed {
                token,
                granted: filters.iter().map(|filter| filter.qos).collect(),
                result: Err(error),
            },
            Command::Unsubscribe { token, .. } => Event::Unsubscribed {
                token,
                packet_id: 0,
                result: Err(error),
            },
            Command::Disconnect | Command::RemoveOutgoing(_) | Command::Fail { .. } => return,
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

    /// Subscribes again to every remembered filter: one call, split and
    /// joined as the application's calls are (MQTT.js's `_resubscribe` makes
    /// one `subscribe()`); nobody waits for its completion (token 0).
    pub(super) fn queue_resubscribe(&mut self) {
        if self.resubscribe_topics.is_empty() {
            return;
        }
        let filters = self.resubscribe_topics.filters();
        self.submit(Command::Subscribe { token: 0, filters });
    }
}

//! The MQTT client session as a pure state machine: no I/O, no clock reads.
//!
//! The connection task feeds it inputs (`on_transport_open`, `handle_packet`,
//! `handle_command`, `handle_timeout`, `on_transport_closed`) with the current
//! time, and drains its outputs (`poll_transmit`, `poll_event`, `poll_timeout`).
//! It owns everything that must survive a reconnect: packet ids, the in-flight
//! QoS 1/2 exchanges in both directions, the offline queue and the topics to
//! resubscribe.

mod acks;
mod auth;
mod broker_limits;
mod commands;
mod error;
mod flow_control;
mod held_acks;
mod keepalive;
mod packet_ids;
mod publish_out;
mod qos0;
mod resubscribe;
mod subscribe_calls;
mod topic_alias;

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

use auth::Authentication;
use broker_limits::BrokerLimits;
pub use error::{connack_reason, CommandError, ProtocolViolation, SessionError};
use flow_control::SendQuota;
pub use keepalive::{Keepalive, KeepaliveAction};
pub use packet_ids::PacketIdAllocator;
use qos0::QoS0Tracker;
use resubscribe::ResubscribeSet;
use subscribe_calls::{CallId, CallPart, SubscribeCalls};
use topic_alias::{InboundAliases, OutboundAliases};

use crate::codec::v5::Auth;
use crate::codec::{
    ConnAck, Connect, Disconnect, LastWill, Packet, PacketId, PacketProperties, PacketType,
    ProtocolVersion, Publish, PublishAck, QoS, SharedStr, SubAck, Subscribe, SubscribeFilter,
    UnsubAck, Unsubscribe, MAX_PACKET_SIZE,
};

/// Matches a completion event to the JS callback that asked for it; 0 = nobody waits.
pub type Token = u64;

#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub protocol: ProtocolVersion,
    pub client_id: Bytes,
    pub clean_session: bool,
    pub keep_alive_secs: u16,
    pub connect_timeout: Duration,
    pub username: Option<Bytes>,
    pub password: Option<Bytes>,
    pub will: Option<LastWill>,
    /// Re-send subscriptions after reconnecting to a broker without our session.
    pub resubscribe: bool,
    /// Queue QoS 0 publishes made while offline (MQTT.js `queueQoSZero`, default true).
    pub queue_qos_zero: bool,
    /// MQTT.js only remembers topics to resubscribe when it will reconnect (`reconnectPeriod > 0`).
    pub auto_reconnect: bool,
    /// Bounds on publishes made while offline; `None` = unbounded, as MQTT.js.
    pub offline_limits: OfflineLimits,
    /// Most topic filters per SUBSCRIBE packet (MQTT.js `subscribeBatchSize`):
    /// a subscribe call, the resubscribe after a reconnect included, goes out
    /// in packets of at most this many and completes once (see `subscribe_calls`).
    pub subscribe_batch_size: Option<usize>,
    /// Inbound QoS 1/2 acknowledgements wait for `acknowledge` (JS overrode
    /// `handleMessage`); switched later with `set_manual_acks`.
    pub manual_acks: bool,
    /// MQTT 5 (the application's own `customHandleAcks`): an inbound QoS 2 message is delivered
    /// on its PUBLISH, held, and its PUBREC waits for `acknowledge`, which gives the PUBREC's
    /// reason code (MQTT.js puts the code on PUBREC); ignored in 3.x.
    pub hold_pubrec: bool,
    /// MQTT 5: CONNECT's properties (session expiry, receive maximum, authentication method, ...);
    /// `NONE` for MQTT 3.x. The will's list is `LastWill::properties`.
    pub connect_properties: PacketProperties,
    /// MQTT 5 (MQTT.js `autoUseTopicAlias`): a publish to a topic that already has an outbound
    /// alias is sent with the alias and an empty topic.
    pub auto_use_topic_alias: bool,
    /// MQTT 5 (MQTT.js `autoAssignTopicAlias`): topics get outbound aliases as they are first
    /// published, up to the broker's Topic Alias Maximum.
    pub auto_assign_topic_alias: bool,
}

/// Limits on what may wait for a connection. A publish that would go past
/// either limit is rejected (its callback gets `CommandError::OfflineQueueFull`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OfflineLimits {
    pub max_messages: Option<usize>,
    pub max_bytes: Option<usize>,
}

#[derive(Debug, Clone)]
pub enum Command {
    Publish {
        token: Token,
        topic: SharedStr,
        payload: Bytes,
        qos: QoS,
        retain: bool,
        /// MQTT 5's PUBLISH properties as the application gave them (`topic_alias` set = the
        /// application's explicit alias); `NONE` for MQTT 3.x.
        properties: PacketProperties,
    },
    Subscribe {
        token: Token,
        /// Each with its subscription options (MQTT 5's nl/rap/rh; 3.x: the defaults).
        filters: Vec<SubscribeFilter>,
        /// MQTT 5: subscription identifier and user properties.
        properties: PacketProperties,
    },
    Unsubscribe {
        token: Token,
        filters: Vec<String>,
        properties: PacketProperties,
    },
    /// End gracefully: let in-flight exchanges finish, then send this DISCONNECT
    /// (MQTT 3.x: always `Disconnect::NORMAL`).
    Disconnect(Disconnect),
    /// MQTT 5: the application's answer to the broker's AUTH during the connect-time exchange
    /// (MQTT.js `handleAuth` calling back; reason Continue authentication, 0x18).
    AuthContinue(Box<Auth>),
    /// MQTT 5: start re-authentication on the established connection (reason 0x19).
    Reauthenticate(Box<Auth>),
    /// Withdraw an unacknowledged publish (MQTT.js `removeOutgoingMessage`).
    RemoveOutgoing(PacketId),
    /// A publish rejected before it reached the session (bad topic, QoS):
    /// reported in call order like any other completion.
    Fail { token: Token, error: CommandError },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An accepted CONNACK.
    Connected {
        connack: ConnAck,
        /// The broker kept our session: in-flight messages were resent as
        /// duplicates and no resubscribe follows (see `session_resumed`).
        /// The one place this is decided; JS reads it from the connect record.
        session_resumed: bool,
    },
    Message(Publish),
    /// An inbound QoS 1/2 message whose PUBACK (QoS 1) or PUBCOMP (QoS 2)
    /// waits for `acknowledge(packet id, connection)` (manual acks).
    HeldMessage {
        publish: Publish,
        /// The connection it was delivered on, counted from 1 by accepted CONNACKs.
        connection: u32,
    },
    Published {
        token: Token,
        packet_id: Option<PacketId>,
        /// `Ok(Some(ack))`: the final acknowledgement (PUBACK for QoS 1, PUBCOMP for QoS 2) with
        /// its reason code (< 0x80) and properties, for MQTT.js's `cb(null, packet)`. `Ok(None)`: a
        /// completion without an ack. A negative PUBACK/PUBREC is `Err(CommandError::Refused)`.
        result: Result<Option<PublishAck>, CommandError>,
    },
    /// A subscribe call is settled: every SUBSCRIBE packet it was split into
    /// is answered, or one failed (see `subscribe_calls`).
    Subscribed {
        token: Token,
        /// The QoS of each of the call's filters, in the order asked, as the
        /// callback reports them (MQTT.js's `granted`): granted by an accepting
        /// SUBACK, else the QoS asked for (the call failed first).
        granted: Vec<QoS>,
        /// The SUBACK the callback reports (the call's last packet's, or the
        /// first to refuse a filter, which fails the call), or why the call
        /// failed without one.
        result: Result<SubAck, CommandError>,
    },
    /// A SUBACK refused these filters: they are not subscribed, and not
    /// resubscribed. Reported for every refusing SUBACK, a failed call's later
    /// packets and the session's resubscribes included, before any completion
    /// it brings.
    SubscriptionsRefused {
        filters: Vec<String>,
    },
    Unsubscribed {
        token: Token,
        packet_id: PacketId,
        /// The UNSUBACK: MQTT 5's per-filter reason codes and properties (3.x: none).
        result: Result<UnsubAck, CommandError>,
    },
    /// A packet id handed out (to a publish, subscribe or unsubscribe, the
    /// session's resubscribes included), reported as it happens: MQTT.js's
    /// `getLastMessageId()` is the latest of these, while completions come
    /// back in any order.
    PacketIdAllocated(PacketId),
    /// The connection closed before the QoS 0 publishes up to this token
    /// that were not yet reported written went out: they are lost (see `qos0`).
    QoS0Dropped {
        through: Token,
    },
    /// A graceful end found nothing left in flight (MQTT.js `outgoingEmpty`).
    OutgoingEmpty,
    /// The broker sent DISCONNECT (only legal from MQTT 5 on; MQTT.js emits `disconnect` with it).
    ServerDisconnect(Disconnect),
    /// MQTT 5: an AUTH from the broker that the application must answer (MQTT.js `handleAuth`).
    /// Boxed: its property list is held inline.
    Auth(Box<Auth>),
}

impl Event {
    /// The inbound publish of a `Message` or `HeldMessage`.
    pub fn message(&self) -> Option<&Publish> {
        match self {
            Event::Message(publish) | Event::HeldMessage { publish, .. } => Some(publish),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Offline,
    AwaitingConnAck { deadline: Instant },
    Connected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PublishStage {
    /// Made while offline or before CONNACK; never on the wire yet.
    Unsent,
    AwaitingPubAck,
    AwaitingPubRec,
    AwaitingPubComp,
}

#[derive(Debug)]
enum Pending {
    Publish {
        token: Token,
        publish: Publish,
        stage: PublishStage,
        order: u64,
    },
    Subscribe {
        part: CallPart,
        packet: Subscribe,
    },
    Unsubscribe {
        token: Token,
        packet: Unsubscribe,
    },
    /// A publish withdrawn by `removeOutgoingMessage` after it went out: its
    /// id stays taken until the broker's ack, which is then swallowed.
    Withdrawn,
}

impl Pending {
    /// The packet whose answer this entry waits for, for protocol error messages.
    fn awaits_answer_to(&self) -> PacketType {
        match self {
            Pending::Publish {
                stage: PublishStage::AwaitingPubComp,
                ..
            } => PacketType::PubRel,
            Pending::Publish { .. } | Pending::Withdrawn => PacketType::Publish,
            Pending::Subscribe { .. } => PacketType::Subscribe,
            Pending::Unsubscribe { .. } => PacketType::Unsubscribe,
        }
    }
}

/// What waits for a free packet id, in call order.
#[derive(Debug)]
enum Waiting {
    Command(Command),
    /// A subscribe call's packets not made yet (its first ones may be out).
    SubscribeCall(CallId),
}

/// What waits for the connection, in call order (MQTT.js's `queue`).
#[derive(Debug)]
enum Queued {
    PublishQoS0 {
        token: Token,
        topic: SharedStr,
        payload: Bytes,
        retain: bool,
        properties: PacketProperties,
    },
    /// A SUBSCRIBE or UNSUBSCRIBE whose id is already allocated in `pending`.
    Request(PacketId),
}

#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    link: Link,
    packet_ids: PacketIdAllocator,
    pending: HashMap<PacketId, Pending>,
    next_order: u64,
    offline_queue: VecDeque<Queued>,
    /// Commands waiting for a free packet id (all 65,535 in flight).
    waiting_for_id: VecDeque<Waiting>,
    /// Subscribe calls with packets out or still to make.
    subscribe_calls: SubscribeCalls,
    /// Inbound QoS 2 publishes held until PUBREL (None once delivered).
    incoming_qos2: HashMap<PacketId, Option<Publish>>,
    /// Inbound messages delivered whose ack waits for the application (manual acks).
    held_acks: held_acks::HeldAcks,
    /// Accepted CONNACKs so far: names the connection a held message came on.
    connections: u32,
    resubscribe_topics: ResubscribeSet,
    has_connected_before: bool,
    keepalive: Keepalive,
    disconnect_requested: bool,
    /// The DISCONNECT a graceful end sends (`Command::Disconnect`'s).
    disconnect_packet: Disconnect,
    disconnect_sent: bool,
    /// Publishes waiting for a connection, counted against `offline_limits`.
    offline_messages: usize,
    offline_bytes: usize,
    transmit: VecDeque<Packet>,
    /// The QoS 0 publishes among `transmit`, for reporting them written.
    qos0: QoS0Tracker,
    events: VecDeque<Event>,
    /// What the last CONNACK lets us send (MQTT 5; 3.x: the protocol's own bounds). A publish
    /// over them fails and is never sent.
    limits: BrokerLimits,
    /// Our QoS 1/2 publishes in flight against the broker's Receive Maximum.
    send_quota: SendQuota,
    /// MQTT 5 Topic Aliases of this connection: the broker's, and ours.
    aliases_in: InboundAliases,
    aliases_out: OutboundAliases,
    /// MQTT 5 enhanced authentication: which AUTH may arrive now.
    auth: Authentication,
    /// MQTT 5: the client identifier the broker assigned when ours was empty; the next CONNECT
    /// carries it, so that a session the broker keeps can be resumed.
    assigned_client_id: Option<Bytes>,
}

impl Session {
    pub fn new(config: SessionConfig, now: Instant) -> Self {
        let keepalive = Keepalive::new(Duration::from_secs(u64::from(config.keep_alive_secs)), now);
        let connect_properties = config.connect_properties.get();
        let aliases_in = InboundAliases::new(
            connect_properties
                .and_then(|p| p.topic_alias_maximum)
                .unwrap_or(0),
        );
        let auth =
            Authentication::new(connect_properties.and_then(|p| p.authentication_method.clone()));
        Session {
            config,
            link: Link::Offline,
            packet_ids: PacketIdAllocator::default(),
            pending: HashMap::new(),
            next_order: 0,
            offline_queue: VecDeque::new(),
            waiting_for_id: VecDeque::new(),
            subscribe_calls: SubscribeCalls::default(),
            incoming_qos2: HashMap::new(),
            held_acks: held_acks::HeldAcks::default(),
            connections: 0,
            resubscribe_topics: ResubscribeSet::default(),
            has_connected_before: false,
            keepalive,
            disconnect_requested: false,
            disconnect_packet: Disconnect::NORMAL,
            disconnect_sent: false,
            offline_messages: 0,
            offline_bytes: 0,
            transmit: VecDeque::new(),
            qos0: QoS0Tracker::default(),
            events: VecDeque::new(),
            limits: BrokerLimits::default(),
            send_quota: SendQuota::default(),
            aliases_in,
            aliases_out: OutboundAliases::default(),
            auth,
            assigned_client_id: None,
        }
    }

    pub fn is_connected(&self) -> bool {
        self.link == Link::Connected
    }

    /// True once the session has nothing more to do on the network: a graceful
    /// end sent its DISCONNECT (or there was no connection to send it on).
    pub fn is_finished(&self) -> bool {
        self.disconnect_requested && (self.disconnect_sent || self.link == Link::Offline)
    }

    /// Number of exchanges waiting for the broker (MQTT.js `outgoing`): for
    /// tests, which check that an exchange frees its id.
    #[cfg(test)]
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    // ---- inputs ------------------------------------------------------------

    /// A new network connection is up: send CONNECT and start the CONNACK clock.
    /// `attempt_started` is when this connection attempt began (the
    /// `connectTimeout` covers the TCP/TLS handshake too).
    pub fn on_transport_open(&mut self, attempt_started: Instant, now: Instant) {
        self.link = Link::AwaitingConnAck {
            deadline: attempt_started + self.config.connect_timeout,
        };
        self.keepalive.restart(now);
        self.clear_transmit();
        // A new connection starts with no Topic Alias in either direction [MQTT-3.3.2-7].
        self.aliases_in.clear();
        self.auth.on_connect_sent();
        self.transmit
            .push_back(Packet::Connect(Box::new(self.connect_packet())));
    }

    /// The network connection is gone, for whatever reason.
    pub fn on_transport_closed(&mut self, _now: Instant) {
        self.link = Link::Offline;
        self.clear_transmit();
        self.auth.on_exchange_over();
        self.held_acks.forget_qos1();
        // Like MQTT.js's `_flushVolatile`: subscribe/unsubscribe already sent
        // are not retried on the next connection; their callbacks fail.
        let queued: HashSet<PacketId> = self
            .offline_queue
            .iter()
            .filter_map(|q| match q {
                Queued::Request(id) => Some(*id),
                Queued::PublishQoS0 { .. } => None,
            })
            .collect();
        let sent_requests: Vec<PacketId> = self
            .pending
            .iter()
            .filter(|(id, p)| {
                matches!(p, Pending::Subscribe { .. } | Pending::Unsubscribe { .. })
                    && !queued.contains(id)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in sent_requests {
            self.fail_pending(id, CommandError::ConnectionClosed);
        }
        self.admit_waiting_commands();
    }

    /// The client is closing for good: every callback still waiting fails.
    pub fn shutdown(&mut self) {
        self.link = Link::Offline;
        self.clear_transmit();
        // Taken first: failing a pending request then has no queue entry to look for.
        let offline_queue = std::mem::take(&mut self.offline_queue);
        let mut ids: Vec<PacketId> = self.pending.keys().copied().collect();
        ids.sort_by_key(|id| self.order_of(*id));
        for id in ids {
            self.fail_pending(id, CommandError::ConnectionClosed);
        }
        for queued in offline_queue {
            if let Queued::PublishQoS0 { token, .. } = queued {
                self.events.push_back(Event::Published {
                    token,
                    packet_id: None,
                    result: Err(CommandError::ConnectionClosed),
                });
            }
        }
        for waiting in std::mem::take(&mut self.waiting_for_id) {
            self.fail_waiting(waiting, CommandError::ConnectionClosed);
        }
        self.offline_messages = 0;
        self.offline_bytes = 0;
    }

    pub fn handle_command(&mut self, command: Command, _now: Instant) {
        match command {
            Command::Disconnect(packet) => {
                self.disconnect_requested = true;
                // MQTT 3.x's DISCONNECT has no fields: only "normal" exists.
                if self.config.protocol.is_v5() {
                    self.disconnect_packet = packet;
                }
                self.maybe_finish_disconnect();
                return;
            }
            Command::AuthContinue(auth) => {
                if self.link != Link::Offline {
                    if let Some(answer) = self.auth.answer(*auth) {
                        let packet =
                            self.within_maximum_packet_size(Packet::Auth(Box::new(answer)));
                        self.transmit.push_back(packet);
                    }
                }
                return;
            }
            Command::Reauthenticate(auth) => {
                if self.is_connected() {
                    if let Some(request) = self.auth.reauthenticate(*auth) {
                        let packet =
                            self.within_maximum_packet_size(Packet::Auth(Box::new(request)));
                        self.transmit.push_back(packet);
                    }
                }
                return;
            }
            Command::RemoveOutgoing(id) => {
                self.remove_outgoing(id);
                return;
            }
            Command::Fail { token, error } => {
                self.events.push_back(Event::Published {
                    token,
                    packet_id: None,
                    result: Err(error),
                });
                return;
            }
            _ => {}
        }
        self.submit(command);
    }

    pub fn handle_packet(&mut self, packet: Packet, now: Instant) -> Result<(), SessionError> {
        self.keepalive.on_packet_received(now);
        if let Link::AwaitingConnAck { .. } = self.link {
            return match packet {
                Packet::ConnAck(connack) => self.handle_connack(connack),
                Packet::Auth(auth) => self.handle_auth(auth),
                other => Err(SessionError::Protocol(
                    ProtocolViolation::PacketBeforeConnAck(other.packet_type()),
                )),
            };
        }
        if let Packet::PubAck(PublishAck { packet_id: id, .. })
        | Packet::PubRec(PublishAck { packet_id: id, .. })
        | Packet::PubComp(PublishAck { packet_id: id, .. }) = packet
        {
            if let Some(Pending::Withdrawn) = self.pending.get(&id) {
                self.pending.remove(&id);
                self.release_id(id);
                self.publish_exchange_ended();
                self.after_ack();
                return Ok(());
            }
        }
        match packet {
            Packet::ConnAck(_) => Err(SessionError::Protocol(ProtocolViolation::DuplicateConnAck)),
            Packet::Publish(publish) => self.handle_incoming_publish(publish),
            Packet::PubAck(ack) => {
                self.complete_publish(ack, PacketType::PubAck, PublishStage::AwaitingPubAck)
            }
            Packet::PubRec(ack) => self.handle_pubrec(ack),
            Packet::PubComp(ack) => {
                self.complete_publish(ack, PacketType::PubComp, PublishStage::AwaitingPubComp)
            }
            Packet::PubRel(ack) => {
                self.handle_pubrel(ack.packet_id);
                Ok(())
            }
            Packet::SubAck(suback) => self.handle_suback(suback),
            Packet::UnsubAck(unsuback) => self.handle_unsuback(unsuback),
            Packet::PingResp => Ok(()),
            Packet::Disconnect(packet) => {
                self.events.push_back(Event::ServerDisconnect(packet));
                Ok(())
            }
            // Only MQTT 5 has AUTH: the decoder refuses packet type 15 before it.
            Packet::Auth(auth) => self.handle_auth(auth),
            other @ (Packet::Connect(_)
            | Packet::Subscribe(_)
            | Packet::Unsubscribe(_)
            | Packet::PingReq) => Err(SessionError::Protocol(ProtocolViolation::ServerOnlyPacket(
                other.packet_type(),
            ))),
        }
    }

    /// The connection has stopped (`true`) or resumed (`false`) reading from the broker for a
    /// reason of its own (a backlog JS has not taken): see `Keepalive::on_reads_held`.
    pub fn on_reads_held(&mut self, held: bool, now: Instant) {
        self.keepalive.on_reads_held(held, now);
    }

    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), SessionError> {
        match self.link {
            Link::AwaitingConnAck { deadline } if now >= deadline => {
                Err(SessionError::ConnackTimeout)
            }
            Link::Connected => match self.keepalive.poll(now) {
                KeepaliveAction::SendPing => {
                    self.keepalive.on_ping_sent(now);
                    self.transmit.push_back(Packet::PingReq);
                    Ok(())
                }
                KeepaliveAction::TimedOut => Err(SessionError::KeepaliveTimeout),
                KeepaliveAction::Nothing => Ok(()),
            },
            _ => Ok(()),
        }
    }

    // ---- outputs -----------------------------------------------------------

    pub fn poll_transmit(&mut self, now: Instant) -> Option<Packet> {
        let packet = self.transmit.pop_front()?;
        release_if_drained(&mut self.transmit);
        match &packet {
            Packet::Disconnect(_) => self.disconnect_sent = true,
            Packet::Publish(publish) if publish.qos == QoS::AtMostOnce => self.qos0.polled(),
            _ => {}
        }
        self.keepalive.on_packet_sent(now);
        Some(packet)
    }

    /// The newest token of a QoS 0 publish `poll_transmit` has handed out:
    /// once every packet polled so far is written, so is every QoS 0 publish
    /// up to it (0: none yet).
    pub fn qos0_polled_through(&self) -> Token {
        self.qos0.polled_through()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.events.pop_front();
        release_if_drained(&mut self.events);
        event
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.link {
            Link::AwaitingConnAck { deadline } => Some(deadline),
            Link::Connected => self.keepalive.deadline(),
            Link::Offline => None,
        }
    }

    /// Takes the client id and credentials the next CONNECT carries (JS
    /// changed `client.options` in a `reconnect` listener).
    pub fn set_connect_identity(
        &mut self,
        client_id: Bytes,
        username: Option<Bytes>,
        password: Option<Bytes>,
    ) {
        self.config.client_id = client_id;
        self.config.username = username;
        self.config.password = password;
    }

    // ---- internals ---------------------------------------------------------

    /// Forgets what waited for a connection that is gone or replaced.
    fn clear_transmit(&mut self) {
        self.transmit.clear();
        if let Some(through) = self.qos0.transmit_cleared() {
            self.events.push_back(Event::QoS0Dropped { through });
        }
    }

    fn connect_packet(&self) -> Connect {
        Connect {
            protocol: self.config.protocol,
            clean_session: self.config.clean_session,
            keep_alive: self.config.keep_alive_secs,
            client_id: self.client_id(),
            will: self.config.will.clone(),
            username: self.config.username.clone(),
            password: self.config.password.clone(),
            properties: self.config.connect_properties.clone(),
        }
    }

    /// The client identifier CONNECT carries: ours, or when ours is empty the one the broker
    /// assigned on an earlier connection (MQTT 5), so a session it keeps can be resumed.
    fn client_id(&self) -> Bytes {
        match &self.assigned_client_id {
            Some(assigned) if self.config.client_id.is_empty() => assigned.clone(),
            _ => self.config.client_id.clone(),
        }
    }

    /// An AUTH from the broker (MQTT 5): the application answers it, if it is one the exchange
    /// under way allows (`auth`); otherwise a Protocol Error.
    fn handle_auth(&mut self, auth: Box<Auth>) -> Result<(), SessionError> {
        self.auth
            .on_received(&auth)
            .map_err(SessionError::Protocol)?;
        self.events.push_back(Event::Auth(auth));
        Ok(())
    }

    /// Takes in what an accepted CONNACK says about this connection (MQTT 5; a 3.x CONNACK has no
    /// properties, leaving every default).
    fn apply_connack_properties(&mut self, connack: &ConnAck) {
        self.limits = BrokerLimits::from_connack(&connack.properties);
        self.keepalive
            .set_interval(self.limits.keep_alive(self.config.keep_alive_secs));
        self.aliases_out = OutboundAliases::new(
            self.limits.topic_alias_maximum,
            self.config.auto_use_topic_alias,
            self.config.auto_assign_topic_alias,
        );
        if let Some(assigned) = connack
            .properties
            .get()
            .and_then(|p| p.assigned_client_identifier.as_ref())
        {
            self.assigned_client_id = Some(Bytes::copy_from_slice(assigned.as_bytes()));
        }
        self.auth.on_exchange_over();
    }

    fn session_resumed(&self, connack: &ConnAck) -> bool {
        // MQTT 3.1 has no session-present flag: a non-clean session is assumed kept.
        !self.config.clean_session
            && (self.config.protocol == ProtocolVersion::V31 || connack.session_present)
    }

    fn handle_connack(&mut self, connack: ConnAck) -> Result<(), SessionError> {
        if !connack.reason_code.is_success() {
            return Err(SessionError::ConnectionRefused(connack.reason_code));
        }
        self.link = Link::Connected;
        self.connections = self.connections.wrapping_add(1);
        self.apply_connack_properties(&connack);
        let resumed = self.session_resumed(&connack);
        if !resumed {
            self.incoming_qos2.clear();
            self.held_acks.clear();
        }
        self.events.push_back(Event::Connected {
            connack,
            session_resumed: resumed,
        });
        self.fail_publishes_over_limits();
        self.resend_in_flight(resumed);
        self.flush_offline_queue();
        self.offline_messages = 0;
        self.offline_bytes = 0;
        if self.has_connected_before && !resumed && self.config.resubscribe {
            self.queue_resubscribe();
        }
        self.has_connected_before = true;
        self.admit_waiting_commands();
        self.maybe_finish_disconnect();
        Ok(())
    }

    /// Replays unacknowledged publishes in their original order: with DUP=1
    /// when the broker kept our session ([MQTT-4.4.0-1]), a message whose
    /// PUBREC arrived going on with PUBREL; as new messages (DUP=0) when it
    /// did not, so that nothing is lost.
    fn resend_in_flight(&mut self, resumed: bool) {
        let withdrawn: Vec<PacketId> = self
            .pending
            .iter()
            .filter(|(_, p)| matches!(p, Pending::Withdrawn))
            .map(|(id, _)| *id)
            .collect();
        for id in withdrawn {
            self.pending.remove(&id);
            self.release_id(id);
        }
        let mut publishes: Vec<(u64, PacketId)> = self
            .pending
            .iter()
            .filter_map(|(id, p)| match p {
                Pending::Publish { order, .. } => Some((*order, *id)),
                _ => None,
            })
            .collect();
        publishes.sort_unstable();
        self.send_quota.reset(self.limits.receive_maximum);
        for (order, id) in publishes {
            let Some(Pending::Publish { publish, stage, .. }) = self.pending.get_mut(&id) else {
                continue;
            };
            match *stage {
                PublishStage::AwaitingPubComp if resumed => {
                    // Only PUBLISH may wait for room [MQTT-3.3.4-8]; the exchange still counts.
                    self.send_quota.acquire();
                    self.transmit.push_back(Packet::PubRel(PublishAck::new(id)));
                    continue;
                }
                PublishStage::AwaitingPubComp => {
                    // The broker dropped the session, and with it a message it may
                    // only have released on our PUBREL: publish it anew rather than
                    // risk losing it (at worst a duplicate, never a loss).
                    publish.dup = false;
                }
                // Never sent, or held back by the Receive Maximum after being sent on an
                // earlier connection (its DUP flag says which).
                PublishStage::Unsent => publish.dup &= resumed,
                PublishStage::AwaitingPubAck | PublishStage::AwaitingPubRec => {
                    publish.dup = resumed;
                }
            }
            if self.send_quota.has_room() {
                *stage = awaiting_stage(publish.qos);
                let publish = publish.clone();
                self.send_quota.acquire();
                // Whole, as stored: an alias of the old connection means nothing now.
                self.transmit_publish(publish, None);
            } else {
                *stage = PublishStage::Unsent;
                self.send_quota.wait(order, id);
            }
        }
    }

    fn flush_offline_queue(&mut self) {
        while let Some(queued) = self.offline_queue.pop_front() {
            match queued {
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
                        retain,
                        topic,
                        packet_id: None,
                        payload,
                        properties,
                    };
                    self.send_qos0(token, publish, None)
                }
                Queued::Request(id) => match self.pending.get(&id) {
                    Some(Pending::Subscribe { packet, .. }) => {
                        self.transmit.push_back(Packet::Subscribe(packet.clone()))
                    }
                    Some(Pending::Unsubscribe { packet, .. }) => {
                        self.transmit.push_back(Packet::Unsubscribe(packet.clone()))
                    }
                    _ => {}
                },
            }
        }
        release_if_drained(&mut self.offline_queue);
    }

    fn order_of(&self, id: PacketId) -> u64 {
        match self.pending.get(&id) {
            Some(Pending::Publish { order, .. }) => *order,
            _ => 0,
        }
    }

    fn maybe_finish_disconnect(&mut self) {
        if !self.disconnect_requested || self.disconnect_sent {
            return;
        }
        let nothing_in_flight = self
            .pending
            .values()
            .all(|p| matches!(p, Pending::Withdrawn));
        if self.is_connected() && nothing_in_flight && self.waiting_for_id.is_empty() {
            self.events.push_back(Event::OutgoingEmpty);
            self.transmit.push_back(
                self.within_maximum_packet_size(Packet::Disconnect(self.disconnect_packet.clone())),
            );
        }
    }
}

fn awaiting_stage(qos: QoS) -> PublishStage {
    match qos {
        QoS::ExactlyOnce => PublishStage::AwaitingPubRec,
        _ => PublishStage::AwaitingPubAck,
    }
}

/// Entries a drained queue (or the in-flight table) may keep room for. A
/// `VecDeque` or `HashMap` never gives its capacity back by itself: after a
/// burst of 50,000 offline publishes, each held room for 65,536 entries for
/// the client's life.
const RETAINED_QUEUE_CAPACITY: usize = 1024;

/// Frees an emptied queue's buffer when a burst has grown it.
fn release_if_drained<T>(queue: &mut VecDeque<T>) {
    if queue.is_empty() && queue.capacity() > RETAINED_QUEUE_CAPACITY {
        *queue = VecDeque::new();
    }
}

#[cfg(test)]
mod tests;

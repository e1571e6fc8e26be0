//! Why a session ends a network connection, and why a command failed.

use std::fmt::{self, Write};

use crate::codec::v5::ReasonCode;
use crate::codec::{
    ConnectReasonCode, PacketId, PacketType, PublishAck, MAX_PACKET_SIZE, MAX_REMAINING_LEN,
};

/// A reason to close the current network connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionError {
    /// No CONNACK within `connectTimeout`.
    ConnackTimeout,
    /// No answer to PINGREQ within 1.5 × keepalive.
    KeepaliveTimeout,
    /// CONNACK refused the connection.
    ConnectionRefused(ConnectReasonCode),
    /// The broker broke the protocol; the connection cannot be trusted any more.
    Protocol(ProtocolViolation),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolViolation {
    /// Anything but CONNACK as the first packet ([MQTT-3.2.0-1]).
    PacketBeforeConnAck(PacketType),
    DuplicateConnAck,
    /// A packet type a server never sends to a client.
    ServerOnlyPacket(PacketType),
    /// An acknowledgement for a packet id that has nothing pending.
    UnsolicitedAck {
        ack: PacketType,
        packet_id: PacketId,
    },
    /// An acknowledgement of the wrong kind for what is pending on that id.
    MismatchedAck {
        ack: PacketType,
        /// The packet the pending entry waits for an answer to.
        pending: PacketType,
        packet_id: PacketId,
    },
    /// SUBACK with a different number of return codes than filters sent ([MQTT-3.8.4-5]).
    SubAckCountMismatch {
        granted: usize,
        requested: usize,
    },
    /// MQTT 5: a Topic Alias when our CONNECT allowed none (Topic Alias Maximum 0), section 3.3.2.3.4.
    TopicAliasNotAllowed {
        alias: u16,
    },
    /// MQTT 5: a Topic Alias of 0 or above our Topic Alias Maximum, section 3.3.2.3.4.
    TopicAliasOutOfRange {
        alias: u16,
        max: u16,
    },
    /// MQTT 5: an empty topic with an alias the broker never set on this connection (section 3.3.4).
    UnknownTopicAlias {
        alias: u16,
    },
    /// MQTT 5: more unacknowledged inbound QoS 1/2 publishes than our Receive Maximum (section 3.3.4).
    ReceiveMaximumExceeded {
        in_flight: usize,
        max: u16,
    },
    /// MQTT 5: an AUTH packet when no authentication exchange is under way (our CONNECT named no
    /// Authentication Method, or the connection is up and we did not ask to re-authenticate).
    UnexpectedAuth,
    /// MQTT 5: an AUTH with another Authentication Method than our CONNECT's (section 4.12).
    AuthMethodMismatch {
        expected: String,
    },
    /// MQTT 5: an AUTH reason code only a client may send (0x19, Re-authenticate).
    AuthReasonCode(u8),
}

impl SessionError {
    /// MQTT 5: the reason code of the DISCONNECT a client sends before closing the connection
    /// because of this error [MQTT-4.13.1-1]; `None` when no DISCONNECT is due (timeouts, a refused
    /// CONNACK).
    pub fn disconnect_reason_code(&self) -> Option<ReasonCode> {
        match self {
            SessionError::Protocol(violation) => Some(violation.disconnect_reason_code()),
            SessionError::ConnackTimeout
            | SessionError::KeepaliveTimeout
            | SessionError::ConnectionRefused(_) => None,
        }
    }
}

impl ProtocolViolation {
    /// The reason code an MQTT 5 client puts in the DISCONNECT it sends before closing over this
    /// violation [MQTT-4.13.1-1] (MQTT 5 table 3-10).
    pub fn disconnect_reason_code(&self) -> ReasonCode {
        match self {
            ProtocolViolation::TopicAliasNotAllowed { .. }
            | ProtocolViolation::TopicAliasOutOfRange { .. } => ReasonCode::TOPIC_ALIAS_INVALID,
            ProtocolViolation::ReceiveMaximumExceeded { .. } => {
                ReasonCode::RECEIVE_MAXIMUM_EXCEEDED
            }
            ProtocolViolation::PacketBeforeConnAck(_)
            | ProtocolViolation::DuplicateConnAck
            | ProtocolViolation::ServerOnlyPacket(_)
            | ProtocolViolation::UnsolicitedAck { .. }
            | ProtocolViolation::MismatchedAck { .. }
            | ProtocolViolation::SubAckCountMismatch { .. }
            | ProtocolViolation::UnknownTopicAlias { .. }
            | ProtocolViolation::UnexpectedAuth
            | ProtocolViolation::AuthMethodMismatch { .. }
            | ProtocolViolation::AuthReasonCode(_) => ReasonCode::PROTOCOL_ERROR,
        }
    }

    /// The code the JS error carries for this violation (MQTT.js's `ErrorWithReasonCode`), where
    /// MQTT.js gives one: the MQTT 5 violations, and 130 ("Protocol Error") for a duplicate CONNACK.
    /// The others keep the text code `ERR_MQTT_PROTOCOL`.
    pub fn reason_code(&self) -> Option<u8> {
        match self {
            ProtocolViolation::DuplicateConnAck
            | ProtocolViolation::TopicAliasNotAllowed { .. }
            | ProtocolViolation::TopicAliasOutOfRange { .. }
            | ProtocolViolation::UnknownTopicAlias { .. }
            | ProtocolViolation::ReceiveMaximumExceeded { .. }
            | ProtocolViolation::UnexpectedAuth
            | ProtocolViolation::AuthMethodMismatch { .. }
            | ProtocolViolation::AuthReasonCode(_) => Some(self.disconnect_reason_code().0),
            _ => None,
        }
    }
}

impl fmt::Display for ProtocolViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolViolation::PacketBeforeConnAck(packet) => write!(
                f,
                "Protocol error: {} received before CONNACK [MQTT-3.2.0-1]",
                Cmd(*packet)
            ),
            ProtocolViolation::DuplicateConnAck => write!(
                f,
                "Protocol error: duplicate CONNACK on the same network connection"
            ),
            ProtocolViolation::ServerOnlyPacket(packet) => write!(
                f,
                "Protocol error: a server must not send {} to a client",
                Cmd(*packet)
            ),
            ProtocolViolation::UnsolicitedAck { ack, packet_id } => write!(
                f,
                "Protocol error: {} for message id {packet_id}, which has nothing pending",
                Cmd(*ack)
            ),
            ProtocolViolation::MismatchedAck {
                ack,
                pending,
                packet_id,
            } => write!(
                f,
                "Protocol error: {} does not answer the {} pending on message id {packet_id}",
                Cmd(*ack),
                Cmd(*pending)
            ),
            ProtocolViolation::SubAckCountMismatch { granted, requested } => write!(
                f,
                "Protocol error: suback granted {granted} reason code(s) for {requested} subscription(s) [MQTT-3.8.4-5]"
            ),
            // The texts MQTT.js emits for these, with the section of the rule.
            ProtocolViolation::TopicAliasNotAllowed { .. } => f.write_str(
                "Received a PUBLISH Topic Alias but no Topic Alias Maximum was advertised (section 3.3.2.3.4)",
            ),
            ProtocolViolation::TopicAliasOutOfRange { alias, max } => write!(
                f,
                "Received Topic Alias {alias} is outside the advertised Topic Alias Maximum range 1-{max} (section 3.3.2.3.4)"
            ),
            ProtocolViolation::UnknownTopicAlias { alias } => write!(
                f,
                "Received unregistered Topic Alias ({alias}, with an empty topic)"
            ),
            ProtocolViolation::ReceiveMaximumExceeded { in_flight, max } => write!(
                f,
                "Receive Maximum exceeded: {in_flight} inbound QoS 1/2 messages in flight, receiveMaximum is {max} (section 3.3.4)"
            ),
            ProtocolViolation::UnexpectedAuth => f.write_str(
                "Protocol error: Auth packet received but enhanced authentication was not requested",
            ),
            ProtocolViolation::AuthMethodMismatch { expected } => write!(
                f,
                "Protocol error: Auth packet Authentication Method does not match the \"{expected}\" sent in CONNECT (section 4.12)"
            ),
            ProtocolViolation::AuthReasonCode(code) => write!(
                f,
                "Protocol error: Auth packet reason code {code} is not one a broker may send"
            ),
        }
    }
}

/// A packet named as MQTT.js names it (its `cmd`: the specification's name in lower case), which is
/// how these messages have always named packets and what applications may match on.
struct Cmd(PacketType);

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0
            .name()
            .chars()
            .try_for_each(|c| f.write_char(c.to_ascii_lowercase()))
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The exact texts MQTT.js emits.
            SessionError::ConnackTimeout => f.write_str("connack timeout"),
            SessionError::KeepaliveTimeout => f.write_str("Keepalive timeout"),
            SessionError::ConnectionRefused(code) => {
                write!(f, "Connection refused: {}", connack_reason(*code))
            }
            SessionError::Protocol(violation) => violation.fmt(f),
        }
    }
}

impl std::error::Error for SessionError {}

/// A CONNACK code worded as MQTT.js's `ReasonCodes` table words it (the one table of those texts,
/// `codec::v5::ReasonCode::mqttjs_text`, which the addon also exports as the package's `ReasonCodes`).
pub fn connack_reason(code: ConnectReasonCode) -> &'static str {
    ReasonCode(code.byte())
        .mqttjs_text()
        .unwrap_or("Unknown return code")
}

/// Why a publish, subscribe or unsubscribe did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// The client closed for good (or the connection dropped with a
    /// subscribe/unsubscribe in flight) before the broker answered.
    ConnectionClosed,
    /// QoS 0 publish while offline with `queueQoSZero: false`.
    NoConnection,
    /// `removeOutgoingMessage(id)` withdrew it.
    Removed,
    /// The offline queue is at its configured limit.
    OfflineQueueFull { messages: usize, bytes: usize },
    /// The command itself was invalid (bad topic, QoS, ...).
    Invalid(String),
    /// The publish's packet would be larger than the broker may receive (the
    /// protocol's maximum; MQTT 5's `maximumPacketSize` will lower it). `size`
    /// is the packet's length in bytes, header included.
    PacketTooLarge { size: usize, max: usize },
    /// MQTT 5: a Topic Alias the broker does not allow (0, or above its CONNACK Topic Alias Maximum).
    TopicAliasOutOfRange { alias: u16, max: u16 },
    /// MQTT 5: an empty topic with an alias not set on this connection.
    UnregisteredTopicAlias { alias: u16 },
    /// MQTT 5: a QoS above the broker's CONNACK Maximum QoS [MQTT-3.2.2-11].
    QoSNotSupported { qos: u8, max: u8 },
    /// MQTT 5: RETAIN set while the broker's CONNACK said Retain Available 0 [MQTT-3.2.2-14].
    RetainNotSupported,
    /// MQTT 5: a SUBSCRIBE or UNSUBSCRIBE larger than the broker's CONNACK Maximum Packet Size.
    RequestTooLarge {
        packet: PacketType,
        size: usize,
        max: usize,
    },
    /// MQTT 5: the broker refused the publish, with a PUBACK or PUBREC whose reason code is 0x80 or
    /// above (that ack, with its properties). MQTT.js: `ErrorWithReasonCode('Publish error: ' +
    /// ReasonCodes[code], code)`.
    Refused(PublishAck),
}

impl CommandError {
    /// The `code` the JS error carries, when the failure has one.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            CommandError::PacketTooLarge { .. } | CommandError::RequestTooLarge { .. } => {
                Some("ERR_MQTT_PACKET_TOO_LARGE")
            }
            _ => None,
        }
    }

    /// The MQTT 5 reason code the JS error carries as its numeric `code` (a refused publish).
    pub fn reason_code(&self) -> Option<ReasonCode> {
        match self {
            CommandError::Refused(ack) => Some(ack.reason_code),
            _ => None,
        }
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::ConnectionClosed => f.write_str("Connection closed"),
            CommandError::NoConnection => f.write_str("No connection to broker"),
            CommandError::Removed => f.write_str("Message removed"),
            CommandError::OfflineQueueFull { messages, bytes } => write!(
                f,
                "Offline queue full ({messages} messages, {bytes} bytes queued): publish rejected"
            ),
            CommandError::Invalid(reason) => f.write_str(reason),
            // MQTT.js's exact texts, which applications may match on (the variant keeps the details).
            CommandError::TopicAliasOutOfRange { .. } => {
                f.write_str("Sending Topic Alias out of range")
            }
            CommandError::UnregisteredTopicAlias { .. } => f.write_str("Unregistered Topic Alias"),
            CommandError::QoSNotSupported { qos, max } => write!(
                f,
                "Publish QoS {qos} is above the broker's Maximum QoS {max} [MQTT-3.2.2-11]; nothing was sent"
            ),
            CommandError::RequestTooLarge { packet, size, max } => write!(
                f,
                "{} too large: its packet would be {size} bytes, over the broker's Maximum Packet Size of {max} bytes; nothing was sent",
                Cmd(*packet)
            ),
            CommandError::RetainNotSupported => f.write_str(
                "Publish with retain, which the broker does not support (Retain Available 0) [MQTT-3.2.2-14]; nothing was sent",
            ),
            CommandError::Refused(ack) => write!(
                f,
                "Publish error: {}",
                ack.reason_code
                    .mqttjs_text()
                    .unwrap_or("Unknown reason code")
            ),
            CommandError::PacketTooLarge { size, max } => {
                write!(
                    f,
                    "Publish too large: its packet would be {size} bytes, over the maximum of {max} bytes"
                )?;
                if *max == MAX_PACKET_SIZE {
                    write!(
                        f,
                        " that MQTT allows (a remaining length of at most {MAX_REMAINING_LEN}); nothing was sent"
                    )
                } else {
                    f.write_str("; nothing was sent")
                }
            }
        }
    }
}

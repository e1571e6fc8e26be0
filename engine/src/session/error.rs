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
    /// The reason code of the DISCONNECT this violation is answered with (MQTT 5 table 3-10).
    pub fn disconnect_reason_code(&self) -> ReasonCode {
        match self {
            ProtocolViolation::PacketBeforeConnAck(_)
            | ProtocolViolation::DuplicateConnAck
            | ProtocolViolation::ServerOnlyPacket(_)
            | ProtocolViolation::UnsolicitedAck { .. }
            | ProtocolViolation::MismatchedAck { .. }
            | ProtocolViolation::SubAckCountMismatch { .. } => ReasonCode::PROTOCOL_ERROR,
        }
    }

    /// The reason code MQTT.js reports this violation with (its `ErrorWithReasonCode`), where it
    /// gives one: 130, MQTT 5's "Protocol Error", for a duplicate CONNACK.
    pub fn reason_code(&self) -> Option<u8> {
        match self {
            ProtocolViolation::DuplicateConnAck => Some(130),
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
    /// MQTT 5: the broker refused the publish, with a PUBACK or PUBREC whose reason code is 0x80 or
    /// above (that ack, with its properties). MQTT.js: `ErrorWithReasonCode('Publish error: ' +
    /// ReasonCodes[code], code)`.
    Refused(PublishAck),
}

impl CommandError {
    /// The `code` the JS error carries, when the failure has one.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            CommandError::PacketTooLarge { .. } => Some("ERR_MQTT_PACKET_TOO_LARGE"),
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

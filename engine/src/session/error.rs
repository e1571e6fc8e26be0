//! Why a session ends a network connection, and why a command failed.

use std::fmt;

use crate::codec::{PacketId, MAX_PACKET_SIZE, MAX_REMAINING_LEN};

/// A reason to close the current network connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionError {
    /// No CONNACK within `connectTimeout`.
    ConnackTimeout,
    /// No answer to PINGREQ within 1.5 × keepalive.
    KeepaliveTimeout,
    /// CONNACK with a non-zero return code.
    ConnectionRefused(u8),
    /// The broker broke the protocol; the connection cannot be trusted any more.
    Protocol(ProtocolViolation),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolViolation {
    /// Anything but CONNACK as the first packet ([MQTT-3.2.0-1]).
    PacketBeforeConnAck(&'static str),
    DuplicateConnAck,
    /// A packet type a server never sends to a client.
    ServerOnlyPacket(&'static str),
    /// An acknowledgement for a packet id that has nothing pending.
    UnsolicitedAck {
        cmd: &'static str,
        packet_id: PacketId,
    },
    /// An acknowledgement of the wrong kind for what is pending on that id.
    MismatchedAck {
        cmd: &'static str,
        pending: &'static str,
        packet_id: PacketId,
    },
    /// SUBACK with a different number of return codes than filters sent ([MQTT-3.8.4-5]).
    SubAckCountMismatch {
        granted: usize,
        requested: usize,
    },
}

impl ProtocolViolation {
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
            ProtocolViolation::PacketBeforeConnAck(cmd) => write!(
                f,
                "Protocol error: {cmd} received before CONNACK [MQTT-3.2.0-1]"
            ),
            ProtocolViolation::DuplicateConnAck => write!(
                f,
                "Protocol error: duplicate CONNACK on the same network connection"
            ),
            ProtocolViolation::ServerOnlyPacket(cmd) => write!(
                f,
                "Protocol error: a server must not send {cmd} to a client"
            ),
            ProtocolViolation::UnsolicitedAck { cmd, packet_id } => write!(
                f,
                "Protocol error: {cmd} for message id {packet_id}, which has nothing pending"
            ),
            ProtocolViolation::MismatchedAck {
                cmd,
                pending,
                packet_id,
            } => write!(
                f,
                "Protocol error: {cmd} does not answer the {pending} pending on message id {packet_id}"
            ),
            ProtocolViolation::SubAckCountMismatch { granted, requested } => write!(
                f,
                "Protocol error: suback granted {granted} reason code(s) for {requested} subscription(s) [MQTT-3.8.4-5]"
            ),
        }
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

/// MQTT 3.1.1 CONNACK return codes (0-5) and MQTT 5 reason codes, worded as
/// MQTT.js's `ReasonCodes`: the one table, which the addon also exports as
/// the package's `ReasonCodes` and the shim uses for SUBACK failures.
pub const REASON_TEXTS: &[(u8, &str)] = &[
    (0, ""),
    (1, "Unacceptable protocol version"),
    (2, "Identifier rejected"),
    (3, "Server unavailable"),
    (4, "Bad username or password"),
    (5, "Not authorized"),
    (16, "No matching subscribers"),
    (17, "No subscription existed"),
    (128, "Unspecified error"),
    (129, "Malformed Packet"),
    (130, "Protocol Error"),
    (131, "Implementation specific error"),
    (132, "Unsupported Protocol Version"),
    (133, "Client Identifier not valid"),
    (134, "Bad User Name or Password"),
    (135, "Not authorized"),
    (136, "Server unavailable"),
    (137, "Server busy"),
    (138, "Banned"),
    (139, "Server shutting down"),
    (140, "Bad authentication method"),
    (141, "Keep Alive timeout"),
    (142, "Session taken over"),
    (143, "Topic Filter invalid"),
    (144, "Topic Name invalid"),
    (145, "Packet identifier in use"),
    (146, "Packet Identifier not found"),
    (147, "Receive Maximum exceeded"),
    (148, "Topic Alias invalid"),
    (149, "Packet too large"),
    (150, "Message rate too high"),
    (151, "Quota exceeded"),
    (152, "Administrative action"),
    (153, "Payload format invalid"),
    (154, "Retain not supported"),
    (155, "QoS not supported"),
    (156, "Use another server"),
    (157, "Server moved"),
    (158, "Shared Subscriptions not supported"),
    (159, "Connection rate exceeded"),
    (160, "Maximum connect time"),
    (161, "Subscription Identifiers not supported"),
    (162, "Wildcard Subscriptions not supported"),
];

/// An MQTT 3.1.1 CONNACK return code's text (from `REASON_TEXTS`).
pub fn connack_reason(code: u8) -> &'static str {
    REASON_TEXTS
        .iter()
        .find(|(known, _)| *known == code && code <= crate::codec::ConnAck::MAX_RETURN_CODE)
        .map_or("Unknown return code", |(_, text)| text)
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
}

impl CommandError {
    /// The `code` the JS error carries, when the failure has one.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            CommandError::PacketTooLarge { .. } => Some("ERR_MQTT_PACKET_TOO_LARGE"),
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

//! MQTT 5 reason codes (specification section 2.4, table 2-6): which packets each may appear on, under
//! which name, and the text MQTT.js puts in its `ErrorWithReasonCode` messages for it.

use std::fmt;

use super::packet_kind::PacketKind;

/// A reason code byte. Which values are valid depends on the packet ([`ReasonCode::is_valid_for`]);
/// the same byte can even mean different things (0x00 is "Success", "Normal disconnection" or
/// "Granted QoS 0").
/// The default is 0x00, Success (or Normal disconnection), what an MQTT 3.x ack means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReasonCode(pub u8);

use PacketKind::{Auth, ConnAck, Disconnect, PubAck, PubComp, PubRec, PubRel, SubAck, UnsubAck};

/// One row of table 2-6: a code, its name, the packets it is valid on under that name.
struct Row {
    code: u8,
    name: &'static str,
    packets: &'static [PacketKind],
}

const fn row(code: u8, name: &'static str, packets: &'static [PacketKind]) -> Row {
    Row {
        code,
        name,
        packets,
    }
}

/// Table 2-6 of the specification, in its order.
const TABLE: &[Row] = &[
    row(
        0x00,
        "Success",
        &[ConnAck, PubAck, PubRec, PubRel, PubComp, UnsubAck, Auth],
    ),
    row(0x00, "Normal disconnection", &[Disconnect]),
    row(0x00, "Granted QoS 0", &[SubAck]),
    row(0x01, "Granted QoS 1", &[SubAck]),
    row(0x02, "Granted QoS 2", &[SubAck]),
    row(0x04, "Disconnect with Will Message", &[Disconnect]),
    row(0x10, "No matching subscribers", &[PubAck, PubRec]),
    row(0x11, "No subscription existed", &[UnsubAck]),
    row(0x18, "Continue authentication", &[Auth]),
    row(0x19, "Re-authenticate", &[Auth]),
    row(
        0x80,
        "Unspecified error",
        &[ConnAck, PubAck, PubRec, SubAck, UnsubAck, Disconnect],
    ),
    row(0x81, "Malformed Packet", &[ConnAck, Disconnect]),
    row(0x82, "Protocol Error", &[ConnAck, Disconnect]),
    row(
        0x83,
        "Implementation specific error",
        &[ConnAck, PubAck, PubRec, SubAck, UnsubAck, Disconnect],
    ),
    row(0x84, "Unsupported Protocol Version", &[ConnAck]),
    row(0x85, "Client Identifier not valid", &[ConnAck]),
    row(0x86, "Bad User Name or Password", &[ConnAck]),
    row(
        0x87,
        "Not authorized",
        &[ConnAck, PubAck, PubRec, SubAck, UnsubAck, Disconnect],
    ),
    row(0x88, "Server unavailable", &[ConnAck]),
    row(0x89, "Server busy", &[ConnAck, Disconnect]),
    row(0x8A, "Banned", &[ConnAck]),
    row(0x8B, "Server shutting down", &[Disconnect]),
    row(0x8C, "Bad authentication method", &[ConnAck, Disconnect]),
    row(0x8D, "Keep Alive timeout", &[Disconnect]),
    row(0x8E, "Session taken over", &[Disconnect]),
    row(
        0x8F,
        "Topic Filter invalid",
        &[SubAck, UnsubAck, Disconnect],
    ),
    row(
        0x90,
        "Topic Name invalid",
        &[ConnAck, PubAck, PubRec, Disconnect],
    ),
    row(
        0x91,
        "Packet Identifier in use",
        &[PubAck, PubRec, SubAck, UnsubAck],
    ),
    row(0x92, "Packet Identifier not found", &[PubRel, PubComp]),
    row(0x93, "Receive Maximum exceeded", &[Disconnect]),
    row(0x94, "Topic Alias invalid", &[Disconnect]),
    row(0x95, "Packet too large", &[ConnAck, Disconnect]),
    row(0x96, "Message rate too high", &[Disconnect]),
    row(
        0x97,
        "Quota exceeded",
        &[ConnAck, PubAck, PubRec, SubAck, Disconnect],
    ),
    row(0x98, "Administrative action", &[Disconnect]),
    row(
        0x99,
        "Payload format invalid",
        &[ConnAck, PubAck, PubRec, Disconnect],
    ),
    row(0x9A, "Retain not supported", &[ConnAck, Disconnect]),
    row(0x9B, "QoS not supported", &[ConnAck, Disconnect]),
    row(0x9C, "Use another server", &[ConnAck, Disconnect]),
    row(0x9D, "Server moved", &[ConnAck, Disconnect]),
    row(
        0x9E,
        "Shared Subscriptions not supported",
        &[SubAck, Disconnect],
    ),
    row(0x9F, "Connection rate exceeded", &[ConnAck, Disconnect]),
    row(0xA0, "Maximum connect time", &[Disconnect]),
    row(
        0xA1,
        "Subscription Identifiers not supported",
        &[SubAck, Disconnect],
    ),
    row(
        0xA2,
        "Wildcard Subscriptions not supported",
        &[SubAck, Disconnect],
    ),
];

impl ReasonCode {
    pub const SUCCESS: ReasonCode = ReasonCode(0x00);
    pub const NORMAL_DISCONNECTION: ReasonCode = ReasonCode(0x00);
    pub const GRANTED_QOS_0: ReasonCode = ReasonCode(0x00);
    pub const GRANTED_QOS_1: ReasonCode = ReasonCode(0x01);
    pub const GRANTED_QOS_2: ReasonCode = ReasonCode(0x02);
    pub const DISCONNECT_WITH_WILL_MESSAGE: ReasonCode = ReasonCode(0x04);
    pub const NO_MATCHING_SUBSCRIBERS: ReasonCode = ReasonCode(0x10);
    pub const NO_SUBSCRIPTION_EXISTED: ReasonCode = ReasonCode(0x11);
    pub const CONTINUE_AUTHENTICATION: ReasonCode = ReasonCode(0x18);
    pub const RE_AUTHENTICATE: ReasonCode = ReasonCode(0x19);
    pub const UNSPECIFIED_ERROR: ReasonCode = ReasonCode(0x80);
    pub const MALFORMED_PACKET: ReasonCode = ReasonCode(0x81);
    pub const PROTOCOL_ERROR: ReasonCode = ReasonCode(0x82);
    pub const IMPLEMENTATION_SPECIFIC_ERROR: ReasonCode = ReasonCode(0x83);
    pub const UNSUPPORTED_PROTOCOL_VERSION: ReasonCode = ReasonCode(0x84);
    pub const CLIENT_IDENTIFIER_NOT_VALID: ReasonCode = ReasonCode(0x85);
    pub const BAD_USER_NAME_OR_PASSWORD: ReasonCode = ReasonCode(0x86);
    pub const NOT_AUTHORIZED: ReasonCode = ReasonCode(0x87);
    pub const SERVER_UNAVAILABLE: ReasonCode = ReasonCode(0x88);
    pub const SERVER_BUSY: ReasonCode = ReasonCode(0x89);
    pub const BANNED: ReasonCode = ReasonCode(0x8A);
    pub const SERVER_SHUTTING_DOWN: ReasonCode = ReasonCode(0x8B);
    pub const BAD_AUTHENTICATION_METHOD: ReasonCode = ReasonCode(0x8C);
    pub const KEEP_ALIVE_TIMEOUT: ReasonCode = ReasonCode(0x8D);
    pub const SESSION_TAKEN_OVER: ReasonCode = ReasonCode(0x8E);
    pub const TOPIC_FILTER_INVALID: ReasonCode = ReasonCode(0x8F);
    pub const TOPIC_NAME_INVALID: ReasonCode = ReasonCode(0x90);
    pub const PACKET_IDENTIFIER_IN_USE: ReasonCode = ReasonCode(0x91);
    pub const PACKET_IDENTIFIER_NOT_FOUND: ReasonCode = ReasonCode(0x92);
    pub const RECEIVE_MAXIMUM_EXCEEDED: ReasonCode = ReasonCode(0x93);
    pub const TOPIC_ALIAS_INVALID: ReasonCode = ReasonCode(0x94);
    pub const PACKET_TOO_LARGE: ReasonCode = ReasonCode(0x95);
    pub const MESSAGE_RATE_TOO_HIGH: ReasonCode = ReasonCode(0x96);
    pub const QUOTA_EXCEEDED: ReasonCode = ReasonCode(0x97);
    pub const ADMINISTRATIVE_ACTION: ReasonCode = ReasonCode(0x98);
    pub const PAYLOAD_FORMAT_INVALID: ReasonCode = ReasonCode(0x99);
    pub const RETAIN_NOT_SUPPORTED: ReasonCode = ReasonCode(0x9A);
    pub const QOS_NOT_SUPPORTED: ReasonCode = ReasonCode(0x9B);
    pub const USE_ANOTHER_SERVER: ReasonCode = ReasonCode(0x9C);
    pub const SERVER_MOVED: ReasonCode = ReasonCode(0x9D);
    pub const SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: ReasonCode = ReasonCode(0x9E);
    pub const CONNECTION_RATE_EXCEEDED: ReasonCode = ReasonCode(0x9F);
    pub const MAXIMUM_CONNECT_TIME: ReasonCode = ReasonCode(0xA0);
    pub const SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED: ReasonCode = ReasonCode(0xA1);
    pub const WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED: ReasonCode = ReasonCode(0xA2);

    /// 0x80 and above report a failure; below, success (or a granted QoS, or a step of authentication).
    pub fn is_error(self) -> bool {
        self.0 >= 0x80
    }

    /// The specification's name for this code on `packet`, `None` if the code is not valid there (a
    /// receiver treats that as a Protocol Error; a sender must not use it, e.g. [MQTT-3.4.2-1]).
    pub fn name_on(self, packet: PacketKind) -> Option<&'static str> {
        TABLE
            .iter()
            .find(|row| row.code == self.0 && row.packets.contains(&packet))
            .map(|row| row.name)
    }

    pub fn is_valid_for(self, packet: PacketKind) -> bool {
        self.name_on(packet).is_some()
    }

    /// The packets this code is valid on, under any of its names.
    pub fn packets(self) -> impl Iterator<Item = PacketKind> {
        TABLE
            .iter()
            .filter(move |row| row.code == self.0)
            .flat_map(|row| row.packets.iter().copied())
    }

    /// The text MQTT.js 5.16 gives this code in `ErrorWithReasonCode` messages (its `ReasonCodes` map:
    /// `Publish error: ${text}`, `Connection refused: ${text}`, ...), so errors read the same here. `None`
    /// where MQTT.js has no entry, which its messages print as `undefined`.
    ///
    /// MQTT.js keeps one map for MQTT 3.1.1 CONNACK return codes (1-5) and MQTT 5 reason codes, so 1-5
    /// carry the 3.1.1 meanings, and a few texts differ from the specification's names in case.
    pub fn mqttjs_text(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "",
            1 => "Unacceptable protocol version",
            2 => "Identifier rejected",
            3 => "Server unavailable",
            4 => "Bad username or password",
            5 => "Not authorized",
            0x10 => "No matching subscribers",
            0x11 => "No subscription existed",
            0x80 => "Unspecified error",
            0x81 => "Malformed Packet",
            0x82 => "Protocol Error",
            0x83 => "Implementation specific error",
            0x84 => "Unsupported Protocol Version",
            0x85 => "Client Identifier not valid",
            0x86 => "Bad User Name or Password",
            0x87 => "Not authorized",
            0x88 => "Server unavailable",
            0x89 => "Server busy",
            0x8A => "Banned",
            0x8B => "Server shutting down",
            0x8C => "Bad authentication method",
            0x8D => "Keep Alive timeout",
            0x8E => "Session taken over",
            0x8F => "Topic Filter invalid",
            0x90 => "Topic Name invalid",
            0x91 => "Packet identifier in use",
            0x92 => "Packet Identifier not found",
            0x93 => "Receive Maximum exceeded",
            0x94 => "Topic Alias invalid",
            0x95 => "Packet too large",
            0x96 => "Message rate too high",
            0x97 => "Quota exceeded",
            0x98 => "Administrative action",
            0x99 => "Payload format invalid",
            0x9A => "Retain not supported",
            0x9B => "QoS not supported",
            0x9C => "Use another server",
            0x9D => "Server moved",
            0x9E => "Shared Subscriptions not supported",
            0x9F => "Connection rate exceeded",
            0xA0 => "Maximum connect time",
            0xA1 => "Subscription Identifiers not supported",
            0xA2 => "Wildcard Subscriptions not supported",
            _ => return None,
        })
    }
}

impl fmt::Display for ReasonCode {
    /// `0x87`; use `name_on` for the name, which depends on the packet.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#04x}", self.0)
    }
}

#[cfg(test)]
mod tests;

//! The 4-bit control packet type and the fixed-header rules that depend only on it.

use std::fmt;

use super::packet::{Packet, ProtocolVersion};

/// Control packet type, as in the high nibble of the first byte (MQTT 3.1.1 table 2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    Connect = 1,
    ConnAck = 2,
    Publish = 3,
    PubAck = 4,
    PubRec = 5,
    PubRel = 6,
    PubComp = 7,
    Subscribe = 8,
    SubAck = 9,
    Unsubscribe = 10,
    UnsubAck = 11,
    PingReq = 12,
    PingResp = 13,
    Disconnect = 14,
    /// MQTT 5 only; reserved in 3.x, whose decoder rejects it as such.
    Auth = 15,
}

impl PacketType {
    /// `None` for 0, which every version reserves (15 is AUTH, reserved before MQTT 5: see `exists_in`).
    pub fn from_wire(value: u8) -> Option<Self> {
        Some(match value {
            1 => PacketType::Connect,
            2 => PacketType::ConnAck,
            3 => PacketType::Publish,
            4 => PacketType::PubAck,
            5 => PacketType::PubRec,
            6 => PacketType::PubRel,
            7 => PacketType::PubComp,
            8 => PacketType::Subscribe,
            9 => PacketType::SubAck,
            10 => PacketType::Unsubscribe,
            11 => PacketType::UnsubAck,
            12 => PacketType::PingReq,
            13 => PacketType::PingResp,
            14 => PacketType::Disconnect,
            15 => PacketType::Auth,
            _ => return None,
        })
    }

    pub fn wire(self) -> u8 {
        self as u8
    }

    /// The name the specification uses, for error messages.
    pub fn name(self) -> &'static str {
        match self {
            PacketType::Connect => "CONNECT",
            PacketType::ConnAck => "CONNACK",
            PacketType::Publish => "PUBLISH",
            PacketType::PubAck => "PUBACK",
            PacketType::PubRec => "PUBREC",
            PacketType::PubRel => "PUBREL",
            PacketType::PubComp => "PUBCOMP",
            PacketType::Subscribe => "SUBSCRIBE",
            PacketType::SubAck => "SUBACK",
            PacketType::Unsubscribe => "UNSUBSCRIBE",
            PacketType::UnsubAck => "UNSUBACK",
            PacketType::PingReq => "PINGREQ",
            PacketType::PingResp => "PINGRESP",
            PacketType::Disconnect => "DISCONNECT",
            PacketType::Auth => "AUTH",
        }
    }

    /// Whether `version` has this packet type: AUTH is new in MQTT 5.
    pub fn exists_in(self, version: ProtocolVersion) -> bool {
        self != PacketType::Auth || version.is_v5()
    }

    /// The value the low nibble of the first byte must hold (table 2.2), or `None` for PUBLISH, whose nibble
    /// carries DUP, QoS and RETAIN.
    pub(crate) fn required_flags(self) -> Option<u8> {
        match self {
            PacketType::Publish => None,
            PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe => Some(0b0010),
            _ => Some(0),
        }
    }

    /// What the remaining length of this type must be in `version`, when the fixed header alone can
    /// tell: 3.x acks and pings have one possible size; MQTT 5 gives the acks optional reason codes and
    /// properties, so there their sizes become minimums (sections 3.2.2, 3.4.2 ff.). Checking it lets the
    /// decoder reject a wrong length before the body arrives.
    pub(crate) fn remaining_len_rule(self, version: ProtocolVersion) -> Option<RemainingLen> {
        use RemainingLen::{AtLeast, Exactly};
        let v5 = version.is_v5();
        match self {
            PacketType::PingReq | PacketType::PingResp => Some(Exactly(0)),
            PacketType::Disconnect if !v5 => Some(Exactly(0)),
            // Flags, reason code, then in MQTT 5 the (required) property length; but a server
            // without MQTT 5 refuses our CONNECT with a 3.x CONNACK of 2 bytes, which the CONNACK
            // reader takes as that refusal (`read_connack`), so 2 is admitted here.
            PacketType::ConnAck => Some(if v5 { AtLeast(2) } else { Exactly(2) }),
            PacketType::PubAck | PacketType::PubRec | PacketType::PubRel | PacketType::PubComp => {
                Some(if v5 { AtLeast(2) } else { Exactly(2) })
            }
            // Packet id, then in MQTT 5 the property length and at least one reason code.
            PacketType::UnsubAck => Some(if v5 { AtLeast(4) } else { Exactly(2) }),
            _ => None,
        }
    }
}

/// A rule on a remaining length, from `PacketType::remaining_len_rule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RemainingLen {
    Exactly(usize),
    AtLeast(usize),
}

impl RemainingLen {
    pub fn admits(self, len: usize) -> bool {
        match self {
            RemainingLen::Exactly(expected) => len == expected,
            RemainingLen::AtLeast(min) => len >= min,
        }
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Packet {
    pub fn packet_type(&self) -> PacketType {
        match self {
            Packet::Connect(_) => PacketType::Connect,
            Packet::ConnAck(_) => PacketType::ConnAck,
            Packet::Publish(_) => PacketType::Publish,
            Packet::PubAck(_) => PacketType::PubAck,
            Packet::PubRec(_) => PacketType::PubRec,
            Packet::PubRel(_) => PacketType::PubRel,
            Packet::PubComp(_) => PacketType::PubComp,
            Packet::Subscribe(_) => PacketType::Subscribe,
            Packet::SubAck(_) => PacketType::SubAck,
            Packet::Unsubscribe(_) => PacketType::Unsubscribe,
            Packet::UnsubAck(_) => PacketType::UnsubAck,
            Packet::PingReq => PacketType::PingReq,
            Packet::PingResp => PacketType::PingResp,
            Packet::Disconnect(_) => PacketType::Disconnect,
            Packet::Auth(_) => PacketType::Auth,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip_and_reserved_values_are_rejected() {
        for value in 1..=14 {
            assert_eq!(
                PacketType::from_wire(value).map(PacketType::wire),
                Some(value)
            );
        }
        assert_eq!(PacketType::from_wire(0), None);
        assert_eq!(PacketType::from_wire(15), Some(PacketType::Auth));
        assert!(!PacketType::Auth.exists_in(ProtocolVersion::V311));
        assert!(PacketType::Auth.exists_in(ProtocolVersion::V5));
    }

    #[test]
    fn only_pubrel_subscribe_and_unsubscribe_require_flags_0010() {
        for value in 1..=15 {
            let kind = PacketType::from_wire(value).unwrap();
            let expected = match kind {
                PacketType::Publish => None,
                PacketType::PubRel | PacketType::Subscribe | PacketType::Unsubscribe => Some(2),
                _ => Some(0),
            };
            assert_eq!(kind.required_flags(), expected, "{kind}");
        }
    }
}

//! The 4-bit control packet type and the fixed-header rules that depend only on it.

use std::fmt;

use super::packet::Packet;

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
}

impl PacketType {
    /// `None` for 0 and 15, which the specification reserves.
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
        }
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

    /// The remaining length of the packet types whose body has one possible size in MQTT 3.x. Knowing it lets
    /// the decoder reject a wrong length from the fixed header alone. MQTT 5 gives these bodies optional
    /// reason codes and properties, so this becomes a per-version minimum there.
    pub(crate) fn fixed_remaining_len(self) -> Option<usize> {
        match self {
            PacketType::ConnAck
            | PacketType::PubAck
            | PacketType::PubRec
            | PacketType::PubRel
            | PacketType::PubComp
            | PacketType::UnsubAck => Some(2),
            PacketType::PingReq | PacketType::PingResp | PacketType::Disconnect => Some(0),
            _ => None,
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
        assert_eq!(PacketType::from_wire(15), None);
    }

    #[test]
    fn only_pubrel_subscribe_and_unsubscribe_require_flags_0010() {
        for value in 1..=14 {
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

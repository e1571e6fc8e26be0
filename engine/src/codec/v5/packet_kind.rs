//! The MQTT 5 control packets that carry properties or a reason code, and the places a property list can
//! sit (the packets' variable headers, plus the will properties inside CONNECT's payload).

use std::fmt;

use super::super::packet_type::PacketType;

/// An MQTT 5 control packet with properties or a reason code: every type but PINGREQ and PINGRESP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketKind {
    Connect,
    ConnAck,
    Publish,
    PubAck,
    PubRec,
    PubRel,
    PubComp,
    Subscribe,
    SubAck,
    Unsubscribe,
    UnsubAck,
    Disconnect,
    /// Type 15, new in MQTT 5 (reserved in 3.1.1).
    Auth,
}

impl PacketKind {
    pub const ALL: [PacketKind; 13] = [
        PacketKind::Connect,
        PacketKind::ConnAck,
        PacketKind::Publish,
        PacketKind::PubAck,
        PacketKind::PubRec,
        PacketKind::PubRel,
        PacketKind::PubComp,
        PacketKind::Subscribe,
        PacketKind::SubAck,
        PacketKind::Unsubscribe,
        PacketKind::UnsubAck,
        PacketKind::Disconnect,
        PacketKind::Auth,
    ];

    /// `None` for PINGREQ and PINGRESP, which have neither properties nor a reason code.
    pub fn from_packet_type(packet: PacketType) -> Option<Self> {
        Some(match packet {
            PacketType::Connect => PacketKind::Connect,
            PacketType::ConnAck => PacketKind::ConnAck,
            PacketType::Publish => PacketKind::Publish,
            PacketType::PubAck => PacketKind::PubAck,
            PacketType::PubRec => PacketKind::PubRec,
            PacketType::PubRel => PacketKind::PubRel,
            PacketType::PubComp => PacketKind::PubComp,
            PacketType::Subscribe => PacketKind::Subscribe,
            PacketType::SubAck => PacketKind::SubAck,
            PacketType::Unsubscribe => PacketKind::Unsubscribe,
            PacketType::UnsubAck => PacketKind::UnsubAck,
            PacketType::Disconnect => PacketKind::Disconnect,
            PacketType::Auth => PacketKind::Auth,
            PacketType::PingReq | PacketType::PingResp => return None,
        })
    }

    /// The name the specification uses, for error messages.
    pub fn name(self) -> &'static str {
        match self {
            PacketKind::Connect => "CONNECT",
            PacketKind::ConnAck => "CONNACK",
            PacketKind::Publish => "PUBLISH",
            PacketKind::PubAck => "PUBACK",
            PacketKind::PubRec => "PUBREC",
            PacketKind::PubRel => "PUBREL",
            PacketKind::PubComp => "PUBCOMP",
            PacketKind::Subscribe => "SUBSCRIBE",
            PacketKind::SubAck => "SUBACK",
            PacketKind::Unsubscribe => "UNSUBSCRIBE",
            PacketKind::UnsubAck => "UNSUBACK",
            PacketKind::Disconnect => "DISCONNECT",
            PacketKind::Auth => "AUTH",
        }
    }
}

impl fmt::Display for PacketKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a property list sits: which properties it may hold depends on it (table 2-4 of the specification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PropertyContext {
    /// The variable header of this packet.
    Packet(PacketKind),
    /// The will properties in CONNECT's payload (section 3.1.3.2), which have their own set.
    Will,
}

impl PropertyContext {
    pub const ALL: [PropertyContext; 14] = [
        PropertyContext::Packet(PacketKind::Connect),
        PropertyContext::Will,
        PropertyContext::Packet(PacketKind::ConnAck),
        PropertyContext::Packet(PacketKind::Publish),
        PropertyContext::Packet(PacketKind::PubAck),
        PropertyContext::Packet(PacketKind::PubRec),
        PropertyContext::Packet(PacketKind::PubRel),
        PropertyContext::Packet(PacketKind::PubComp),
        PropertyContext::Packet(PacketKind::Subscribe),
        PropertyContext::Packet(PacketKind::SubAck),
        PropertyContext::Packet(PacketKind::Unsubscribe),
        PropertyContext::Packet(PacketKind::UnsubAck),
        PropertyContext::Packet(PacketKind::Disconnect),
        PropertyContext::Packet(PacketKind::Auth),
    ];

    /// The section of the MQTT 5.0 specification that lists this context's properties and the rules for
    /// each (how often it may appear, which values are a Protocol Error), as errors cite it: those rules
    /// have no numbered statements.
    pub fn spec_section(self) -> &'static str {
        match self {
            PropertyContext::Packet(kind) => match kind {
                PacketKind::Connect => "MQTT 5.0 §3.1.2.11",
                PacketKind::ConnAck => "MQTT 5.0 §3.2.2.3",
                PacketKind::Publish => "MQTT 5.0 §3.3.2.3",
                PacketKind::PubAck => "MQTT 5.0 §3.4.2.2",
                PacketKind::PubRec => "MQTT 5.0 §3.5.2.2",
                PacketKind::PubRel => "MQTT 5.0 §3.6.2.2",
                PacketKind::PubComp => "MQTT 5.0 §3.7.2.2",
                PacketKind::Subscribe => "MQTT 5.0 §3.8.2.1",
                PacketKind::SubAck => "MQTT 5.0 §3.9.2.1",
                PacketKind::Unsubscribe => "MQTT 5.0 §3.10.2.1",
                PacketKind::UnsubAck => "MQTT 5.0 §3.11.2.1",
                PacketKind::Disconnect => "MQTT 5.0 §3.14.2.2",
                PacketKind::Auth => "MQTT 5.0 §3.15.2.2",
            },
            PropertyContext::Will => "MQTT 5.0 §3.1.3.2",
        }
    }
}

impl From<PacketKind> for PropertyContext {
    fn from(kind: PacketKind) -> Self {
        PropertyContext::Packet(kind)
    }
}

impl fmt::Display for PropertyContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropertyContext::Packet(kind) => write!(f, "{kind} properties"),
            PropertyContext::Will => f.write_str("CONNECT will properties"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_packet_type_but_the_pings_has_a_kind_of_the_same_name() {
        for value in 1..=15 {
            let packet = PacketType::from_wire(value).unwrap();
            match PacketKind::from_packet_type(packet) {
                Some(kind) => assert_eq!(kind.name(), packet.name()),
                None => assert!(matches!(packet, PacketType::PingReq | PacketType::PingResp)),
            }
        }
        assert_eq!(PacketKind::Auth.to_string(), "AUTH");
    }

    #[test]
    fn contexts_read_as_the_property_lists_they_are() {
        assert_eq!(
            PropertyContext::from(PacketKind::SubAck).to_string(),
            "SUBACK properties"
        );
        assert_eq!(PropertyContext::Will.to_string(), "CONNECT will properties");
        assert_eq!(PropertyContext::Will.spec_section(), "MQTT 5.0 §3.1.3.2");
        // Every packet kind has a property list: the contexts are the kinds plus the will.
        assert_eq!(PropertyContext::ALL.len(), PacketKind::ALL.len() + 1);
    }
}

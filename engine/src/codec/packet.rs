//! Version-neutral MQTT control packets.
//!
//! One set of structs serves MQTT 3.1, 3.1.1 and (later) 5.0: the per-version
//! wire rules live in the encoder/decoder, not in forked packet trees.

use bytes::Bytes;

use super::shared_str::SharedStr;

/// The protocol level sent in CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolVersion {
    /// MQTT 3.1: protocol name "MQIsdp", level 3.
    V31,
    /// MQTT 3.1.1: protocol name "MQTT", level 4.
    V311,
}

impl ProtocolVersion {
    /// The protocol level byte as it appears on the wire (and in MQTT.js's `protocolVersion`).
    pub fn level(self) -> u8 {
        match self {
            ProtocolVersion::V31 => 3,
            ProtocolVersion::V311 => 4,
        }
    }

    /// The protocol name sent in CONNECT alongside the level.
    pub fn protocol_name(self) -> &'static str {
        match self {
            ProtocolVersion::V31 => "MQIsdp",
            ProtocolVersion::V311 => "MQTT",
        }
    }

    pub fn from_level(level: u8) -> Option<Self> {
        match level {
            3 => Some(ProtocolVersion::V31),
            4 => Some(ProtocolVersion::V311),
            _ => None,
        }
    }
}

/// Quality of service level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QoS {
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}

impl QoS {
    pub fn from_u8(value: u8) -> Option<Self> {
        match value {
            0 => Some(QoS::AtMostOnce),
            1 => Some(QoS::AtLeastOnce),
            2 => Some(QoS::ExactlyOnce),
            _ => None,
        }
    }

    pub fn as_u8(self) -> u8 {
        self as u8
    }
}

/// A packet identifier. Zero is never valid on the wire ([MQTT-2.3.1-1]); the
/// decoder rejects it and the session never allocates it.
pub type PacketId = u16;

/// The will message carried in CONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastWill {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    pub protocol: ProtocolVersion,
    pub clean_session: bool,
    /// Seconds; 0 disables keepalive.
    pub keep_alive: u16,
    /// Raw bytes: MQTT.js accepts a Buffer client id.
    pub client_id: Bytes,
    pub will: Option<LastWill>,
    pub username: Option<Bytes>,
    pub password: Option<Bytes>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnAck {
    pub session_present: bool,
    /// 0 = accepted; 1..=5 = refused (MQTT 3.1.1 table 3.1).
    pub return_code: u8,
}

impl ConnAck {
    /// Return codes above this (6-255) are reserved.
    pub const MAX_RETURN_CODE: u8 = 5;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    pub dup: bool,
    pub qos: QoS,
    pub retain: bool,
    /// Shares the buffer the packet was decoded from (or the publish batch).
    pub topic: SharedStr,
    /// Present iff `qos > 0`.
    pub packet_id: Option<PacketId>,
    pub payload: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeFilter {
    pub filter: String,
    pub qos: QoS,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    pub packet_id: PacketId,
    pub filters: Vec<SubscribeFilter>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAck {
    pub packet_id: PacketId,
    /// Granted QoS (0, 1, 2) or 0x80 for failure, one per requested filter.
    pub return_codes: Vec<u8>,
}

impl SubAck {
    /// The return code for a refused subscription.
    pub const FAILURE: u8 = 0x80;

    /// Granted QoS 0, 1, 2 or failure; every other value is reserved [MQTT-3.9.3-2].
    pub fn is_valid_return_code(code: u8) -> bool {
        matches!(code, 0..=2 | SubAck::FAILURE)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub packet_id: PacketId,
    pub filters: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// Boxed: by far the largest packet, and sent once per connection; inline it
    /// would make every queued packet its size.
    Connect(Box<Connect>),
    ConnAck(ConnAck),
    Publish(Publish),
    PubAck(PacketId),
    PubRec(PacketId),
    PubRel(PacketId),
    PubComp(PacketId),
    Subscribe(Subscribe),
    SubAck(SubAck),
    Unsubscribe(Unsubscribe),
    UnsubAck(PacketId),
    PingReq,
    PingResp,
    Disconnect,
}

impl Packet {
    /// MQTT.js's `cmd` name for this packet type (used for `packetsend`/`packetreceive`).
    pub fn cmd(&self) -> &'static str {
        match self {
            Packet::Connect(_) => "connect",
            Packet::ConnAck(_) => "connack",
            Packet::Publish(_) => "publish",
            Packet::PubAck(_) => "puback",
            Packet::PubRec(_) => "pubrec",
            Packet::PubRel(_) => "pubrel",
            Packet::PubComp(_) => "pubcomp",
            Packet::Subscribe(_) => "subscribe",
            Packet::SubAck(_) => "suback",
            Packet::Unsubscribe(_) => "unsubscribe",
            Packet::UnsubAck(_) => "unsuback",
            Packet::PingReq => "pingreq",
            Packet::PingResp => "pingresp",
            Packet::Disconnect => "disconnect",
        }
    }
}

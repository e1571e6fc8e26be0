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

/// Where a packet's MQTT 5 properties go. MQTT 3.x packets have none, so today this is empty and
/// takes no space; MQTT 5 gives it the property set its codec reads and writes (`codec::v5`). Every packet
/// that has properties in MQTT 5 already carries this field, so that change is made here, not at each
/// place a packet is built or matched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PacketProperties {}

impl PacketProperties {
    /// No properties: all a 3.x packet can have.
    pub const NONE: PacketProperties = PacketProperties {};
}

/// The will message carried in CONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastWill {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    /// MQTT 5's will properties (will delay, message expiry, ...).
    pub properties: PacketProperties,
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
    pub properties: PacketProperties,
}

/// A CONNACK's verdict. The discriminant is the byte on the wire: MQTT 3.x's return codes (1-5,
/// MQTT 3.1.1 table 3.1) and MQTT 5's reason codes (0x80 and up, table 3.1 of MQTT 5) do not overlap,
/// so one byte space names both, as MQTT.js's `ReasonCodes` table does. Which codes a version may send
/// is the decoder's and encoder's rule; MQTT 5 adds its codes as variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ConnectReasonCode {
    Success = 0,
    /// 3.x return code 1 (MQTT 5 says 0x84, Unsupported Protocol Version).
    UnacceptableProtocolVersion = 1,
    /// 3.x return code 2 (MQTT 5: 0x85, Client Identifier not valid).
    IdentifierRejected = 2,
    /// 3.x return code 3 (MQTT 5: 0x88).
    ServerUnavailable = 3,
    /// 3.x return code 4 (MQTT 5: 0x86).
    BadUsernameOrPassword = 4,
    /// 3.x return code 5 (MQTT 5: 0x87).
    NotAuthorized = 5,
}

impl ConnectReasonCode {
    /// The code a CONNACK byte names, or `None` for a value no supported version defines.
    pub fn from_byte(byte: u8) -> Option<Self> {
        Some(match byte {
            0 => ConnectReasonCode::Success,
            1 => ConnectReasonCode::UnacceptableProtocolVersion,
            2 => ConnectReasonCode::IdentifierRejected,
            3 => ConnectReasonCode::ServerUnavailable,
            4 => ConnectReasonCode::BadUsernameOrPassword,
            5 => ConnectReasonCode::NotAuthorized,
            _ => return None,
        })
    }

    /// The byte on the wire, which is also the number MQTT.js reports (`returnCode`, `err.code`).
    pub fn byte(self) -> u8 {
        self as u8
    }

    pub fn is_success(self) -> bool {
        self == ConnectReasonCode::Success
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnAck {
    pub session_present: bool,
    pub reason_code: ConnectReasonCode,
    pub properties: PacketProperties,
}

impl ConnAck {
    /// The CONNACK a server accepts a connection with.
    pub fn accepted(session_present: bool) -> Self {
        ConnAck {
            session_present,
            reason_code: ConnectReasonCode::Success,
            properties: PacketProperties::NONE,
        }
    }

    /// The CONNACK a server refuses a connection with (no session is ever present then).
    pub fn refused(reason_code: ConnectReasonCode) -> Self {
        ConnAck {
            session_present: false,
            reason_code,
            properties: PacketProperties::NONE,
        }
    }
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
    pub properties: PacketProperties,
}

/// What an acknowledgement reports: PUBACK, PUBREC, PUBREL, PUBCOMP, or one filter of an UNSUBACK.
/// MQTT 3.x acks carry no code on the wire and always mean `Success`: that is all a 3.x decoder
/// produces and all a 3.x encoder can be given. MQTT 5 adds its codes (0x10 No matching subscribers,
/// 0x80 and up) as variants; the discriminant is the byte on the wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum AckReasonCode {
    #[default]
    Success = 0,
}

impl AckReasonCode {
    /// The byte on the wire (MQTT 5), which is also MQTT.js's `reasonCode`.
    pub fn byte(self) -> u8 {
        self as u8
    }
}

/// PUBACK, PUBREC, PUBREL or PUBCOMP: the four packets of the QoS 1 and 2 publish flows share one
/// layout (a packet id, then in MQTT 5 a reason code and properties). The `Packet` variant says which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishAck {
    pub packet_id: PacketId,
    pub reason_code: AckReasonCode,
    pub properties: PacketProperties,
}

impl PublishAck {
    /// A successful acknowledgement of `packet_id`: the only kind MQTT 3.x has.
    pub fn new(packet_id: PacketId) -> Self {
        PublishAck {
            packet_id,
            reason_code: AckReasonCode::Success,
            properties: PacketProperties::NONE,
        }
    }
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
    pub properties: PacketProperties,
}

/// The broker's answer to one filter of a SUBSCRIBE. The discriminant is the byte on the wire;
/// 0x80 is 3.x's "Failure" and MQTT 5's "Unspecified error", and MQTT 5 adds its further refusals
/// (0x83 and up) as variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SubscribeReasonCode {
    GrantedQoS0 = 0,
    GrantedQoS1 = 1,
    GrantedQoS2 = 2,
    Failure = 0x80,
}

impl SubscribeReasonCode {
    /// The code a SUBACK byte names; every other value is reserved [MQTT-3.9.3-2].
    pub fn from_byte(byte: u8) -> Option<Self> {
        Some(match byte {
            0 => SubscribeReasonCode::GrantedQoS0,
            1 => SubscribeReasonCode::GrantedQoS1,
            2 => SubscribeReasonCode::GrantedQoS2,
            0x80 => SubscribeReasonCode::Failure,
            _ => return None,
        })
    }

    pub fn granted(qos: QoS) -> Self {
        match qos {
            QoS::AtMostOnce => SubscribeReasonCode::GrantedQoS0,
            QoS::AtLeastOnce => SubscribeReasonCode::GrantedQoS1,
            QoS::ExactlyOnce => SubscribeReasonCode::GrantedQoS2,
        }
    }

    /// The byte on the wire, which is also the number MQTT.js reports (`granted`, `qos` in the
    /// subscribe callback).
    pub fn byte(self) -> u8 {
        self as u8
    }

    /// The QoS granted, or `None` when the subscription was refused.
    pub fn granted_qos(self) -> Option<QoS> {
        match self {
            SubscribeReasonCode::GrantedQoS0 => Some(QoS::AtMostOnce),
            SubscribeReasonCode::GrantedQoS1 => Some(QoS::AtLeastOnce),
            SubscribeReasonCode::GrantedQoS2 => Some(QoS::ExactlyOnce),
            SubscribeReasonCode::Failure => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubAck {
    pub packet_id: PacketId,
    /// One per requested filter, in the order of the SUBSCRIBE.
    pub reason_codes: Vec<SubscribeReasonCode>,
    pub properties: PacketProperties,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub packet_id: PacketId,
    pub filters: Vec<String>,
    pub properties: PacketProperties,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsubAck {
    pub packet_id: PacketId,
    /// MQTT 5: one per filter of the UNSUBSCRIBE. Always empty in 3.x, whose UNSUBACK reports
    /// nothing per filter (an empty `Vec` does not allocate).
    pub reason_codes: Vec<AckReasonCode>,
    pub properties: PacketProperties,
}

impl UnsubAck {
    /// An UNSUBACK as MQTT 3.x sends it: the packet id alone.
    pub fn new(packet_id: PacketId) -> Self {
        UnsubAck {
            packet_id,
            reason_codes: Vec::new(),
            properties: PacketProperties::NONE,
        }
    }
}

/// Why a DISCONNECT is sent. MQTT 3.x's carries no code and always means `NormalDisconnection`;
/// MQTT 5 adds its codes (0x04 Disconnect with Will Message, 0x80 and up) as variants; the
/// discriminant is the byte on the wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DisconnectReasonCode {
    #[default]
    NormalDisconnection = 0,
}

impl DisconnectReasonCode {
    /// The byte on the wire (MQTT 5), which is also MQTT.js's `reasonCode`.
    pub fn byte(self) -> u8 {
        self as u8
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Disconnect {
    pub reason_code: DisconnectReasonCode,
    pub properties: PacketProperties,
}

impl Disconnect {
    /// A normal disconnection: the only kind MQTT 3.x has.
    pub const NORMAL: Disconnect = Disconnect {
        reason_code: DisconnectReasonCode::NormalDisconnection,
        properties: PacketProperties::NONE,
    };
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// Boxed: by far the largest packet, and sent once per connection; inline it
    /// would make every queued packet its size.
    Connect(Box<Connect>),
    ConnAck(ConnAck),
    Publish(Publish),
    PubAck(PublishAck),
    PubRec(PublishAck),
    PubRel(PublishAck),
    PubComp(PublishAck),
    Subscribe(Subscribe),
    SubAck(SubAck),
    Unsubscribe(Unsubscribe),
    UnsubAck(UnsubAck),
    /// No fields in any version of the protocol.
    PingReq,
    /// No fields in any version of the protocol.
    PingResp,
    Disconnect(Disconnect),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_reason_codes_are_their_wire_bytes_and_only_the_3x_ones_exist_yet() {
        for byte in 0..=u8::MAX {
            let code = ConnectReasonCode::from_byte(byte);
            assert_eq!(code.map(ConnectReasonCode::byte), code.and(Some(byte)));
            assert_eq!(code.is_some(), byte <= 5, "byte {byte}");
        }
        assert!(ConnectReasonCode::Success.is_success());
        assert!(!ConnectReasonCode::NotAuthorized.is_success());
    }

    #[test]
    fn subscribe_reason_codes_are_granted_qos_or_failure() {
        for byte in 0..=u8::MAX {
            let code = SubscribeReasonCode::from_byte(byte);
            assert_eq!(code.map(SubscribeReasonCode::byte), code.and(Some(byte)));
            assert_eq!(code.is_some(), matches!(byte, 0..=2 | 0x80), "byte {byte}");
        }
        for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
            let granted = SubscribeReasonCode::granted(qos);
            assert_eq!(granted.granted_qos(), Some(qos));
            assert_eq!(granted.byte(), qos.as_u8());
        }
        assert_eq!(SubscribeReasonCode::Failure.granted_qos(), None);
    }

    #[test]
    fn room_for_properties_costs_no_space_until_mqtt_5_fills_it() {
        use std::mem::size_of;
        assert_eq!(size_of::<PacketProperties>(), 0);
        // A packet id and a one-byte code: an ack is as small as it can be.
        assert_eq!(size_of::<PublishAck>(), 4);
        assert_eq!(size_of::<Disconnect>(), 1);
        // PUBLISH, the packet the hot paths queue, stays the largest variant: it alone sizes `Packet`.
        let publish = size_of::<Publish>();
        assert!(size_of::<ConnAck>() <= publish);
        assert!(size_of::<Subscribe>() <= publish);
        assert!(size_of::<SubAck>() <= publish);
        assert!(size_of::<Unsubscribe>() <= publish);
        assert!(size_of::<UnsubAck>() <= publish);
    }
}

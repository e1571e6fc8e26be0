//! Version-neutral MQTT control packets.
//!
//! One set of structs serves MQTT 3.1, 3.1.1 and 5.0: the per-version wire rules live in the
//! encoder/decoder, not in forked packet trees. A 3.x packet is a 5.0 packet with no properties,
//! Success codes and default subscription options; that is all a 3.x decoder produces and all a 3.x
//! encoder accepts.

use bytes::Bytes;

use super::shared_str::SharedStr;
use super::v5::{Auth, PacketKind, Properties, ReasonCode};

/// The protocol level sent in CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolVersion {
    /// MQTT 3.1: protocol name "MQIsdp", level 3.
    V31,
    /// MQTT 3.1.1: protocol name "MQTT", level 4.
    V311,
    /// MQTT 5.0: protocol name "MQTT", level 5. Packets gain properties and reason codes, and AUTH.
    V5,
}

impl ProtocolVersion {
    /// The protocol level byte as it appears on the wire (and in MQTT.js's `protocolVersion`).
    pub fn level(self) -> u8 {
        match self {
            ProtocolVersion::V31 => 3,
            ProtocolVersion::V311 => 4,
            ProtocolVersion::V5 => 5,
        }
    }

    /// The protocol name sent in CONNECT alongside the level.
    pub fn protocol_name(self) -> &'static str {
        match self {
            ProtocolVersion::V31 => "MQIsdp",
            ProtocolVersion::V311 | ProtocolVersion::V5 => "MQTT",
        }
    }

    pub fn from_level(level: u8) -> Option<Self> {
        match level {
            3 => Some(ProtocolVersion::V31),
            4 => Some(ProtocolVersion::V311),
            5 => Some(ProtocolVersion::V5),
            _ => None,
        }
    }

    /// Whether packets carry MQTT 5's properties and reason codes.
    pub fn is_v5(self) -> bool {
        self == ProtocolVersion::V5
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

/// A packet's MQTT 5 properties. MQTT 3.x packets have none and most MQTT 5 packets have few, so the list
/// (`v5::Properties`, a few hundred bytes) sits behind one pointer that is null when there is nothing:
/// a packet pays one word for the room, and an empty list neither allocates nor is ever boxed, so
/// `PacketProperties::NONE` is the one way to say "no properties" and equality means what it says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PacketProperties(Option<Box<Properties>>);

impl PacketProperties {
    /// No properties: all a 3.x packet can have.
    pub const NONE: PacketProperties = PacketProperties(None);

    /// Wraps a decoded or built list; an empty one becomes `NONE`.
    pub fn new(properties: Properties) -> Self {
        if properties.is_empty() {
            PacketProperties::NONE
        } else {
            PacketProperties(Some(Box::new(properties)))
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The list, `None` when there are no properties.
    pub fn get(&self) -> Option<&Properties> {
        self.0.as_deref()
    }
}

impl From<Properties> for PacketProperties {
    fn from(properties: Properties) -> Self {
        PacketProperties::new(properties)
    }
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
/// is `is_valid_in` (for MQTT 5, table 2-6 in `v5::ReasonCode`, which a test holds these variants to).
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
    // MQTT 5's reason codes (table 3-1); `V5` marks a code whose 3.x return code has a variant above.
    UnspecifiedError = 0x80,
    MalformedPacket = 0x81,
    ProtocolError = 0x82,
    ImplementationSpecificError = 0x83,
    UnsupportedProtocolVersion = 0x84,
    ClientIdentifierNotValid = 0x85,
    BadUserNameOrPasswordV5 = 0x86,
    NotAuthorizedV5 = 0x87,
    ServerUnavailableV5 = 0x88,
    ServerBusy = 0x89,
    Banned = 0x8A,
    BadAuthenticationMethod = 0x8C,
    TopicNameInvalid = 0x90,
    PacketTooLarge = 0x95,
    QuotaExceeded = 0x97,
    PayloadFormatInvalid = 0x99,
    RetainNotSupported = 0x9A,
    QoSNotSupported = 0x9B,
    UseAnotherServer = 0x9C,
    ServerMoved = 0x9D,
    ConnectionRateExceeded = 0x9F,
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
            0x80 => ConnectReasonCode::UnspecifiedError,
            0x81 => ConnectReasonCode::MalformedPacket,
            0x82 => ConnectReasonCode::ProtocolError,
            0x83 => ConnectReasonCode::ImplementationSpecificError,
            0x84 => ConnectReasonCode::UnsupportedProtocolVersion,
            0x85 => ConnectReasonCode::ClientIdentifierNotValid,
            0x86 => ConnectReasonCode::BadUserNameOrPasswordV5,
            0x87 => ConnectReasonCode::NotAuthorizedV5,
            0x88 => ConnectReasonCode::ServerUnavailableV5,
            0x89 => ConnectReasonCode::ServerBusy,
            0x8A => ConnectReasonCode::Banned,
            0x8C => ConnectReasonCode::BadAuthenticationMethod,
            0x90 => ConnectReasonCode::TopicNameInvalid,
            0x95 => ConnectReasonCode::PacketTooLarge,
            0x97 => ConnectReasonCode::QuotaExceeded,
            0x99 => ConnectReasonCode::PayloadFormatInvalid,
            0x9A => ConnectReasonCode::RetainNotSupported,
            0x9B => ConnectReasonCode::QoSNotSupported,
            0x9C => ConnectReasonCode::UseAnotherServer,
            0x9D => ConnectReasonCode::ServerMoved,
            0x9F => ConnectReasonCode::ConnectionRateExceeded,
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

    /// Whether `version`'s CONNACK can carry this code: 3.x has return codes 0-5, MQTT 5 the reason codes
    /// of table 3-1 (whose validity is `v5::ReasonCode`'s table, the one list of them).
    pub fn is_valid_in(self, version: ProtocolVersion) -> bool {
        match version {
            ProtocolVersion::V31 | ProtocolVersion::V311 => self.byte() <= 5,
            ProtocolVersion::V5 => ReasonCode(self.byte()).is_valid_for(PacketKind::ConnAck),
        }
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

/// PUBACK, PUBREC, PUBREL or PUBCOMP: the four packets of the QoS 1 and 2 publish flows share one
/// layout (a packet id, then in MQTT 5 a reason code and properties). The `Packet` variant says which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishAck {
    pub packet_id: PacketId,
    /// MQTT 3.x acks carry no code and always mean Success (0x00): that is all a 3.x decoder produces
    /// and all a 3.x encoder accepts. MQTT 5's codes are checked against the packet (table 2-6).
    pub reason_code: ReasonCode,
    pub properties: PacketProperties,
}

impl PublishAck {
    /// A successful acknowledgement of `packet_id`: the only kind MQTT 3.x has.
    pub fn new(packet_id: PacketId) -> Self {
        PublishAck {
            packet_id,
            reason_code: ReasonCode::SUCCESS,
            properties: PacketProperties::NONE,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeFilter {
    pub filter: String,
    pub qos: QoS,
    /// MQTT 5's further subscription options (bits 2-5 of the options byte); 3.x has none.
    pub options: SubscriptionOptions,
}

/// MQTT 5 subscription options beyond the QoS (section 3.8.3.1). The default is what MQTT 3.x means
/// and what a 3.x encoder accepts: all off, Retain Handling 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SubscriptionOptions {
    /// Bit 2: do not send this client its own publications [MQTT-3.8.3-3].
    pub no_local: bool,
    /// Bit 3: keep the RETAIN flag of forwarded messages as published.
    pub retain_as_published: bool,
    /// Bits 4-5: when to send retained messages (0 at subscribe, 1 only for a new subscription, 2 never).
    pub retain_handling: RetainHandling,
}

impl SubscriptionOptions {
    /// MQTT 3.x's (and MQTT 5's default) options.
    pub const DEFAULT: SubscriptionOptions = SubscriptionOptions {
        no_local: false,
        retain_as_published: false,
        retain_handling: RetainHandling::SendAtSubscribe,
    };
}

/// Retain Handling, bits 4-5 of the MQTT 5 subscription options; 3 is a Protocol Error [MQTT-3.8.3-5].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RetainHandling {
    #[default]
    SendAtSubscribe = 0,
    SendAtSubscribeIfNew = 1,
    DoNotSend = 2,
}

impl RetainHandling {
    pub fn from_u8(value: u8) -> Option<Self> {
        match value {
            0 => Some(RetainHandling::SendAtSubscribe),
            1 => Some(RetainHandling::SendAtSubscribeIfNew),
            2 => Some(RetainHandling::DoNotSend),
            _ => None,
        }
    }

    pub fn as_u8(self) -> u8 {
        self as u8
    }
}

impl SubscribeFilter {
    /// A filter with MQTT 3.x's options: the QoS alone.
    pub fn new(filter: impl Into<String>, qos: QoS) -> Self {
        SubscribeFilter {
            filter: filter.into(),
            qos,
            options: SubscriptionOptions::DEFAULT,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    pub packet_id: PacketId,
    pub filters: Vec<SubscribeFilter>,
    pub properties: PacketProperties,
}

/// The broker's answer to one filter of a SUBSCRIBE. The discriminant is the byte on the wire;
/// 0x80 is 3.x's "Failure" and MQTT 5's "Unspecified error"; MQTT 5's further refusals (0x83 and up)
/// follow it, and `is_valid_in` says which version may send which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SubscribeReasonCode {
    GrantedQoS0 = 0,
    GrantedQoS1 = 1,
    GrantedQoS2 = 2,
    Failure = 0x80,
    // MQTT 5's further refusals (table 3-8).
    ImplementationSpecificError = 0x83,
    NotAuthorized = 0x87,
    TopicFilterInvalid = 0x8F,
    PacketIdentifierInUse = 0x91,
    QuotaExceeded = 0x97,
    SharedSubscriptionsNotSupported = 0x9E,
    SubscriptionIdentifiersNotSupported = 0xA1,
    WildcardSubscriptionsNotSupported = 0xA2,
}

impl SubscribeReasonCode {
    /// The code a SUBACK byte names in any version; every other value is reserved [MQTT-3.9.3-2].
    pub fn from_byte(byte: u8) -> Option<Self> {
        Some(match byte {
            0 => SubscribeReasonCode::GrantedQoS0,
            1 => SubscribeReasonCode::GrantedQoS1,
            2 => SubscribeReasonCode::GrantedQoS2,
            0x80 => SubscribeReasonCode::Failure,
            0x83 => SubscribeReasonCode::ImplementationSpecificError,
            0x87 => SubscribeReasonCode::NotAuthorized,
            0x8F => SubscribeReasonCode::TopicFilterInvalid,
            0x91 => SubscribeReasonCode::PacketIdentifierInUse,
            0x97 => SubscribeReasonCode::QuotaExceeded,
            0x9E => SubscribeReasonCode::SharedSubscriptionsNotSupported,
            0xA1 => SubscribeReasonCode::SubscriptionIdentifiersNotSupported,
            0xA2 => SubscribeReasonCode::WildcardSubscriptionsNotSupported,
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
            _ => None,
        }
    }

    /// Whether `version`'s SUBACK can carry this code: 3.x knows 0, 1, 2 and 0x80 alone.
    pub fn is_valid_in(self, version: ProtocolVersion) -> bool {
        version.is_v5() || self.byte() <= 2 || self == SubscribeReasonCode::Failure
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
    /// MQTT 5: one per filter of the UNSUBSCRIBE (table 3-9). Always empty in 3.x, whose UNSUBACK reports
    /// nothing per filter (an empty `Vec` does not allocate).
    pub reason_codes: Vec<ReasonCode>,
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

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Disconnect {
    /// MQTT 3.x's DISCONNECT carries no code and always means Normal disconnection (0x00); MQTT 5's codes
    /// are those of table 3-10.
    pub reason_code: ReasonCode,
    pub properties: PacketProperties,
}

impl Disconnect {
    /// A normal disconnection: the only kind MQTT 3.x has.
    pub const NORMAL: Disconnect = Disconnect {
        reason_code: ReasonCode::NORMAL_DISCONNECTION,
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
    /// MQTT 5 only (type 15, reserved in 3.x). Boxed: its property list is held inline.
    Auth(Box<Auth>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_reason_codes_are_their_wire_bytes_3x_return_codes_and_table_2_6s_connack_codes() {
        for byte in 0..=u8::MAX {
            let code = ConnectReasonCode::from_byte(byte);
            assert_eq!(code.map(ConnectReasonCode::byte), code.and(Some(byte)));
            let in_3x = byte <= 5;
            let in_5 = ReasonCode(byte).is_valid_for(PacketKind::ConnAck);
            assert_eq!(code.is_some(), in_3x || in_5, "byte {byte}");
            if let Some(code) = code {
                assert_eq!(code.is_valid_in(ProtocolVersion::V311), in_3x, "{byte}");
                assert_eq!(code.is_valid_in(ProtocolVersion::V31), in_3x, "{byte}");
                assert_eq!(code.is_valid_in(ProtocolVersion::V5), in_5, "{byte}");
            }
        }
        assert!(ConnectReasonCode::Success.is_success());
        assert!(!ConnectReasonCode::NotAuthorized.is_success());
        assert!(!ConnectReasonCode::NotAuthorizedV5.is_success());
    }

    #[test]
    fn subscribe_reason_codes_are_granted_qos_or_a_refusal_of_table_2_6() {
        for byte in 0..=u8::MAX {
            let code = SubscribeReasonCode::from_byte(byte);
            assert_eq!(code.map(SubscribeReasonCode::byte), code.and(Some(byte)));
            let in_5 = ReasonCode(byte).is_valid_for(PacketKind::SubAck);
            assert_eq!(code.is_some(), in_5, "byte {byte}");
            if let Some(code) = code {
                let in_3x = matches!(byte, 0..=2 | 0x80);
                assert_eq!(code.is_valid_in(ProtocolVersion::V311), in_3x, "{byte}");
                assert!(code.is_valid_in(ProtocolVersion::V5));
                assert_eq!(code.granted_qos().is_none(), byte >= 0x80);
            }
        }
        for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
            let granted = SubscribeReasonCode::granted(qos);
            assert_eq!(granted.granted_qos(), Some(qos));
            assert_eq!(granted.byte(), qos.as_u8());
        }
        assert_eq!(SubscribeReasonCode::Failure.granted_qos(), None);
    }

    #[test]
    fn properties_cost_one_pointer_until_a_packet_has_some() {
        use std::mem::size_of;
        // Null when empty: no allocation for a 3.x packet or a v5 packet without properties.
        assert_eq!(size_of::<PacketProperties>(), size_of::<usize>());
        assert_eq!(
            PacketProperties::new(Properties::default()),
            PacketProperties::NONE
        );
        // A packet id, a one-byte code and the pointer.
        assert_eq!(size_of::<PublishAck>(), 16);
        assert_eq!(size_of::<Disconnect>(), 16);
        // PUBLISH, the packet the hot paths queue, stays the largest variant: it alone sizes `Packet`,
        // AUTH included (boxed).
        let publish = size_of::<Publish>();
        // 72 bytes before MQTT 5: the pointer is the whole cost of the room for properties.
        assert_eq!(publish, 80);
        assert!(size_of::<ConnAck>() <= publish);
        assert!(size_of::<Subscribe>() <= publish);
        assert!(size_of::<SubAck>() <= publish);
        assert!(size_of::<Unsubscribe>() <= publish);
        assert!(size_of::<UnsubAck>() <= publish);
        // The variant tag fits in spare bits of PUBLISH: a queued packet is no larger than a publish.
        assert_eq!(size_of::<Packet>(), publish);
    }

    #[test]
    fn subscription_options_default_to_what_mqtt_3_means() {
        let filter = SubscribeFilter::new("a/#", QoS::AtLeastOnce);
        assert_eq!(filter.options, SubscriptionOptions::default());
        assert_eq!(SubscriptionOptions::DEFAULT, SubscriptionOptions::default());
        for value in 0..=3 {
            assert_eq!(
                RetainHandling::from_u8(value).map(RetainHandling::as_u8),
                (value < 3).then_some(value)
            );
        }
    }
}

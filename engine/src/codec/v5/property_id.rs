//! The MQTT 5 property table (specification section 2.2.2.2, table 2-4): every property's identifier,
//! wire type, the property lists it may appear in, how often, and which values it may take. `Properties`
//! decodes, validates and encodes by this table, so a fact about a property lives here once.

use std::fmt;

use super::packet_kind::{PacketKind, PropertyContext};
use super::var_int;

/// A property identifier. All are one byte on the wire, although the identifier is defined as a variable
/// byte integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PropertyId {
    PayloadFormatIndicator = 0x01,
    MessageExpiryInterval = 0x02,
    ContentType = 0x03,
    ResponseTopic = 0x08,
    CorrelationData = 0x09,
    SubscriptionIdentifier = 0x0B,
    SessionExpiryInterval = 0x11,
    AssignedClientIdentifier = 0x12,
    ServerKeepAlive = 0x13,
    AuthenticationMethod = 0x15,
    AuthenticationData = 0x16,
    RequestProblemInformation = 0x17,
    WillDelayInterval = 0x18,
    RequestResponseInformation = 0x19,
    ResponseInformation = 0x1A,
    ServerReference = 0x1C,
    ReasonString = 0x1F,
    ReceiveMaximum = 0x21,
    TopicAliasMaximum = 0x22,
    TopicAlias = 0x23,
    MaximumQoS = 0x24,
    RetainAvailable = 0x25,
    UserProperty = 0x26,
    MaximumPacketSize = 0x27,
    WildcardSubscriptionAvailable = 0x28,
    SubscriptionIdentifierAvailable = 0x29,
    SharedSubscriptionAvailable = 0x2A,
}

/// How a property's value is encoded (specification section 1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WireType {
    Byte,
    TwoByteInteger,
    FourByteInteger,
    VariableByteInteger,
    Utf8String,
    BinaryData,
    Utf8StringPair,
}

/// Which values of an integer property the specification allows; any other is a Protocol Error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueRule {
    Any,
    /// A boolean byte (or Maximum QoS, which may only lower the QoS to 0 or 1).
    ZeroOrOne,
    NonZero,
    /// Subscription Identifier: not 0, and within what a variable byte integer can express.
    OneToVarIntMax,
}

impl ValueRule {
    pub fn allows(self, value: u32) -> bool {
        match self {
            ValueRule::Any => true,
            ValueRule::ZeroOrOne => value <= 1,
            ValueRule::NonZero => value != 0,
            ValueRule::OneToVarIntMax => (1..=var_int::MAX).contains(&value),
        }
    }
}

impl fmt::Display for ValueRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueRule::Any => "any value is allowed",
            ValueRule::ZeroOrOne => "must be 0 or 1",
            ValueRule::NonZero => "must not be 0",
            ValueRule::OneToVarIntMax => "must be 1 to 268435455",
        })
    }
}

use PacketKind::*;
use PropertyContext::{Packet, Will};

/// Every packet kind with a reason code takes these two (and nothing else but CONNACK, DISCONNECT, AUTH).
const ACKS_AND_DISCONNECT_AND_AUTH: [PropertyContext; 9] = [
    Packet(ConnAck),
    Packet(PubAck),
    Packet(PubRec),
    Packet(PubRel),
    Packet(PubComp),
    Packet(SubAck),
    Packet(UnsubAck),
    Packet(Disconnect),
    Packet(Auth),
];

impl PropertyId {
    /// In identifier order, the order `Properties::encode` writes them in.
    pub const ALL: [PropertyId; 27] = [
        PropertyId::PayloadFormatIndicator,
        PropertyId::MessageExpiryInterval,
        PropertyId::ContentType,
        PropertyId::ResponseTopic,
        PropertyId::CorrelationData,
        PropertyId::SubscriptionIdentifier,
        PropertyId::SessionExpiryInterval,
        PropertyId::AssignedClientIdentifier,
        PropertyId::ServerKeepAlive,
        PropertyId::AuthenticationMethod,
        PropertyId::AuthenticationData,
        PropertyId::RequestProblemInformation,
        PropertyId::WillDelayInterval,
        PropertyId::RequestResponseInformation,
        PropertyId::ResponseInformation,
        PropertyId::ServerReference,
        PropertyId::ReasonString,
        PropertyId::ReceiveMaximum,
        PropertyId::TopicAliasMaximum,
        PropertyId::TopicAlias,
        PropertyId::MaximumQoS,
        PropertyId::RetainAvailable,
        PropertyId::UserProperty,
        PropertyId::MaximumPacketSize,
        PropertyId::WildcardSubscriptionAvailable,
        PropertyId::SubscriptionIdentifierAvailable,
        PropertyId::SharedSubscriptionAvailable,
    ];

    pub fn from_wire(id: u32) -> Option<Self> {
        PropertyId::ALL
            .into_iter()
            .find(|property| property.wire() == id)
    }

    pub fn wire(self) -> u32 {
        self as u32
    }

    /// The name the specification uses, for error messages.
    pub fn name(self) -> &'static str {
        match self {
            PropertyId::PayloadFormatIndicator => "Payload Format Indicator",
            PropertyId::MessageExpiryInterval => "Message Expiry Interval",
            PropertyId::ContentType => "Content Type",
            PropertyId::ResponseTopic => "Response Topic",
            PropertyId::CorrelationData => "Correlation Data",
            PropertyId::SubscriptionIdentifier => "Subscription Identifier",
            PropertyId::SessionExpiryInterval => "Session Expiry Interval",
            PropertyId::AssignedClientIdentifier => "Assigned Client Identifier",
            PropertyId::ServerKeepAlive => "Server Keep Alive",
            PropertyId::AuthenticationMethod => "Authentication Method",
            PropertyId::AuthenticationData => "Authentication Data",
            PropertyId::RequestProblemInformation => "Request Problem Information",
            PropertyId::WillDelayInterval => "Will Delay Interval",
            PropertyId::RequestResponseInformation => "Request Response Information",
            PropertyId::ResponseInformation => "Response Information",
            PropertyId::ServerReference => "Server Reference",
            PropertyId::ReasonString => "Reason String",
            PropertyId::ReceiveMaximum => "Receive Maximum",
            PropertyId::TopicAliasMaximum => "Topic Alias Maximum",
            PropertyId::TopicAlias => "Topic Alias",
            PropertyId::MaximumQoS => "Maximum QoS",
            PropertyId::RetainAvailable => "Retain Available",
            PropertyId::UserProperty => "User Property",
            PropertyId::MaximumPacketSize => "Maximum Packet Size",
            PropertyId::WildcardSubscriptionAvailable => "Wildcard Subscription Available",
            PropertyId::SubscriptionIdentifierAvailable => "Subscription Identifier Available",
            PropertyId::SharedSubscriptionAvailable => "Shared Subscription Available",
        }
    }

    pub fn wire_type(self) -> WireType {
        match self {
            PropertyId::PayloadFormatIndicator
            | PropertyId::RequestProblemInformation
            | PropertyId::RequestResponseInformation
            | PropertyId::MaximumQoS
            | PropertyId::RetainAvailable
            | PropertyId::WildcardSubscriptionAvailable
            | PropertyId::SubscriptionIdentifierAvailable
            | PropertyId::SharedSubscriptionAvailable => WireType::Byte,
            PropertyId::ServerKeepAlive
            | PropertyId::ReceiveMaximum
            | PropertyId::TopicAliasMaximum
            | PropertyId::TopicAlias => WireType::TwoByteInteger,
            PropertyId::MessageExpiryInterval
            | PropertyId::SessionExpiryInterval
            | PropertyId::WillDelayInterval
            | PropertyId::MaximumPacketSize => WireType::FourByteInteger,
            PropertyId::SubscriptionIdentifier => WireType::VariableByteInteger,
            PropertyId::ContentType
            | PropertyId::ResponseTopic
            | PropertyId::AssignedClientIdentifier
            | PropertyId::AuthenticationMethod
            | PropertyId::ResponseInformation
            | PropertyId::ServerReference
            | PropertyId::ReasonString => WireType::Utf8String,
            PropertyId::CorrelationData | PropertyId::AuthenticationData => WireType::BinaryData,
            PropertyId::UserProperty => WireType::Utf8StringPair,
        }
    }

    /// The values the specification allows (for integer properties; strings and binary data have no rule).
    pub fn value_rule(self) -> ValueRule {
        match self {
            PropertyId::PayloadFormatIndicator
            | PropertyId::RequestProblemInformation
            | PropertyId::RequestResponseInformation
            | PropertyId::MaximumQoS
            | PropertyId::RetainAvailable
            | PropertyId::WildcardSubscriptionAvailable
            | PropertyId::SubscriptionIdentifierAvailable
            | PropertyId::SharedSubscriptionAvailable => ValueRule::ZeroOrOne,
            PropertyId::ReceiveMaximum | PropertyId::MaximumPacketSize | PropertyId::TopicAlias => {
                ValueRule::NonZero
            }
            PropertyId::SubscriptionIdentifier => ValueRule::OneToVarIntMax,
            _ => ValueRule::Any,
        }
    }

    /// The property lists this property may appear in (table 2-4). Anywhere else it makes the packet
    /// malformed.
    pub fn contexts(self) -> &'static [PropertyContext] {
        match self {
            PropertyId::PayloadFormatIndicator
            | PropertyId::MessageExpiryInterval
            | PropertyId::ContentType
            | PropertyId::ResponseTopic
            | PropertyId::CorrelationData => &[Packet(Publish), Will],
            PropertyId::SubscriptionIdentifier => &[Packet(Publish), Packet(Subscribe)],
            PropertyId::SessionExpiryInterval => {
                &[Packet(Connect), Packet(ConnAck), Packet(Disconnect)]
            }
            PropertyId::AssignedClientIdentifier
            | PropertyId::ServerKeepAlive
            | PropertyId::ResponseInformation
            | PropertyId::MaximumQoS
            | PropertyId::RetainAvailable
            | PropertyId::WildcardSubscriptionAvailable
            | PropertyId::SubscriptionIdentifierAvailable
            | PropertyId::SharedSubscriptionAvailable => &[Packet(ConnAck)],
            PropertyId::AuthenticationMethod | PropertyId::AuthenticationData => {
                &[Packet(Connect), Packet(ConnAck), Packet(Auth)]
            }
            PropertyId::RequestProblemInformation | PropertyId::RequestResponseInformation => {
                &[Packet(Connect)]
            }
            PropertyId::WillDelayInterval => &[Will],
            PropertyId::ServerReference => &[Packet(ConnAck), Packet(Disconnect)],
            PropertyId::ReasonString => &ACKS_AND_DISCONNECT_AND_AUTH,
            PropertyId::ReceiveMaximum
            | PropertyId::TopicAliasMaximum
            | PropertyId::MaximumPacketSize => &[Packet(Connect), Packet(ConnAck)],
            PropertyId::TopicAlias => &[Packet(Publish)],
            PropertyId::UserProperty => &PropertyContext::ALL,
        }
    }

    pub fn allowed_in(self, context: PropertyContext) -> bool {
        self.contexts().contains(&context)
    }

    /// Whether the property may appear more than once in one list: User Property always (its pairs are
    /// kept in order), Subscription Identifier on PUBLISH (one per matching subscription, section 3.3.4).
    /// Any other property twice is a Protocol Error.
    pub fn repeatable_in(self, context: PropertyContext) -> bool {
        match self {
            PropertyId::UserProperty => true,
            PropertyId::SubscriptionIdentifier => context == Packet(Publish),
            _ => false,
        }
    }
}

impl fmt::Display for PropertyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

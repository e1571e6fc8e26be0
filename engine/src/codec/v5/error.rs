//! Why a property list is invalid. Like the codec's other errors, each message says what was wrong and
//! cites the MQTT 5.0 statement it breaks: a numbered one where the specification has it
//! (`[MQTT-1.5.5-1]`), else the section that states the rule (`[MQTT 5.0 §3.1.2.11]`). `reason_code()`
//! gives the reason code a receiver reports it with (Malformed Packet or Protocol Error, section 4.13).

use std::fmt;

use super::super::error::TopicError;
use super::packet_kind::PropertyContext;
use super::property_id::{PropertyId, ValueRule};
use super::reason_codes::ReasonCode;

/// An invalid property list, and where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyError {
    pub context: PropertyContext,
    pub kind: PropertyErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropertyErrorKind {
    /// The Property Length, or a value, runs past the end of the packet (or of the Property Length).
    Truncated,
    /// A variable byte integer whose fourth byte has the continuation bit set.
    MalformedVarInt,
    /// A variable byte integer padded with bytes that add nothing.
    VarIntNotShortest,
    /// An identifier table 2-4 does not define.
    UnknownIdentifier(u32),
    /// A defined property on a packet it does not belong to.
    NotAllowed(PropertyId),
    /// A property twice where it may appear once.
    Duplicate(PropertyId),
    /// An integer outside the values the property allows (Receive Maximum 0, Maximum QoS 2, ...).
    InvalidValue {
        property: PropertyId,
        value: u32,
    },
    InvalidUtf8(PropertyId),
    NullCharacter(PropertyId),
    /// A Response Topic that is not a valid Topic Name.
    InvalidResponseTopic(TopicError),
    AuthenticationDataWithoutMethod,
    /// AUTH properties without an Authentication Method.
    MissingAuthenticationMethod,
    /// Encoding only: a string or binary value over 65,535 bytes.
    TooLong {
        property: PropertyId,
        len: usize,
    },
    /// Encoding only: the whole list is longer than a variable byte integer can express.
    ListTooLong {
        len: usize,
    },
}

impl PropertyError {
    pub fn new(context: PropertyContext, kind: PropertyErrorKind) -> Self {
        PropertyError { context, kind }
    }

    /// The statement this error violates: `MQTT-x.y.z-n` where numbered, else `MQTT 5.0 §x.y.z`.
    pub fn spec_ref(&self) -> &'static str {
        use PropertyErrorKind as Kind;
        match &self.kind {
            Kind::Truncated | Kind::ListTooLong { .. } => "MQTT 5.0 §2.2.2.1",
            Kind::MalformedVarInt => "MQTT 5.0 §1.5.5",
            Kind::VarIntNotShortest => "MQTT-1.5.5-1",
            Kind::UnknownIdentifier(_) | Kind::NotAllowed(_) => "MQTT 5.0 §2.2.2.2",
            Kind::InvalidValue {
                property: PropertyId::TopicAlias,
                ..
            } => "MQTT-3.3.2-8",
            Kind::InvalidUtf8(PropertyId::UserProperty)
            | Kind::NullCharacter(PropertyId::UserProperty) => "MQTT-1.5.7-1",
            Kind::InvalidUtf8(_) => "MQTT-1.5.4-1",
            Kind::NullCharacter(_) => "MQTT-1.5.4-2",
            Kind::InvalidResponseTopic(TopicError::WildcardInName) => "MQTT-3.3.2-14",
            Kind::InvalidResponseTopic(TopicError::Empty) => "MQTT-4.7.3-1",
            Kind::InvalidResponseTopic(_) => "MQTT 5.0 §4.7",
            Kind::TooLong { .. } => "MQTT 5.0 §1.5.4",
            Kind::Duplicate(_)
            | Kind::InvalidValue { .. }
            | Kind::AuthenticationDataWithoutMethod
            | Kind::MissingAuthenticationMethod => self.context.spec_section(),
        }
    }

    /// The reason code the receiver of such a packet closes with (CONNACK or DISCONNECT, section 4.13):
    /// Malformed Packet when the bytes do not parse as the table says (section 2.2.2.2 and 1.5), Protocol
    /// Error when they parse but break a rule, Topic Alias invalid for a Topic Alias of 0 (section 3.3.2.3.4).
    pub fn reason_code(&self) -> ReasonCode {
        use PropertyErrorKind as Kind;
        match &self.kind {
            Kind::Truncated
            | Kind::MalformedVarInt
            | Kind::VarIntNotShortest
            | Kind::UnknownIdentifier(_)
            | Kind::NotAllowed(_)
            | Kind::InvalidUtf8(_)
            | Kind::NullCharacter(_)
            | Kind::TooLong { .. }
            | Kind::ListTooLong { .. } => ReasonCode::MALFORMED_PACKET,
            Kind::InvalidValue {
                property: PropertyId::TopicAlias,
                ..
            } => ReasonCode::TOPIC_ALIAS_INVALID,
            Kind::Duplicate(_)
            | Kind::InvalidValue { .. }
            | Kind::InvalidResponseTopic(_)
            | Kind::AuthenticationDataWithoutMethod
            | Kind::MissingAuthenticationMethod => ReasonCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for PropertyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PropertyErrorKind as Kind;
        let context = self.context;
        match &self.kind {
            Kind::Truncated => write!(f, "{context} run past the end of the packet"),
            Kind::MalformedVarInt => write!(
                f,
                "malformed variable byte integer in {context} (longer than 4 bytes)"
            ),
            Kind::VarIntNotShortest => write!(
                f,
                "variable byte integer in {context} is not in its shortest form"
            ),
            Kind::UnknownIdentifier(id) => {
                write!(f, "unknown property identifier {id:#04x} in {context}")
            }
            Kind::NotAllowed(property) => write!(
                f,
                "{property} ({:#04x}) is not allowed in {context}",
                property.wire()
            ),
            Kind::Duplicate(property) => {
                write!(f, "{property} appears more than once in {context}")
            }
            Kind::InvalidValue { property, value } => {
                let rule: ValueRule = property.value_rule();
                write!(f, "{property} of {value} in {context} ({rule})")
            }
            Kind::InvalidUtf8(property) => write!(f, "invalid UTF-8 in {property} in {context}"),
            Kind::NullCharacter(property) => write!(f, "U+0000 in {property} in {context}"),
            Kind::InvalidResponseTopic(error) => {
                let predicate = match error {
                    TopicError::Empty => "is empty",
                    TopicError::WildcardInName => "contains a wildcard ('+' or '#')",
                    _ => "is not a valid topic name",
                };
                write!(f, "Response Topic in {context} {predicate}")
            }
            Kind::AuthenticationDataWithoutMethod => write!(
                f,
                "Authentication Data without Authentication Method in {context}"
            ),
            Kind::MissingAuthenticationMethod => {
                write!(f, "{context} without Authentication Method")
            }
            Kind::TooLong { property, len } => write!(
                f,
                "{property} of {len} bytes exceeds the 65535-byte limit in {context}"
            ),
            Kind::ListTooLong { len } => write!(
                f,
                "{context} of {len} bytes exceed what a Property Length can express"
            ),
        }?;
        write!(f, " [{}]", self.spec_ref())
    }
}

impl std::error::Error for PropertyError {}

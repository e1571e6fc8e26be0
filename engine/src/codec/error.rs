//! The codec's errors. Each message says what was wrong and, where the MQTT 3.1.1 specification has a
//! numbered normative statement for it, cites it (`[MQTT-3.3.1-4]`), so a protocol error in a log points
//! straight at the rule. `spec_ref()` returns the citation alone, for callers that map errors to codes.

use std::fmt;

use super::packet_type::PacketType;
use super::v5::{PropertyError, ReasonCode};

/// The largest remaining length the 4-byte variable-length encoding can express.
pub const MAX_REMAINING_LEN: usize = 268_435_455;
/// The largest packet MQTT can express: fixed header byte, 4 remaining-length bytes, body.
pub const MAX_PACKET_SIZE: usize = 1 + 4 + MAX_REMAINING_LEN;
/// The largest payload a PUBLISH can carry whatever its topic (up to 65,535 bytes, length-prefixed)
/// and QoS (a packet id or none): `encode` accepts every publish with a payload up to this.
pub const MAX_PAYLOAD_ANY_TOPIC: usize = MAX_REMAINING_LEN - (2 + u16::MAX as usize) - 2;

/// A string or binary field of a packet, named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    ProtocolName,
    ClientId,
    WillTopic,
    WillPayload,
    Username,
    Password,
    PublishTopic,
    SubscribeFilter,
    UnsubscribeFilter,
}

impl Field {
    fn is_topic(self) -> bool {
        matches!(
            self,
            Field::WillTopic
                | Field::PublishTopic
                | Field::SubscribeFilter
                | Field::UnsubscribeFilter
        )
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::ProtocolName => "CONNECT protocol name",
            Field::ClientId => "CONNECT client identifier",
            Field::WillTopic => "CONNECT will topic",
            Field::WillPayload => "CONNECT will message",
            Field::Username => "CONNECT user name",
            Field::Password => "CONNECT password",
            Field::PublishTopic => "PUBLISH topic",
            Field::SubscribeFilter => "SUBSCRIBE topic filter",
            Field::UnsubscribeFilter => "UNSUBSCRIBE topic filter",
        })
    }
}

/// Writes " [MQTT-x.y.z-n]" after a description when there is a citation.
fn cite(f: &mut fmt::Formatter<'_>, spec_ref: Option<&str>) -> fmt::Result {
    match spec_ref {
        Some(spec_ref) => write!(f, " [{spec_ref}]"),
        None => Ok(()),
    }
}

/// Why a topic name or topic filter is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopicError {
    Empty,
    TooLong {
        len: usize,
    },
    NullCharacter,
    /// '+' or '#' in a topic name (they are only meaningful in filters).
    WildcardInName,
    /// '#' that is not alone in the last level of a filter.
    MisplacedMultiLevelWildcard,
    /// '+' that shares its level with other characters.
    MisplacedSingleLevelWildcard,
}

impl TopicError {
    pub fn spec_ref(&self) -> Option<&'static str> {
        Some(match self {
            TopicError::Empty => "MQTT-4.7.3-1",
            TopicError::TooLong { .. } => "MQTT-4.7.3-3",
            TopicError::NullCharacter => "MQTT-4.7.3-2",
            TopicError::WildcardInName => "MQTT-4.7.1-1",
            TopicError::MisplacedMultiLevelWildcard => "MQTT-4.7.1-2",
            TopicError::MisplacedSingleLevelWildcard => "MQTT-4.7.1-3",
        })
    }

    /// The predicate after "topic", shared by this type's and `DecodeError`'s messages.
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopicError::Empty => f.write_str("is empty"),
            TopicError::TooLong { len } => write!(f, "is {len} bytes, over the 65535 limit"),
            TopicError::NullCharacter => f.write_str("contains U+0000"),
            TopicError::WildcardInName => f.write_str("contains a wildcard ('+' or '#')"),
            TopicError::MisplacedMultiLevelWildcard => {
                f.write_str("has a '#' that is not the whole last level")
            }
            TopicError::MisplacedSingleLevelWildcard => {
                f.write_str("has a '+' that is not a whole level")
            }
        }
    }
}

impl fmt::Display for TopicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("topic ")?;
        self.describe(f)?;
        cite(f, self.spec_ref())
    }
}

impl std::error::Error for TopicError {}

/// Why inbound bytes are not a valid MQTT packet. Any of these is a protocol violation by the peer: close the
/// connection. `decode` leaves the buffer untouched on fixed-header errors and removes the offending packet on
/// body errors; either way the stream cannot be trusted afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Packet type 0, or 15 (AUTH) before MQTT 5.
    ReservedPacketType(u8),
    /// The low nibble of the first byte differs from what table 2.2 requires for this type.
    InvalidFlags {
        packet: PacketType,
        flags: u8,
    },
    /// The fourth remaining-length byte has its continuation bit set.
    MalformedRemainingLength,
    /// A packet type whose body has a fixed size declares another size.
    InvalidRemainingLength {
        packet: PacketType,
        expected: usize,
        actual: usize,
    },
    /// An MQTT 5 packet whose body has a minimum size declares less.
    RemainingLengthTooShort {
        packet: PacketType,
        minimum: usize,
        actual: usize,
    },
    /// The whole packet (fixed header included) is larger than the caller's limit.
    PacketTooLarge {
        size: usize,
        max: usize,
    },
    /// The remaining length ends before the packet's fields do.
    Truncated {
        packet: PacketType,
    },
    /// Bytes left inside the remaining length after the packet's last field.
    TrailingBytes {
        packet: PacketType,
        count: usize,
    },
    /// QoS 3 in PUBLISH flags, CONNECT will QoS or SUBSCRIBE requested QoS.
    InvalidQoS {
        packet: PacketType,
        qos: u8,
    },
    DupOnQoS0,
    PacketIdZero {
        packet: PacketType,
    },
    InvalidUtf8 {
        field: Field,
    },
    NullCharacter {
        field: Field,
    },
    InvalidTopic {
        field: Field,
        error: TopicError,
    },
    /// Neither "MQTT" nor "MQIsdp" (lossily decoded for the message).
    InvalidProtocolName(String),
    /// A known protocol name with a level this codec does not speak (e.g. "MQTT" level 6). A broker answers
    /// this with CONNACK return code 1.
    UnsupportedProtocolLevel {
        name: &'static str,
        level: u8,
    },
    ConnectReservedFlag,
    /// Will QoS or will retain set while the will flag is clear.
    WillFlagsWithoutWill,
    PasswordWithoutUsername,
    InvalidConnAckFlags(u8),
    InvalidConnAckReturnCode(u8),
    SessionPresentOnRefusal {
        return_code: u8,
    },
    SubscribeReservedBits(u8),
    InvalidSubAckReturnCode(u8),
    NoTopicFilters {
        packet: PacketType,
    },
    NoReturnCodes,
    /// An MQTT 5 property list breaks the rules of the codec in `v5` (it names the list and the rule).
    Property(PropertyError),
    /// An MQTT 5 reason code the packet cannot carry (table 2-6), e.g. [MQTT-3.4.2-1].
    InvalidReasonCode {
        packet: PacketType,
        code: u8,
    },
    /// MQTT 5 SUBSCRIBE options with Retain Handling 3, a Protocol Error (section 3.8.3.1); set bits 6-7
    /// are `SubscribeReservedBits`.
    InvalidRetainHandling(u8),
    /// An MQTT 5 PUBLISH with an empty topic and no Topic Alias to stand for it, a Protocol Error
    /// (section 3.3.2.3.4).
    EmptyTopicWithoutAlias,
}

impl From<PropertyError> for DecodeError {
    fn from(error: PropertyError) -> Self {
        DecodeError::Property(error)
    }
}

impl DecodeError {
    /// The reason code an MQTT 5 client sends in its DISCONNECT before closing over this error
    /// [MQTT-4.13.1-1]: Protocol Error for a code or value the packet may not carry, Malformed Packet otherwise.
    pub fn reason_code(&self) -> ReasonCode {
        match self {
            DecodeError::Property(error) => error.reason_code(),
            DecodeError::InvalidReasonCode { .. }
            | DecodeError::InvalidRetainHandling(_)
            | DecodeError::EmptyTopicWithoutAlias => ReasonCode::PROTOCOL_ERROR,
            DecodeError::PacketTooLarge { .. } => ReasonCode::PACKET_TOO_LARGE,
            _ => ReasonCode::MALFORMED_PACKET,
        }
    }

    /// The MQTT 3.1.1 normative statement this error violates, when there is a numbered one.
    pub fn spec_ref(&self) -> Option<&'static str> {
        match self {
            DecodeError::InvalidFlags { packet, .. } => Some(match packet {
                PacketType::PubRel => "MQTT-3.6.1-1",
                PacketType::Subscribe => "MQTT-3.8.1-1",
                PacketType::Unsubscribe => "MQTT-3.10.1-1",
                _ => "MQTT-2.2.2-2",
            }),
            DecodeError::InvalidQoS { packet, .. } => match packet {
                PacketType::Connect => Some("MQTT-3.1.2-14"),
                PacketType::Publish => Some("MQTT-3.3.1-4"),
                // The specification's own spelling of this identifier.
                PacketType::Subscribe => Some("MQTT-3-8.3-4"),
                _ => None,
            },
            DecodeError::DupOnQoS0 => Some("MQTT-3.3.1-2"),
            DecodeError::PacketIdZero { .. } => Some("MQTT-2.3.1-1"),
            DecodeError::InvalidUtf8 { .. } => Some("MQTT-1.5.3-1"),
            DecodeError::NullCharacter { .. } => Some("MQTT-1.5.3-2"),
            DecodeError::InvalidTopic {
                field: Field::PublishTopic,
                error: TopicError::WildcardInName,
            } => Some("MQTT-3.3.2-2"),
            DecodeError::InvalidTopic { error, .. } => error.spec_ref(),
            DecodeError::InvalidProtocolName(_) => Some("MQTT-3.1.2-1"),
            DecodeError::UnsupportedProtocolLevel { .. } => Some("MQTT-3.1.2-2"),
            DecodeError::ConnectReservedFlag => Some("MQTT-3.1.2-3"),
            DecodeError::WillFlagsWithoutWill => Some("MQTT-3.1.2-11"),
            DecodeError::PasswordWithoutUsername => Some("MQTT-3.1.2-22"),
            DecodeError::SessionPresentOnRefusal { .. } => Some("MQTT-3.2.2-4"),
            DecodeError::SubscribeReservedBits(_) => Some("MQTT-3-8.3-4"),
            DecodeError::InvalidSubAckReturnCode(_) => Some("MQTT-3.9.3-2"),
            DecodeError::NoTopicFilters { packet } => match packet {
                PacketType::Subscribe => Some("MQTT-3.8.3-3"),
                PacketType::Unsubscribe => Some("MQTT-3.10.3-2"),
                _ => None,
            },
            DecodeError::NoReturnCodes => Some("MQTT-3.8.4-5"),
            DecodeError::Property(error) => Some(error.spec_ref()),
            DecodeError::InvalidReasonCode { packet, .. } => Some(match packet {
                PacketType::ConnAck => "MQTT-3.2.2-8",
                PacketType::PubAck => "MQTT-3.4.2-1",
                PacketType::PubRec => "MQTT-3.5.2-1",
                PacketType::PubRel => "MQTT-3.6.2-1",
                PacketType::PubComp => "MQTT-3.7.2-1",
                PacketType::SubAck => "MQTT-3.9.3-2",
                PacketType::UnsubAck => "MQTT-3.11.3-2",
                PacketType::Disconnect => "MQTT-3.14.2-1",
                _ => "MQTT-3.15.2-1",
            }),
            DecodeError::RemainingLengthTooShort { .. }
            | DecodeError::InvalidRetainHandling(_)
            | DecodeError::EmptyTopicWithoutAlias => None,
            DecodeError::ReservedPacketType(_)
            | DecodeError::MalformedRemainingLength
            | DecodeError::InvalidRemainingLength { .. }
            | DecodeError::PacketTooLarge { .. }
            | DecodeError::Truncated { .. }
            | DecodeError::TrailingBytes { .. }
            | DecodeError::InvalidConnAckFlags(_)
            | DecodeError::InvalidConnAckReturnCode(_) => None,
        }
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::ReservedPacketType(kind) => write!(f, "reserved packet type {kind}"),
            DecodeError::InvalidFlags { packet, flags } => {
                write!(f, "reserved flags {flags:#06b} set on {packet}")
            }
            DecodeError::MalformedRemainingLength => {
                f.write_str("malformed remaining length (longer than 4 bytes)")
            }
            DecodeError::InvalidRemainingLength {
                packet,
                expected,
                actual,
            } => {
                write!(
                    f,
                    "{packet} remaining length must be {expected}, got {actual}"
                )
            }
            DecodeError::RemainingLengthTooShort {
                packet,
                minimum,
                actual,
            } => {
                write!(
                    f,
                    "{packet} remaining length must be at least {minimum}, got {actual}"
                )
            }
            DecodeError::PacketTooLarge { size, max } => {
                write!(f, "packet of {size} bytes exceeds maximum of {max}")
            }
            DecodeError::Truncated { packet } => {
                write!(f, "{packet} remaining length ends before its fields do")
            }
            DecodeError::TrailingBytes { packet, count } => {
                write!(
                    f,
                    "{packet} has {count} unexpected bytes after its last field"
                )
            }
            DecodeError::InvalidQoS { packet, qos } => write!(f, "invalid QoS {qos} in {packet}"),
            DecodeError::DupOnQoS0 => f.write_str("DUP set on a QoS 0 PUBLISH"),
            DecodeError::PacketIdZero { packet } => write!(f, "packet identifier 0 in {packet}"),
            DecodeError::InvalidUtf8 { field } => write!(f, "invalid UTF-8 in {field}"),
            DecodeError::NullCharacter { field } => write!(f, "U+0000 in {field}"),
            DecodeError::InvalidTopic { field, error } => {
                write!(f, "{field} ")?;
                error.describe(f)
            }
            DecodeError::InvalidProtocolName(name) => write!(f, "unknown protocol name {name:?}"),
            DecodeError::UnsupportedProtocolLevel { name, level } => {
                write!(
                    f,
                    "protocol level {level} does not match protocol name {name:?}"
                )
            }
            DecodeError::ConnectReservedFlag => f.write_str("reserved CONNECT flag (bit 0) set"),
            DecodeError::WillFlagsWithoutWill => {
                f.write_str("CONNECT will QoS or will retain set without the will flag")
            }
            DecodeError::PasswordWithoutUsername => {
                f.write_str("CONNECT password flag set without the user name flag")
            }
            DecodeError::InvalidConnAckFlags(flags) => {
                write!(
                    f,
                    "invalid CONNACK flags {flags:#04x} (bits 7-1 are reserved)"
                )
            }
            DecodeError::InvalidConnAckReturnCode(code) => {
                write!(f, "invalid CONNACK return code {code} (6-255 are reserved)")
            }
            DecodeError::SessionPresentOnRefusal { return_code } => {
                write!(
                    f,
                    "CONNACK refuses with return code {return_code} but sets session present"
                )
            }
            DecodeError::SubscribeReservedBits(options) => {
                write!(
                    f,
                    "reserved bits set in SUBSCRIBE options byte {options:#04x}"
                )
            }
            DecodeError::InvalidSubAckReturnCode(code) => {
                write!(f, "invalid SUBACK return code {code:#04x}")
            }
            DecodeError::NoTopicFilters { packet } => write!(f, "{packet} without topic filters"),
            DecodeError::NoReturnCodes => f.write_str("SUBACK without return codes"),
            DecodeError::Property(error) => fmt::Display::fmt(error, f),
            DecodeError::InvalidReasonCode { packet, code } => {
                write!(f, "reason code {code:#04x} is not one {packet} can carry")
            }
            DecodeError::InvalidRetainHandling(options) => write!(
                f,
                "SUBSCRIBE options byte {options:#04x} has Retain Handling 3 (MQTT 5.0 §3.8.3.1)"
            ),
            DecodeError::EmptyTopicWithoutAlias => {
                f.write_str("PUBLISH has an empty topic and no Topic Alias (MQTT 5.0 §3.3.2.3.4)")
            }
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe(f)?;
        match self {
            // The property codec's messages carry their own citation.
            DecodeError::Property(_) => Ok(()),
            _ => cite(f, self.spec_ref()),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DecodeError::Property(error) => Some(error),
            DecodeError::InvalidTopic { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Why a packet cannot be encoded. These are caller bugs or oversized input, caught before any byte is
/// appended to the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// A length-prefixed string or binary field over 65535 bytes.
    StringTooLong {
        field: Field,
        len: usize,
    },
    /// The body exceeds what the 4-byte remaining length can express.
    PacketTooLarge {
        remaining_len: usize,
    },
    /// QoS 1 or 2 PUBLISH with `packet_id: None`.
    MissingPacketId {
        qos: u8,
    },
    /// QoS 0 PUBLISH with `packet_id: Some(_)`.
    UnexpectedPacketId,
    PacketIdZero {
        packet: PacketType,
    },
    DupOnQoS0,
    NoTopicFilters {
        packet: PacketType,
    },
    NoReturnCodes,
    SessionPresentOnRefusal {
        return_code: u8,
    },
    /// MQTT 3.x cannot carry a password without a user name.
    PasswordWithoutUsername,
    /// Per-filter reason codes on a packet whose 3.x form has none (UNSUBACK).
    ReasonCodesNeedMqtt5 {
        packet: PacketType,
    },
    /// Something only MQTT 5 can say (`what`: properties, a reason code other than success, subscription
    /// options, an AUTH packet, an empty topic) given to a 3.x encoder.
    NeedsMqtt5 {
        packet: PacketType,
        what: &'static str,
    },
    /// An MQTT 5 reason code the packet cannot carry (table 2-6).
    InvalidReasonCode {
        packet: PacketType,
        code: u8,
    },
    /// A property list that MQTT 5's rules refuse for where it would be sent.
    Property(PropertyError),
    /// An MQTT 5 PUBLISH with an empty topic and no Topic Alias [MQTT-3.3.2-1].
    EmptyTopicWithoutAlias,
}

impl From<PropertyError> for EncodeError {
    fn from(error: PropertyError) -> Self {
        EncodeError::Property(error)
    }
}

impl EncodeError {
    /// The MQTT 3.1.1 normative statement the packet would violate, when there is a numbered one.
    pub fn spec_ref(&self) -> Option<&'static str> {
        match self {
            EncodeError::StringTooLong { field, .. } if field.is_topic() => Some("MQTT-4.7.3-3"),
            EncodeError::MissingPacketId { .. } | EncodeError::PacketIdZero { .. } => {
                Some("MQTT-2.3.1-1")
            }
            EncodeError::UnexpectedPacketId => Some("MQTT-2.3.1-5"),
            EncodeError::DupOnQoS0 => Some("MQTT-3.3.1-2"),
            EncodeError::NoTopicFilters { packet } => match packet {
                PacketType::Subscribe => Some("MQTT-3.8.3-3"),
                PacketType::Unsubscribe => Some("MQTT-3.10.3-2"),
                _ => None,
            },
            EncodeError::NoReturnCodes => Some("MQTT-3.8.4-5"),
            EncodeError::SessionPresentOnRefusal { .. } => Some("MQTT-3.2.2-4"),
            EncodeError::PasswordWithoutUsername => Some("MQTT-3.1.2-22"),
            EncodeError::StringTooLong { .. }
            | EncodeError::PacketTooLarge { .. }
            | EncodeError::ReasonCodesNeedMqtt5 { .. }
            | EncodeError::NeedsMqtt5 { .. }
            | EncodeError::EmptyTopicWithoutAlias => None,
            EncodeError::InvalidReasonCode { .. } => None,
            EncodeError::Property(error) => Some(error.spec_ref()),
        }
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::StringTooLong { field, len } => {
                write!(f, "{field} of {len} bytes exceeds the 65535-byte limit")
            }
            EncodeError::PacketTooLarge { remaining_len } => write!(
                f,
                "packet body of {remaining_len} bytes exceeds the maximum remaining length of {MAX_REMAINING_LEN}"
            ),
            EncodeError::MissingPacketId { qos } => {
                write!(f, "QoS {qos} PUBLISH without packet identifier")
            }
            EncodeError::UnexpectedPacketId => f.write_str("QoS 0 PUBLISH with a packet identifier"),
            EncodeError::PacketIdZero { packet } => write!(f, "packet identifier 0 in {packet}"),
            EncodeError::DupOnQoS0 => f.write_str("DUP set on a QoS 0 PUBLISH"),
            EncodeError::NoTopicFilters { packet } => write!(f, "{packet} without topic filters"),
            EncodeError::NoReturnCodes => f.write_str("SUBACK without return codes"),
            EncodeError::SessionPresentOnRefusal { return_code } => {
                write!(f, "CONNACK refuses with return code {return_code} but sets session present")
            }
            EncodeError::PasswordWithoutUsername => {
                f.write_str("CONNECT password without a user name")
            }
            EncodeError::ReasonCodesNeedMqtt5 { packet } => {
                write!(f, "{packet} reason codes need MQTT 5; MQTT 3.x cannot carry them")
            }
            EncodeError::NeedsMqtt5 { packet, what } => {
                write!(f, "{packet} {what} need MQTT 5; MQTT 3.x cannot carry them")
            }
            EncodeError::InvalidReasonCode { packet, code } => {
                write!(f, "reason code {code:#04x} is not one {packet} can carry")
            }
            EncodeError::Property(error) => fmt::Display::fmt(error, f),
            EncodeError::EmptyTopicWithoutAlias => {
                f.write_str("PUBLISH with an empty topic needs a Topic Alias (MQTT 5.0 §3.3.2.3.4)")
            }
        }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe(f)?;
        match self {
            // The property codec's messages carry their own citation.
            EncodeError::Property(_) => Ok(()),
            _ => cite(f, self.spec_ref()),
        }
    }
}

impl std::error::Error for EncodeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_messages_cite_the_spec_statement() {
        let cases = [
            (
                DecodeError::InvalidTopic {
                    field: Field::PublishTopic,
                    error: TopicError::WildcardInName,
                },
                "PUBLISH topic contains a wildcard ('+' or '#') [MQTT-3.3.2-2]",
            ),
            (
                DecodeError::InvalidTopic {
                    field: Field::WillTopic,
                    error: TopicError::WildcardInName,
                },
                "CONNECT will topic contains a wildcard ('+' or '#') [MQTT-4.7.1-1]",
            ),
            (
                DecodeError::PacketIdZero {
                    packet: PacketType::PubAck,
                },
                "packet identifier 0 in PUBACK [MQTT-2.3.1-1]",
            ),
            (
                DecodeError::InvalidFlags {
                    packet: PacketType::SubAck,
                    flags: 1,
                },
                "reserved flags 0b0001 set on SUBACK [MQTT-2.2.2-2]",
            ),
            (
                DecodeError::InvalidFlags {
                    packet: PacketType::PubRel,
                    flags: 0,
                },
                "reserved flags 0b0000 set on PUBREL [MQTT-3.6.1-1]",
            ),
            (
                DecodeError::InvalidQoS {
                    packet: PacketType::Publish,
                    qos: 3,
                },
                "invalid QoS 3 in PUBLISH [MQTT-3.3.1-4]",
            ),
            (
                DecodeError::InvalidUtf8 {
                    field: Field::PublishTopic,
                },
                "invalid UTF-8 in PUBLISH topic [MQTT-1.5.3-1]",
            ),
            (
                DecodeError::NullCharacter {
                    field: Field::ClientId,
                },
                "U+0000 in CONNECT client identifier [MQTT-1.5.3-2]",
            ),
            (
                DecodeError::PacketTooLarge {
                    size: 268_435_460,
                    max: 1024,
                },
                "packet of 268435460 bytes exceeds maximum of 1024",
            ),
            (
                DecodeError::ReservedPacketType(15),
                "reserved packet type 15",
            ),
            (
                DecodeError::InvalidConnAckFlags(2),
                "invalid CONNACK flags 0x02 (bits 7-1 are reserved)",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn topic_errors_read_as_sentences_about_the_topic() {
        assert_eq!(
            TopicError::Empty.to_string(),
            "topic is empty [MQTT-4.7.3-1]"
        );
        assert_eq!(
            TopicError::TooLong { len: 65536 }.to_string(),
            "topic is 65536 bytes, over the 65535 limit [MQTT-4.7.3-3]"
        );
    }

    #[test]
    fn encode_messages_cite_the_spec_statement() {
        assert_eq!(
            EncodeError::MissingPacketId { qos: 1 }.to_string(),
            "QoS 1 PUBLISH without packet identifier [MQTT-2.3.1-1]"
        );
        assert_eq!(
            EncodeError::StringTooLong {
                field: Field::PublishTopic,
                len: 70000
            }
            .to_string(),
            "PUBLISH topic of 70000 bytes exceeds the 65535-byte limit [MQTT-4.7.3-3]"
        );
        assert_eq!(
            EncodeError::StringTooLong {
                field: Field::Password,
                len: 70000
            }
            .spec_ref(),
            None
        );
    }

    #[test]
    fn invalid_topic_exposes_the_topic_error_as_its_source() {
        use std::error::Error;
        let error = DecodeError::InvalidTopic {
            field: Field::SubscribeFilter,
            error: TopicError::Empty,
        };
        assert_eq!(
            error.source().map(|s| s.to_string()),
            Some(TopicError::Empty.to_string())
        );
    }
}

//! `Properties`: one property list (specification section 2.2.2), typed, with its strict decoder and its
//! encoder. What each property is (wire type, where it may appear, how often, which values) comes from
//! the table in `property_id`; this module holds the values and moves them on and off the wire.

use bytes::{Buf, BufMut, Bytes};

use super::super::packet::QoS;
use super::super::shared_str::SharedStr;
use super::super::topic::validate_topic_name;
use super::error::{PropertyError, PropertyErrorKind as Kind};
use super::packet_kind::PropertyContext;
use super::property_id::PropertyId;
use super::var_int::{self, VarIntError};

/// A property list: each property is `None`/empty when absent. Which ones a list may hold depends on where
/// it sits (`PropertyContext`); `decode` enforces that and `validate` checks it before encoding.
///
/// Strings and binary values decoded from a packet share its bytes (no copy), as the codec's topics and
/// payloads do. Field names follow the specification's property names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    /// 0x01. `true`: the payload is UTF-8 text; `false`: unspecified bytes.
    pub payload_format_indicator: Option<bool>,
    /// 0x02. Seconds.
    pub message_expiry_interval: Option<u32>,
    /// 0x03.
    pub content_type: Option<SharedStr>,
    /// 0x08. A Topic Name (no wildcards, not empty).
    pub response_topic: Option<SharedStr>,
    /// 0x09.
    pub correlation_data: Option<Bytes>,
    /// 0x0B. 1 to 268,435,455 each; several only on PUBLISH (one per matching subscription), at most one
    /// on SUBSCRIBE.
    pub subscription_identifiers: Vec<u32>,
    /// 0x11. Seconds; 0xFFFFFFFF means the session never expires.
    pub session_expiry_interval: Option<u32>,
    /// 0x12.
    pub assigned_client_identifier: Option<SharedStr>,
    /// 0x13. Seconds.
    pub server_keep_alive: Option<u16>,
    /// 0x15.
    pub authentication_method: Option<SharedStr>,
    /// 0x16. Only with an Authentication Method.
    pub authentication_data: Option<Bytes>,
    /// 0x17.
    pub request_problem_information: Option<bool>,
    /// 0x18. Seconds.
    pub will_delay_interval: Option<u32>,
    /// 0x19.
    pub request_response_information: Option<bool>,
    /// 0x1A.
    pub response_information: Option<SharedStr>,
    /// 0x1C.
    pub server_reference: Option<SharedStr>,
    /// 0x1F.
    pub reason_string: Option<SharedStr>,
    /// 0x21. Not 0.
    pub receive_maximum: Option<u16>,
    /// 0x22.
    pub topic_alias_maximum: Option<u16>,
    /// 0x23. Not 0.
    pub topic_alias: Option<u16>,
    /// 0x24. QoS 0 or 1 (a server supporting QoS 2 leaves the property out).
    pub maximum_qos: Option<QoS>,
    /// 0x25.
    pub retain_available: Option<bool>,
    /// 0x26. Name-value pairs, in wire order; a name may repeat.
    pub user_properties: Vec<(SharedStr, SharedStr)>,
    /// 0x27. Bytes, not 0.
    pub maximum_packet_size: Option<u32>,
    /// 0x28.
    pub wildcard_subscription_available: Option<bool>,
    /// 0x29.
    pub subscription_identifier_available: Option<bool>,
    /// 0x2A.
    pub shared_subscription_available: Option<bool>,
}

/// One property's value as it goes on the wire; the variant is the property's wire type (`for_each`
/// hands them out, e.g. to the addon's event records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Byte(u8),
    TwoByteInteger(u16),
    FourByteInteger(u32),
    VariableByteInteger(u32),
    Utf8String(&'a str),
    BinaryData(&'a [u8]),
    Utf8StringPair(&'a str, &'a str),
}

/// A string property's wire value (a function, not a closure, so the borrow's lifetime carries through).
fn text(value: &SharedStr) -> Value<'_> {
    Value::Utf8String(value.as_str())
}

impl Value<'_> {
    /// The integer, for the value rules; `None` for strings and binary data.
    fn integer(self) -> Option<u32> {
        match self {
            Value::Byte(value) => Some(value.into()),
            Value::TwoByteInteger(value) => Some(value.into()),
            Value::FourByteInteger(value) | Value::VariableByteInteger(value) => Some(value),
            Value::Utf8String(_) | Value::BinaryData(_) | Value::Utf8StringPair(..) => None,
        }
    }

    fn encoded_len(self) -> usize {
        match self {
            Value::Byte(_) => 1,
            Value::TwoByteInteger(_) => 2,
            Value::FourByteInteger(_) => 4,
            Value::VariableByteInteger(value) => var_int::len(value),
            Value::Utf8String(text) => 2 + text.len(),
            Value::BinaryData(data) => 2 + data.len(),
            Value::Utf8StringPair(name, value) => 4 + name.len() + value.len(),
        }
    }

    fn put(self, out: &mut impl BufMut) {
        match self {
            Value::Byte(value) => out.put_u8(value),
            Value::TwoByteInteger(value) => out.put_u16(value),
            Value::FourByteInteger(value) => out.put_u32(value),
            Value::VariableByteInteger(value) => var_int::put(out, value as usize),
            Value::Utf8String(text) => put_prefixed(out, text.as_bytes()),
            Value::BinaryData(data) => put_prefixed(out, data),
            Value::Utf8StringPair(name, value) => {
                put_prefixed(out, name.as_bytes());
                put_prefixed(out, value.as_bytes());
            }
        }
    }
}

/// Writes a length-prefixed field; `validate` has checked the length fits in two bytes.
fn put_prefixed(out: &mut impl BufMut, bytes: &[u8]) {
    out.put_u16(bytes.len() as u16);
    out.put_slice(bytes);
}

impl Properties {
    pub fn is_empty(&self) -> bool {
        *self == Properties::default()
    }

    /// Takes a property list (its Property Length, then the properties) from the front of `buf`, the rest of
    /// a packet body; byte fields share `buf`'s memory. `context` says which packet the list belongs to.
    ///
    /// Strict: a list running past the end of `buf`, an unknown identifier, a property not allowed in
    /// `context`, a property twice where once is the limit, an integer outside its allowed values, a
    /// variable byte integer not in its shortest form, ill-formed UTF-8 or U+0000 in a string, a Response
    /// Topic that is not a Topic Name, and Authentication Data without Authentication Method are errors.
    /// On error `buf` is in an unspecified state: the packet is to be dropped with the connection.
    pub fn decode(buf: &mut Bytes, context: PropertyContext) -> Result<Properties, PropertyError> {
        let error = |kind| PropertyError::new(context, kind);
        let len = read_var_int(buf).map_err(error)? as usize;
        if len > buf.len() {
            return Err(error(Kind::Truncated));
        }
        let mut list = buf.split_to(len);
        let mut properties = Properties::default();
        // Identifiers seen so far, one bit each (the largest is 0x2A).
        let mut seen = 0u64;
        while !list.is_empty() {
            let id = read_var_int(&mut list).map_err(error)?;
            let property = PropertyId::from_wire(id).ok_or(error(Kind::UnknownIdentifier(id)))?;
            if !property.allowed_in(context) {
                return Err(error(Kind::NotAllowed(property)));
            }
            let bit = 1u64 << id;
            if seen & bit != 0 && !property.repeatable_in(context) {
                return Err(error(Kind::Duplicate(property)));
            }
            seen |= bit;
            properties.read_value(property, &mut list).map_err(error)?;
        }
        properties.check_cross_rules(context)?;
        Ok(properties)
    }

    /// Reads `property`'s value from `list` into its field, checking the value.
    fn read_value(&mut self, property: PropertyId, list: &mut Bytes) -> Result<(), Kind> {
        use PropertyId as P;
        match property {
            P::PayloadFormatIndicator => {
                self.payload_format_indicator = Some(read_flag(list, property)?)
            }
            P::MessageExpiryInterval => {
                self.message_expiry_interval = Some(read_u32(list, property)?)
            }
            P::ContentType => self.content_type = Some(read_string(list, property)?),
            P::ResponseTopic => {
                let topic = read_string(list, property)?;
                validate_topic_name(&topic).map_err(Kind::InvalidResponseTopic)?;
                self.response_topic = Some(topic);
            }
            P::CorrelationData => self.correlation_data = Some(read_binary(list)?),
            P::SubscriptionIdentifier => {
                let id = read_var_int(list)?;
                check_value(property, id)?;
                self.subscription_identifiers.push(id);
            }
            P::SessionExpiryInterval => {
                self.session_expiry_interval = Some(read_u32(list, property)?)
            }
            P::AssignedClientIdentifier => {
                self.assigned_client_identifier = Some(read_string(list, property)?)
            }
            P::ServerKeepAlive => self.server_keep_alive = Some(read_u16(list, property)?),
            P::AuthenticationMethod => {
                self.authentication_method = Some(read_string(list, property)?)
            }
            P::AuthenticationData => self.authentication_data = Some(read_binary(list)?),
            P::RequestProblemInformation => {
                self.request_problem_information = Some(read_flag(list, property)?)
            }
            P::WillDelayInterval => self.will_delay_interval = Some(read_u32(list, property)?),
            P::RequestResponseInformation => {
                self.request_response_information = Some(read_flag(list, property)?)
            }
            P::ResponseInformation => {
                self.response_information = Some(read_string(list, property)?)
            }
            P::ServerReference => self.server_reference = Some(read_string(list, property)?),
            P::ReasonString => self.reason_string = Some(read_string(list, property)?),
            P::ReceiveMaximum => self.receive_maximum = Some(read_u16(list, property)?),
            P::TopicAliasMaximum => self.topic_alias_maximum = Some(read_u16(list, property)?),
            P::TopicAlias => self.topic_alias = Some(read_u16(list, property)?),
            P::MaximumQoS => {
                self.maximum_qos = Some(if read_flag(list, property)? {
                    QoS::AtLeastOnce
                } else {
                    QoS::AtMostOnce
                })
            }
            P::RetainAvailable => self.retain_available = Some(read_flag(list, property)?),
            P::UserProperty => {
                let name = read_string(list, property)?;
                let value = read_string(list, property)?;
                self.user_properties.push((name, value));
            }
            P::MaximumPacketSize => self.maximum_packet_size = Some(read_u32(list, property)?),
            P::WildcardSubscriptionAvailable => {
                self.wildcard_subscription_available = Some(read_flag(list, property)?)
            }
            P::SubscriptionIdentifierAvailable => {
                self.subscription_identifier_available = Some(read_flag(list, property)?)
            }
            P::SharedSubscriptionAvailable => {
                self.shared_subscription_available = Some(read_flag(list, property)?)
            }
        }
        Ok(())
    }

    /// Rules between properties of one list, checked on both sides.
    fn check_cross_rules(&self, context: PropertyContext) -> Result<(), PropertyError> {
        let error = |kind| Err(PropertyError::new(context, kind));
        if self.authentication_data.is_some() && self.authentication_method.is_none() {
            return error(Kind::AuthenticationDataWithoutMethod);
        }
        // "It is a Protocol Error to omit the Authentication Method" from AUTH (section 3.15.2.2.2).
        if context == PropertyContext::Packet(super::PacketKind::Auth)
            && self.authentication_method.is_none()
        {
            return error(Kind::MissingAuthenticationMethod);
        }
        Ok(())
    }

    /// Calls `visit` with every property present, in identifier order, user properties and subscription
    /// identifiers in list order. The one place that maps fields to wire values.
    pub fn for_each<E>(
        &self,
        mut visit: impl FnMut(PropertyId, Value<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        use PropertyId as P;
        let flag = |value: bool| Value::Byte(value.into());
        // Absent properties are skipped.
        let mut one = |property, value: Option<Value<'_>>| match value {
            Some(value) => visit(property, value),
            None => Ok(()),
        };
        one(
            P::PayloadFormatIndicator,
            self.payload_format_indicator.map(flag),
        )?;
        one(
            P::MessageExpiryInterval,
            self.message_expiry_interval.map(Value::FourByteInteger),
        )?;
        one(P::ContentType, self.content_type.as_ref().map(text))?;
        one(P::ResponseTopic, self.response_topic.as_ref().map(text))?;
        one(
            P::CorrelationData,
            self.correlation_data.as_deref().map(Value::BinaryData),
        )?;
        for &id in &self.subscription_identifiers {
            one(
                P::SubscriptionIdentifier,
                Some(Value::VariableByteInteger(id)),
            )?;
        }
        one(
            P::SessionExpiryInterval,
            self.session_expiry_interval.map(Value::FourByteInteger),
        )?;
        one(
            P::AssignedClientIdentifier,
            self.assigned_client_identifier.as_ref().map(text),
        )?;
        one(
            P::ServerKeepAlive,
            self.server_keep_alive.map(Value::TwoByteInteger),
        )?;
        one(
            P::AuthenticationMethod,
            self.authentication_method.as_ref().map(text),
        )?;
        one(
            P::AuthenticationData,
            self.authentication_data.as_deref().map(Value::BinaryData),
        )?;
        one(
            P::RequestProblemInformation,
            self.request_problem_information.map(flag),
        )?;
        one(
            P::WillDelayInterval,
            self.will_delay_interval.map(Value::FourByteInteger),
        )?;
        one(
            P::RequestResponseInformation,
            self.request_response_information.map(flag),
        )?;
        one(
            P::ResponseInformation,
            self.response_information.as_ref().map(text),
        )?;
        one(P::ServerReference, self.server_reference.as_ref().map(text))?;
        one(P::ReasonString, self.reason_string.as_ref().map(text))?;
        one(
            P::ReceiveMaximum,
            self.receive_maximum.map(Value::TwoByteInteger),
        )?;
        one(
            P::TopicAliasMaximum,
            self.topic_alias_maximum.map(Value::TwoByteInteger),
        )?;
        one(P::TopicAlias, self.topic_alias.map(Value::TwoByteInteger))?;
        one(
            P::MaximumQoS,
            self.maximum_qos.map(|qos| Value::Byte(qos.as_u8())),
        )?;
        one(P::RetainAvailable, self.retain_available.map(flag))?;
        for (name, value) in &self.user_properties {
            one(P::UserProperty, Some(Value::Utf8StringPair(name, value)))?;
        }
        one(
            P::MaximumPacketSize,
            self.maximum_packet_size.map(Value::FourByteInteger),
        )?;
        one(
            P::WildcardSubscriptionAvailable,
            self.wildcard_subscription_available.map(flag),
        )?;
        one(
            P::SubscriptionIdentifierAvailable,
            self.subscription_identifier_available.map(flag),
        )?;
        one(
            P::SharedSubscriptionAvailable,
            self.shared_subscription_available.map(flag),
        )
    }

    /// Checks that this list can be sent in `context`: the rules `decode` enforces on a receiver, so the
    /// peer never sees a list our decoder would reject, plus the length limits. `encode` assumes it passed.
    pub fn validate(&self, context: PropertyContext) -> Result<(), PropertyError> {
        let error = |kind| PropertyError::new(context, kind);
        let mut previous = None;
        self.for_each(|property, value| {
            if !property.allowed_in(context) {
                return Err(error(Kind::NotAllowed(property)));
            }
            if previous == Some(property) && !property.repeatable_in(context) {
                return Err(error(Kind::Duplicate(property)));
            }
            previous = Some(property);
            if let Some(integer) = value.integer() {
                check_value(property, integer).map_err(error)?;
            }
            match value {
                Value::Utf8String(text) => check_outbound_string(property, text).map_err(error),
                Value::BinaryData(data) => check_len(property, data.len()).map_err(error),
                Value::Utf8StringPair(name, value) => {
                    check_outbound_string(property, name).map_err(error)?;
                    check_outbound_string(property, value).map_err(error)
                }
                _ => Ok(()),
            }
        })?;
        if let Some(topic) = &self.response_topic {
            validate_topic_name(topic).map_err(|e| error(Kind::InvalidResponseTopic(e)))?;
        }
        self.check_cross_rules(context)?;
        let len = self.list_len();
        if len > var_int::MAX as usize {
            return Err(error(Kind::ListTooLong { len }));
        }
        Ok(())
    }

    /// The bytes of the properties, without the Property Length in front of them.
    fn list_len(&self) -> usize {
        let mut len = 0;
        let _ = self.for_each(|_, value| {
            len += 1 + value.encoded_len();
            Ok::<(), ()>(())
        });
        len
    }

    /// The bytes `encode` writes: the Property Length and the properties.
    pub fn encoded_len(&self) -> usize {
        let list_len = self.list_len();
        var_int::len(list_len as u32) + list_len
    }

    /// Appends the Property Length and the properties (in identifier order). The list must have passed
    /// `validate` for the context it is sent in.
    pub fn encode(&self, out: &mut impl BufMut) {
        var_int::put(out, self.list_len());
        let _ = self.for_each(|property, value| {
            debug_assert_eq!(
                property.wire_type(),
                value.wire_type(),
                "{property} written as the wrong type"
            );
            // Every identifier is below 0x80: one byte as a variable byte integer.
            out.put_u8(property.wire() as u8);
            value.put(out);
            Ok::<(), ()>(())
        });
    }
}

impl Value<'_> {
    fn wire_type(self) -> super::WireType {
        use super::WireType as W;
        match self {
            Value::Byte(_) => W::Byte,
            Value::TwoByteInteger(_) => W::TwoByteInteger,
            Value::FourByteInteger(_) => W::FourByteInteger,
            Value::VariableByteInteger(_) => W::VariableByteInteger,
            Value::Utf8String(_) => W::Utf8String,
            Value::BinaryData(_) => W::BinaryData,
            Value::Utf8StringPair(..) => W::Utf8StringPair,
        }
    }
}

fn check_value(property: PropertyId, value: u32) -> Result<(), Kind> {
    if property.value_rule().allows(value) {
        Ok(())
    } else {
        Err(Kind::InvalidValue { property, value })
    }
}

fn check_len(property: PropertyId, len: usize) -> Result<(), Kind> {
    if len > usize::from(u16::MAX) {
        Err(Kind::TooLong { property, len })
    } else {
        Ok(())
    }
}

/// `str` is well-formed UTF-8 already; what is left to check is U+0000 and the length.
fn check_outbound_string(property: PropertyId, text: &str) -> Result<(), Kind> {
    check_len(property, text.len())?;
    if text.as_bytes().contains(&0) {
        return Err(Kind::NullCharacter(property));
    }
    Ok(())
}

fn read_var_int(buf: &mut Bytes) -> Result<u32, Kind> {
    var_int::read(buf).map_err(|error| match error {
        VarIntError::Truncated => Kind::Truncated,
        VarIntError::TooLong => Kind::MalformedVarInt,
        VarIntError::NotShortest => Kind::VarIntNotShortest,
    })
}

fn ensure(list: &Bytes, len: usize) -> Result<(), Kind> {
    if list.len() < len {
        Err(Kind::Truncated)
    } else {
        Ok(())
    }
}

fn read_flag(list: &mut Bytes, property: PropertyId) -> Result<bool, Kind> {
    ensure(list, 1)?;
    let value = list.get_u8();
    check_value(property, value.into())?;
    Ok(value == 1)
}

fn read_u16(list: &mut Bytes, property: PropertyId) -> Result<u16, Kind> {
    ensure(list, 2)?;
    let value = list.get_u16();
    check_value(property, value.into())?;
    Ok(value)
}

fn read_u32(list: &mut Bytes, property: PropertyId) -> Result<u32, Kind> {
    ensure(list, 4)?;
    let value = list.get_u32();
    check_value(property, value)?;
    Ok(value)
}

/// Length-prefixed binary data, zero-copy.
fn read_binary(list: &mut Bytes) -> Result<Bytes, Kind> {
    ensure(list, 2)?;
    let len = usize::from(list.get_u16());
    ensure(list, len)?;
    Ok(list.split_to(len))
}

/// A length-prefixed UTF-8 string, zero-copy: well-formed [MQTT-1.5.4-1], without U+0000 [MQTT-1.5.4-2].
fn read_string(list: &mut Bytes, property: PropertyId) -> Result<SharedStr, Kind> {
    let text = SharedStr::from_utf8(read_binary(list)?).map_err(|_| Kind::InvalidUtf8(property))?;
    if text.as_bytes().contains(&0) {
        return Err(Kind::NullCharacter(property));
    }
    Ok(text)
}

#[cfg(test)]
mod tests;

//! MQTT 5 property lists across the boundary, both ways, in MQTT.js's names.
//!
//! In: a JS object as MQTT.js takes it (`{ topicAlias: 3, userProperties: { a: 'b' } }`) becomes the
//! codec's `Properties` through ONE converter for every packet, checked by the codec's own rules
//! (`Properties::validate`), so nothing the encoder would refuse, or the broker's decoder reject, gets
//! queued. Every error names the property as the application wrote it.
//!
//! Out: a packet's list as an event record field (`put_properties`), read back by `lib/properties.js`
//! with the table `batchFormat().properties` exports (`property_formats`).
//!
//! The conversion is split at `Given`: `given_from_js` only copies what JS passed into plain Rust
//! values; `properties_from_given` does the judging, in pure code that unit tests drive without Node.

use bytes::Bytes;
use napi::bindgen_prelude::{Array, Buffer, JsObjectValue, Object, Unknown};
use napi::{JsValue, ValueType};
use napi_derive::napi;

use engine::codec::v5::{
    Properties, PropertyContext, PropertyError, PropertyErrorKind, PropertyId, PropertyValue,
    WireType,
};
use engine::codec::{PacketProperties, QoS};

/// MQTT.js's (mqtt-packet's) name of every property, in identifier order.
const MQTTJS_NAMES: [(PropertyId, &str); 27] = [
    (PropertyId::PayloadFormatIndicator, "payloadFormatIndicator"),
    (PropertyId::MessageExpiryInterval, "messageExpiryInterval"),
    (PropertyId::ContentType, "contentType"),
    (PropertyId::ResponseTopic, "responseTopic"),
    (PropertyId::CorrelationData, "correlationData"),
    (PropertyId::SubscriptionIdentifier, "subscriptionIdentifier"),
    (PropertyId::SessionExpiryInterval, "sessionExpiryInterval"),
    (
        PropertyId::AssignedClientIdentifier,
        "assignedClientIdentifier",
    ),
    (PropertyId::ServerKeepAlive, "serverKeepAlive"),
    (PropertyId::AuthenticationMethod, "authenticationMethod"),
    (PropertyId::AuthenticationData, "authenticationData"),
    (
        PropertyId::RequestProblemInformation,
        "requestProblemInformation",
    ),
    (PropertyId::WillDelayInterval, "willDelayInterval"),
    (
        PropertyId::RequestResponseInformation,
        "requestResponseInformation",
    ),
    (PropertyId::ResponseInformation, "responseInformation"),
    (PropertyId::ServerReference, "serverReference"),
    (PropertyId::ReasonString, "reasonString"),
    (PropertyId::ReceiveMaximum, "receiveMaximum"),
    (PropertyId::TopicAliasMaximum, "topicAliasMaximum"),
    (PropertyId::TopicAlias, "topicAlias"),
    (PropertyId::MaximumQoS, "maximumQoS"),
    (PropertyId::RetainAvailable, "retainAvailable"),
    (PropertyId::UserProperty, "userProperties"),
    (PropertyId::MaximumPacketSize, "maximumPacketSize"),
    (
        PropertyId::WildcardSubscriptionAvailable,
        "wildcardSubscriptionAvailable",
    ),
    (
        PropertyId::SubscriptionIdentifierAvailable,
        "subscriptionIdentifiersAvailable",
    ),
    (
        PropertyId::SharedSubscriptionAvailable,
        "sharedSubscriptionAvailable",
    ),
];

/// The name MQTT.js gives `property`.
pub fn mqttjs_name(property: PropertyId) -> &'static str {
    MQTTJS_NAMES
        .iter()
        .find(|(id, _)| *id == property)
        .map_or("?", |(_, name)| name)
}

fn property_named(name: &str) -> Option<PropertyId> {
    MQTTJS_NAMES
        .iter()
        .find(|(_, known)| *known == name)
        .map(|(id, _)| *id)
}

/// How a property's value is written in an event record, and what JS makes of it: mqtt-packet's
/// types, with its one-byte flags as booleans (MQTT.js's shape) and Maximum QoS as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchType {
    /// u8 0/1 -> boolean.
    Bool,
    U8,
    /// u16 LE.
    U16,
    /// u32 LE (four-byte and variable byte integers).
    U32,
    /// u32 length + UTF-8 -> string.
    String,
    /// u32 length + bytes -> Buffer.
    Binary,
    /// Two strings -> an entry of `userProperties`.
    Pair,
}

impl BatchType {
    pub fn of(property: PropertyId) -> Self {
        match property.wire_type() {
            WireType::Byte if property == PropertyId::MaximumQoS => BatchType::U8,
            WireType::Byte => BatchType::Bool,
            WireType::TwoByteInteger => BatchType::U16,
            WireType::FourByteInteger | WireType::VariableByteInteger => BatchType::U32,
            WireType::Utf8String => BatchType::String,
            WireType::BinaryData => BatchType::Binary,
            WireType::Utf8StringPair => BatchType::Pair,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BatchType::Bool => "bool",
            BatchType::U8 => "u8",
            BatchType::U16 => "u16",
            BatchType::U32 => "u32",
            BatchType::String => "string",
            BatchType::Binary => "binary",
            BatchType::Pair => "pair",
        }
    }
}

/// One entry of `batchFormat().properties`.
#[napi(object)]
pub struct PropertyFormat {
    pub id: u32,
    pub name: String,
    /// `bool`, `u8`, `u16`, `u32`, `string`, `binary` or `pair`.
    #[napi(js_name = "type")]
    pub batch_type: String,
}

pub fn property_formats() -> Vec<PropertyFormat> {
    MQTTJS_NAMES
        .iter()
        .map(|(id, name)| PropertyFormat {
            id: id.wire(),
            name: name.to_string(),
            batch_type: BatchType::of(*id).name().to_string(),
        })
        .collect()
}

// ---- JS -> Properties -------------------------------------------------------------------------

/// A JS value as the converter judges it: copied out of N-API by `given_from_js`.
#[derive(Debug, Clone, PartialEq)]
pub enum Given {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Buffer(Bytes),
    Array(Vec<Given>),
    /// Own enumerable string-keyed properties, in order.
    Object(Vec<(String, Given)>),
    /// A function, symbol, bigint, ... (its `typeof`), or an object nested too deep to be a property.
    Other(&'static str),
}

impl Given {
    /// The value as an error message shows it.
    fn describe(&self) -> String {
        match self {
            Given::Undefined => "undefined".into(),
            Given::Null => "null".into(),
            Given::Bool(value) => value.to_string(),
            Given::Number(value) => value.to_string(),
            Given::String(value) if value.chars().count() > 40 => "a long string".into(),
            Given::String(value) => format!("{value:?}"),
            Given::Buffer(_) => "a Buffer".into(),
            Given::Array(_) => "an array".into(),
            Given::Object(_) => "an object".into(),
            Given::Other(kind) => format!("a {kind}"),
        }
    }
}

/// Deepest nesting a property list can use: list -> userProperties -> { name: [values] } -> value.
const MAX_DEPTH: u32 = 3;

/// Copies `value` (and what it contains, to the depth a property list can use) out of JS.
pub fn given_from_js(value: Unknown<'_>) -> napi::Result<Given> {
    given_at(value, 0)
}

fn given_at(value: Unknown<'_>, depth: u32) -> napi::Result<Given> {
    // SAFETY (every `cast` below): the value's type was checked just before.
    Ok(match value.get_type()? {
        ValueType::Undefined => Given::Undefined,
        ValueType::Null => Given::Null,
        ValueType::Boolean => Given::Bool(unsafe { value.cast::<bool>()? }),
        ValueType::Number => Given::Number(unsafe { value.cast::<f64>()? }),
        ValueType::String => Given::String(unsafe { value.cast::<String>()? }),
        ValueType::Object if depth > MAX_DEPTH => Given::Other("nested object"),
        ValueType::Object if value.is_buffer()? => {
            let buffer = unsafe { value.cast::<Buffer>()? };
            Given::Buffer(Bytes::copy_from_slice(&buffer))
        }
        ValueType::Object if value.is_array()? => {
            let array = unsafe { value.cast::<Array>()? };
            let mut items = Vec::with_capacity(array.len() as usize);
            for index in 0..array.len() {
                let item = array.get_element::<Unknown>(index)?;
                items.push(given_at(item, depth + 1)?);
            }
            Given::Array(items)
        }
        ValueType::Object => Given::Object(entries_at(unsafe { value.cast::<Object>()? }, depth)?),
        ValueType::Function => Given::Other("function"),
        ValueType::Symbol => Given::Other("symbol"),
        ValueType::BigInt => Given::Other("bigint"),
        _ => Given::Other("value of an unknown type"),
    })
}

/// The own enumerable string-keyed entries of `object` (what mqtt-packet's `for...in` with
/// `hasOwnProperty` walks).
fn entries_at(object: Object<'_>, depth: u32) -> napi::Result<Vec<(String, Given)>> {
    // `for...in`'s names (enumerable, string keys, the prototype chain's too), then own ones only.
    let names = Object::keys(&object)?;
    let mut entries = Vec::with_capacity(names.len());
    for name in names {
        if !object.has_own_property(&name)? {
            continue;
        }
        let value = object.get_named_property::<Unknown>(&name)?;
        let value = given_at(value, depth + 1)?;
        entries.push((name, value));
    }
    Ok(entries)
}

/// A JS `properties` argument that may be absent: `undefined`/`null` is no list.
pub fn optional_properties_from_js(
    value: Option<Unknown<'_>>,
    context: PropertyContext,
    what: &str,
) -> napi::Result<PacketProperties> {
    let Some(value) = value else {
        return Ok(PacketProperties::NONE);
    };
    let given = given_from_js(value)?;
    properties_from_given(&given, context, what).map_err(invalid_arg)
}

pub fn invalid_arg(message: String) -> napi::Error {
    napi::Error::new(napi::Status::InvalidArg, message)
}

/// Judges a JS properties object for a packet's list (`context`); `what` names it in errors
/// ("properties", "will.properties", ...). `undefined`/`null` is no list; a property whose value is
/// `undefined`/`null` is left out (as mqtt-packet does).
pub fn properties_from_given(
    given: &Given,
    context: PropertyContext,
    what: &str,
) -> Result<PacketProperties, String> {
    let entries = match given {
        Given::Undefined | Given::Null => return Ok(PacketProperties::NONE),
        Given::Object(entries) => entries,
        other => {
            return Err(format!(
                "Invalid {what}: must be an object, got {}",
                other.describe()
            ))
        }
    };
    let mut properties = Properties::default();
    for (name, value) in entries {
        if matches!(value, Given::Undefined | Given::Null) {
            continue;
        }
        let property = property_named(name)
            .ok_or_else(|| format!("Invalid {what}.{name}: not an MQTT 5 property"))?;
        set(&mut properties, property, value)
            .map_err(|problem| format!("Invalid {what}.{name}: {problem}"))?;
    }
    properties
        .validate(context)
        .map_err(|error| describe_property_error(&error, what))?;
    Ok(PacketProperties::new(properties))
}

/// The codec's verdict, naming the property as the application did.
fn describe_property_error(error: &PropertyError, what: &str) -> String {
    let property = match &error.kind {
        PropertyErrorKind::NotAllowed(property)
        | PropertyErrorKind::Duplicate(property)
        | PropertyErrorKind::InvalidValue { property, .. }
        | PropertyErrorKind::InvalidUtf8(property)
        | PropertyErrorKind::NullCharacter(property)
        | PropertyErrorKind::TooLong { property, .. } => Some(*property),
        PropertyErrorKind::InvalidResponseTopic(_) => Some(PropertyId::ResponseTopic),
        PropertyErrorKind::AuthenticationDataWithoutMethod => Some(PropertyId::AuthenticationData),
        PropertyErrorKind::MissingAuthenticationMethod => Some(PropertyId::AuthenticationMethod),
        _ => None,
    };
    match property {
        Some(property) => format!("Invalid {what}.{}: {error}", mqttjs_name(property)),
        None => format!("Invalid {what}: {error}"),
    }
}

/// Stores `value` as `property`'s, or says what is wrong with it (the caller adds the name).
fn set(properties: &mut Properties, property: PropertyId, value: &Given) -> Result<(), String> {
    use PropertyId as P;
    match property {
        P::PayloadFormatIndicator => properties.payload_format_indicator = Some(flag(value)?),
        P::MessageExpiryInterval => properties.message_expiry_interval = Some(u32_of(value)?),
        P::ContentType => properties.content_type = Some(text(value)?.into()),
        P::ResponseTopic => properties.response_topic = Some(text(value)?.into()),
        P::CorrelationData => properties.correlation_data = Some(binary(value)?),
        P::SubscriptionIdentifier => {
            properties.subscription_identifiers = match value {
                Given::Array(items) => items.iter().map(u32_of).collect::<Result<_, _>>()?,
                single => vec![u32_of(single)?],
            }
        }
        P::SessionExpiryInterval => properties.session_expiry_interval = Some(u32_of(value)?),
        P::AssignedClientIdentifier => {
            properties.assigned_client_identifier = Some(text(value)?.into())
        }
        P::ServerKeepAlive => properties.server_keep_alive = Some(u16_of(value)?),
        P::AuthenticationMethod => properties.authentication_method = Some(text(value)?.into()),
        P::AuthenticationData => properties.authentication_data = Some(binary(value)?),
        P::RequestProblemInformation => properties.request_problem_information = Some(flag(value)?),
        P::WillDelayInterval => properties.will_delay_interval = Some(u32_of(value)?),
        P::RequestResponseInformation => {
            properties.request_response_information = Some(flag(value)?)
        }
        P::ResponseInformation => properties.response_information = Some(text(value)?.into()),
        P::ServerReference => properties.server_reference = Some(text(value)?.into()),
        P::ReasonString => properties.reason_string = Some(text(value)?.into()),
        P::ReceiveMaximum => properties.receive_maximum = Some(u16_of(value)?),
        P::TopicAliasMaximum => properties.topic_alias_maximum = Some(u16_of(value)?),
        P::TopicAlias => properties.topic_alias = Some(u16_of(value)?),
        P::MaximumQoS => {
            let level = integer(value, u8::MAX.into())?;
            properties.maximum_qos = Some(
                QoS::from_u8(level as u8)
                    .filter(|qos| *qos != QoS::ExactlyOnce)
                    .ok_or_else(|| format!("must be 0 or 1, got {level}"))?,
            )
        }
        P::RetainAvailable => properties.retain_available = Some(flag(value)?),
        P::UserProperty => properties.user_properties = user_properties(value)?,
        P::MaximumPacketSize => properties.maximum_packet_size = Some(u32_of(value)?),
        P::WildcardSubscriptionAvailable => {
            properties.wildcard_subscription_available = Some(flag(value)?)
        }
        P::SubscriptionIdentifierAvailable => {
            properties.subscription_identifier_available = Some(flag(value)?)
        }
        P::SharedSubscriptionAvailable => {
            properties.shared_subscription_available = Some(flag(value)?)
        }
    }
    Ok(())
}

fn flag(value: &Given) -> Result<bool, String> {
    match value {
        Given::Bool(value) => Ok(*value),
        other => Err(format!("must be a boolean, got {}", other.describe())),
    }
}

/// A whole number from 0 to `max`.
fn integer(value: &Given, max: u32) -> Result<u32, String> {
    match value {
        Given::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n <= f64::from(max) => Ok(*n as u32),
        other => Err(format!(
            "must be an integer from 0 to {max}, got {}",
            other.describe()
        )),
    }
}

fn u16_of(value: &Given) -> Result<u16, String> {
    integer(value, u16::MAX.into()).map(|n| n as u16)
}

fn u32_of(value: &Given) -> Result<u32, String> {
    integer(value, u32::MAX)
}

fn text(value: &Given) -> Result<&str, String> {
    match value {
        Given::String(text) => Ok(text),
        other => Err(format!("must be a string, got {}", other.describe())),
    }
}

/// Binary data: a Buffer, or a string's UTF-8 bytes (mqtt-packet writes either).
fn binary(value: &Given) -> Result<Bytes, String> {
    match value {
        Given::Buffer(bytes) => Ok(bytes.clone()),
        Given::String(text) => Ok(Bytes::copy_from_slice(text.as_bytes())),
        other => Err(format!(
            "must be a Buffer or a string, got {}",
            other.describe()
        )),
    }
}

/// `{ name: value | [values] }`; numbers and booleans become their text, as mqtt-packet's
/// `toString()` makes them.
fn user_properties(
    value: &Given,
) -> Result<Vec<(engine::codec::SharedStr, engine::codec::SharedStr)>, String> {
    let Given::Object(entries) = value else {
        return Err(format!(
            "must be an object of names to strings, got {}",
            value.describe()
        ));
    };
    let mut pairs = Vec::with_capacity(entries.len());
    for (name, value) in entries {
        let values = match value {
            Given::Array(items) => items.as_slice(),
            single => std::slice::from_ref(single),
        };
        for item in values {
            let text = match item {
                Given::String(text) => text.clone(),
                Given::Number(n) => n.to_string(),
                Given::Bool(b) => b.to_string(),
                other => {
                    return Err(format!(
                        "{name:?} must be a string or an array of strings, got {}",
                        other.describe()
                    ))
                }
            };
            pairs.push((name.as_str().into(), text.into()));
        }
    }
    Ok(pairs)
}

// ---- Properties -> event record ------------------------------------------------------------------

/// Writes a property list into an event record: `u32 count` (0: the packet had none; a u32, as a
/// packet may hold more than 65,535 user properties), then each
/// property as `u8 id` and its value by `BatchType`, in wire order (user properties and
/// subscription identifiers each in theirs).
pub fn put_properties(out: &mut Vec<u8>, properties: &PacketProperties) {
    put_property_list(out, properties.get());
}

/// `put_properties` for a list held inline (AUTH's).
pub fn put_property_list(out: &mut Vec<u8>, list: Option<&Properties>) {
    let Some(list) = list else {
        out.extend_from_slice(&0u32.to_le_bytes());
        return;
    };
    let count_at = out.len();
    out.extend_from_slice(&0u32.to_le_bytes());
    let mut count: u32 = 0;
    let _ = list.for_each(|property, value| {
        count += 1;
        out.push(property.wire() as u8);
        match value {
            PropertyValue::Byte(byte) => out.push(byte),
            PropertyValue::TwoByteInteger(n) => out.extend_from_slice(&n.to_le_bytes()),
            PropertyValue::FourByteInteger(n) | PropertyValue::VariableByteInteger(n) => {
                out.extend_from_slice(&n.to_le_bytes())
            }
            PropertyValue::Utf8String(text) => put_bytes(out, text.as_bytes()),
            PropertyValue::BinaryData(data) => put_bytes(out, data),
            PropertyValue::Utf8StringPair(name, value) => {
                put_bytes(out, name.as_bytes());
                put_bytes(out, value.as_bytes());
            }
        }
        Ok::<(), ()>(())
    });
    out[count_at..count_at + 4].copy_from_slice(&count.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests;

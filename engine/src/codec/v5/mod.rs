//! MQTT 5.0 building blocks for the packet codec: property lists, reason codes, the AUTH packet's body.
//! The packet readers and writers (`decode.rs`, `encode.rs`) call these at the points below; nothing here
//! knows about the fixed header or the packet structs.
//!
//! # Where property lists sit
//!
//! A property list is a Property Length (variable byte integer) and the properties; an empty list is the
//! single byte 0 [MQTT-2.2.2-1]. `Properties::decode(&mut body, context)` takes one from the front of the
//! unread body, `Properties::encode` writes one. In each packet (section 3.x.2 = variable header):
//!
//! | packet | variable header, in order | payload |
//! |---|---|---|
//! | CONNECT | protocol name, level 5, flags, keep alive, **properties** | client id, (**will properties**, will topic, will payload), user name, password |
//! | CONNACK | flags, **reason code**, **properties** | none |
//! | PUBLISH | topic, packet id (QoS > 0), **properties** | payload |
//! | PUBACK, PUBREC, PUBREL, PUBCOMP | packet id, **reason code**, **properties** | none |
//! | SUBSCRIBE | packet id, **properties** | (filter, options byte) pairs |
//! | SUBACK | packet id, **properties** | one **reason code** per filter |
//! | UNSUBSCRIBE | packet id, **properties** | filters |
//! | UNSUBACK | packet id, **properties** | one **reason code** per filter (new in 5.0) |
//! | DISCONNECT | **reason code**, **properties** | none |
//! | AUTH | **reason code**, **properties** ([`Auth`]) | none |
//!
//! Short forms the readers must accept: PUBACK/PUBREC/PUBREL/PUBCOMP with remaining length 2 mean reason
//! code 0x00 and no properties, with remaining length 3 a reason code and no properties (sections
//! 3.4.2.1 ff.); DISCONNECT with remaining length 0 means 0x00 and no properties, 1 a reason code alone
//! (3.14.2.1); AUTH with remaining length 0 means 0x00 and no properties (3.15.2.1). A writer may use the
//! short forms when the reason code is 0x00 and the list is empty (the packet encoder does). So the fixed
//! sizes of 3.x become minimums for these types in 5.0 (`PacketType::remaining_len_rule`; CONNACK: 3, the
//! property length being required there).
//!
//! Other 5.0 changes to the existing layouts: SUBSCRIBE options use bits 2-5 (No Local, Retain As
//! Published, Retain Handling 0-2; 3 is a Protocol Error) and keep 6-7 reserved [MQTT-3.8.3-5]; a password
//! without a user name is allowed; CONNACK's return code becomes a reason code (table 3-1).
//!
//! # Reason codes
//!
//! [`ReasonCode::is_valid_for`] decides whether a received code is one the packet may carry (the sender
//! must use one [MQTT-3.4.2-1] etc.; another is a Protocol Error), [`ReasonCode::name_on`] names it, and
//! [`ReasonCode::mqttjs_text`] gives MQTT.js's wording for `ErrorWithReasonCode` messages.
//!
//! # Errors
//!
//! [`PropertyError`] says what was wrong, cites the statement and gives the reason code a client
//! disconnects with (`reason_code()`: Malformed Packet 0x81, Protocol Error 0x82, or Topic Alias invalid
//! 0x94) [MQTT-4.13.1-1]. The packet decoder wraps it in its own error with the packet type.

mod auth;
mod error;
mod packet_kind;
mod properties;
mod property_id;
mod reason_codes;
mod var_int;

pub use auth::{Auth, AuthError};
pub use error::{PropertyError, PropertyErrorKind};
pub use packet_kind::{PacketKind, PropertyContext};
pub use properties::{Properties, Value as PropertyValue};
pub use property_id::{PropertyId, ValueRule, WireType};
pub use reason_codes::ReasonCode;
pub use var_int::MAX as MAX_VAR_INT;

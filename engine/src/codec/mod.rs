//! Pure MQTT wire format: bytes in, packets out. No I/O.
//!
//! `decode` and `encode` are the whole interface; the packet structs are version-neutral and the per-version
//! wire rules live in one reader and one writer function per packet type. `validate_topic_name` and
//! `validate_topic_filter` are exported for outbound checks, which `encode` does not make. `random`
//! (tests, and the `testing` feature for `fuzz/`) generates valid packets for property tests.

mod decode;
mod encode;
mod error;
mod fixed_header;
mod packet;
mod packet_type;
mod reader;
mod shared_str;
mod topic;
pub mod v5;

#[cfg(test)]
mod fixtures;
#[cfg(any(test, feature = "testing"))]
pub mod random;
#[cfg(test)]
mod tests;

pub use decode::{decode, next_packet_len};
pub use encode::{encode, encode_detached, encoded_len, publish_encoded_len};
pub use error::{
    DecodeError, EncodeError, Field, TopicError, MAX_PACKET_SIZE, MAX_PAYLOAD_ANY_TOPIC,
    MAX_REMAINING_LEN,
};
pub use packet::*;
pub use packet_type::PacketType;
pub use shared_str::SharedStr;
pub use topic::{validate_topic_filter, validate_topic_name};

//! Pure MQTT wire format: bytes in, packets out. No I/O.

mod packet;

pub use packet::*;

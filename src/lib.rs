//! mqtt-napi: an MQTT client engine for Node.js.
//!
//! Layers, each importing only the ones before it:
//! `codec` (wire format) <- `session` (protocol state machine) <-
//! `connection` (the tokio task) -> `transport` (TCP/TLS), and `binding`,
//! the only module that touches N-API.

pub mod binding;
pub mod codec;
pub mod connection;
pub mod session;
pub mod transport;

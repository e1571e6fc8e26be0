//! The protocol engine of mqtt-napi: everything but the N-API binding.
//!
//! Layers, each importing only the ones before it:
//! `codec` (wire format) <- `session` (protocol state machine) <-
//! `connection` (the tokio task) -> `transport` (TCP/TLS/Unix sockets).
//! The Node.js addon (the repository's root crate) is the only code that touches N-API;
//! this crate does not depend on it, so fuzzing and benchmarks link the engine alone.

pub mod codec;
pub mod connection;
pub mod session;
pub mod transport;

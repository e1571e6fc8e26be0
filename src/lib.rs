//! mqtt-napi: the Node.js addon. N-API bindings (`binding`) over the protocol engine
//! (`engine/`, crate `mqtt-napi-engine`), which holds the codec, session, connection task and
//! transports and has no N-API dependency.

pub mod binding;

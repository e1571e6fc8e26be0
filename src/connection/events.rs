//! What the connection task tells the JS side, and what it takes from it.

use crate::session::{Command, Event};

/// An error as JS will see it: `err.message` and, where Node or MQTT.js set
/// one, `err.code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    pub message: String,
    pub code: Option<ErrorCode>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCode {
    /// Node-style string codes (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, ...).
    Text(String),
    /// MQTT return codes (MQTT.js sets `err.code` to the CONNACK return code).
    Number(u32),
}

impl ClientError {
    pub fn new(message: impl Into<String>) -> Self {
        ClientError {
            message: message.into(),
            code: None,
        }
    }

    pub fn with_code(message: impl Into<String>, code: ErrorCode) -> Self {
        ClientError {
            message: message.into(),
            code: Some(code),
        }
    }
}

/// One entry of the ordered event stream; the order is the order MQTT.js emits in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    Session(Event),
    Reconnect,
    Offline,
    Close,
    Error(ClientError),
    /// The task has finished for good; no event follows.
    Terminated,
}

#[derive(Debug)]
pub enum ClientCommand {
    Session(Command),
    /// `client.end(force)`: graceful waits for in-flight exchanges, then DISCONNECT.
    End {
        force: bool,
    },
}

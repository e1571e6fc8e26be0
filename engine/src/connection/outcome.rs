//! How a connection attempt ended, and the session's and transport's errors
//! mapped to what JS sees.

use super::{ClientError, ErrorCode};
use crate::session::SessionError;
use crate::transport;

/// How a connection ended.
#[derive(Debug)]
pub enum AttemptOutcome {
    /// `end()` (or the JS handle went away).
    Ended { transport_was_open: bool },
    /// CONNACK refused the connection: no reconnect.
    Refused(ClientError),
    /// The socket failed (connect, read or write).
    TransportError(ClientError),
    /// The session gave up on the link (timeouts, protocol violations).
    SessionError(ClientError),
    /// The broker closed the connection.
    Closed,
    /// `reconnect()` asked for a fresh connection.
    ReconnectRequested { transport_was_open: bool },
    /// The application gave up on the connection (`ClientCommand::AbortConnection`); its
    /// DISCONNECT, if any, has been written. Then as `Closed`.
    Aborted,
}

pub(super) fn session_outcome(error: SessionError) -> AttemptOutcome {
    match error {
        SessionError::ConnectionRefused(code) => AttemptOutcome::Refused(ClientError::with_code(
            error.to_string(),
            ErrorCode::Number(u32::from(code.byte())),
        )),
        SessionError::Protocol(ref violation) => {
            let code = match violation.reason_code() {
                Some(reason) => ErrorCode::Number(u32::from(reason)),
                None => ErrorCode::Text("ERR_MQTT_PROTOCOL".into()),
            };
            AttemptOutcome::SessionError(ClientError::with_code(error.to_string(), code))
        }
        other => AttemptOutcome::SessionError(ClientError::new(other.to_string())),
    }
}

pub(super) fn transport_error(error: transport::TransportError) -> ClientError {
    let code = error.code().map(|c| ErrorCode::Text(c.to_string()));
    ClientError {
        message: error.message(),
        code,
        syscall: error.syscall_info().cloned().map(Box::new),
    }
}

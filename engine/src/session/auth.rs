//! MQTT 5 enhanced authentication (section 4.12): which AUTH packets the broker may send us, and
//! the ones we send.
//!
//! A CONNECT that names an Authentication Method opens an exchange: until CONNACK the broker may
//! answer with AUTH "Continue authentication" (0x18), which the application answers (MQTT.js's
//! `handleAuth`) with AUTH 0x18 of its own; the connect timeout keeps running meanwhile. Once
//! connected, we may start a re-authentication (AUTH 0x19), which the broker continues with 0x18
//! or ends with 0x00 (or refuses with DISCONNECT). Every AUTH carries the CONNECT's method
//! [MQTT-4.12.0-5]. An AUTH at any other time, with another method, or with 0x19 (only a client sends
//! that) is a Protocol Error.

use super::error::ProtocolViolation;
use crate::codec::v5::{Auth, ReasonCode};
use crate::codec::SharedStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exchange {
    /// No AUTH may arrive.
    None,
    /// CONNECT went out with a method; CONNACK has not come yet.
    Connecting,
    /// We sent AUTH 0x19; the broker has not said Success yet.
    Reauthenticating,
}

#[derive(Debug)]
pub(super) struct Authentication {
    /// The CONNECT's Authentication Method; `None`: no enhanced authentication.
    method: Option<SharedStr>,
    exchange: Exchange,
}

impl Authentication {
    pub(super) fn new(method: Option<SharedStr>) -> Self {
        Authentication {
            method,
            exchange: Exchange::None,
        }
    }

    /// CONNECT is going out: with a method, the broker may now challenge us.
    pub(super) fn on_connect_sent(&mut self) {
        self.exchange = if self.method.is_some() {
            Exchange::Connecting
        } else {
            Exchange::None
        };
    }

    /// CONNACK accepted the connection, or the connection is gone: whatever exchange ran is over.
    pub(super) fn on_exchange_over(&mut self) {
        self.exchange = Exchange::None;
    }

    /// Checks an AUTH from the broker; on success the application is to see it.
    pub(super) fn on_received(&mut self, auth: &Auth) -> Result<(), ProtocolViolation> {
        let Some(method) = &self.method else {
            return Err(ProtocolViolation::UnexpectedAuth);
        };
        if self.exchange == Exchange::None {
            return Err(ProtocolViolation::UnexpectedAuth);
        }
        if auth.properties.authentication_method.as_ref() != Some(method) {
            return Err(ProtocolViolation::AuthMethodMismatch {
                expected: method.to_string(),
            });
        }
        match auth.reason_code {
            ReasonCode::CONTINUE_AUTHENTICATION => Ok(()),
            // Success ends a re-authentication; before CONNACK it is CONNACK's to say, but MQTT.js
            // hands such an AUTH to `handleAuth` too, and it does no harm.
            ReasonCode::SUCCESS => {
                if self.exchange == Exchange::Reauthenticating {
                    self.exchange = Exchange::None;
                }
                Ok(())
            }
            other => Err(ProtocolViolation::AuthReasonCode(other.0)),
        }
    }

    /// The application's answer to a challenge: an AUTH with the CONNECT's method (filled in when
    /// the application left it out). `None` when no exchange is under way to answer in.
    pub(super) fn answer(&self, mut auth: Auth) -> Option<Auth> {
        if self.exchange == Exchange::None {
            return None;
        }
        self.fill_method(&mut auth);
        Some(auth)
    }

    /// Starts a re-authentication (reason code 0x19), when the CONNECT named a method and no
    /// exchange is under way; the caller sends it only while connected.
    pub(super) fn reauthenticate(&mut self, mut auth: Auth) -> Option<Auth> {
        if self.method.is_none() || self.exchange != Exchange::None {
            return None;
        }
        auth.reason_code = ReasonCode::RE_AUTHENTICATE;
        self.fill_method(&mut auth);
        self.exchange = Exchange::Reauthenticating;
        Some(auth)
    }

    fn fill_method(&self, auth: &mut Auth) {
        if auth.properties.authentication_method.is_none() {
            auth.properties.authentication_method = self.method.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::v5::Properties;

    fn auth(code: ReasonCode, method: Option<&str>) -> Auth {
        Auth {
            reason_code: code,
            properties: Properties {
                authentication_method: method.map(SharedStr::from),
                ..Properties::default()
            },
        }
    }

    #[test]
    fn without_a_method_in_connect_any_auth_is_a_protocol_error() {
        let mut auth_state = Authentication::new(None);
        auth_state.on_connect_sent();
        let error = auth_state
            .on_received(&auth(ReasonCode::CONTINUE_AUTHENTICATION, Some("x")))
            .unwrap_err();
        assert_eq!(error, ProtocolViolation::UnexpectedAuth);
        assert_eq!(error.disconnect_reason_code(), ReasonCode::PROTOCOL_ERROR);
        assert!(auth_state
            .reauthenticate(auth(ReasonCode::SUCCESS, None))
            .is_none());
    }

    #[test]
    fn a_challenge_during_connect_is_accepted_and_answered_with_the_connect_method() {
        let mut auth_state = Authentication::new(Some("SCRAM".into()));
        auth_state.on_connect_sent();
        auth_state
            .on_received(&auth(ReasonCode::CONTINUE_AUTHENTICATION, Some("SCRAM")))
            .unwrap();
        let answer = auth_state
            .answer(auth(ReasonCode::CONTINUE_AUTHENTICATION, None))
            .unwrap();
        assert_eq!(
            answer.properties.authentication_method.as_deref(),
            Some("SCRAM")
        );
        auth_state.on_exchange_over();
        // Connected, no re-authentication asked for: an AUTH now is unexpected, an answer goes nowhere.
        assert_eq!(
            auth_state.on_received(&auth(ReasonCode::CONTINUE_AUTHENTICATION, Some("SCRAM"))),
            Err(ProtocolViolation::UnexpectedAuth)
        );
        assert!(auth_state
            .answer(auth(ReasonCode::CONTINUE_AUTHENTICATION, None))
            .is_none());
    }

    #[test]
    fn another_method_or_a_client_only_reason_code_is_a_protocol_error() {
        let mut auth_state = Authentication::new(Some("SCRAM".into()));
        auth_state.on_connect_sent();
        assert_eq!(
            auth_state.on_received(&auth(ReasonCode::CONTINUE_AUTHENTICATION, Some("OTHER"))),
            Err(ProtocolViolation::AuthMethodMismatch {
                expected: "SCRAM".into()
            })
        );
        assert!(matches!(
            auth_state.on_received(&auth(ReasonCode::CONTINUE_AUTHENTICATION, None)),
            Err(ProtocolViolation::AuthMethodMismatch { .. })
        ));
        assert_eq!(
            auth_state.on_received(&auth(ReasonCode::RE_AUTHENTICATE, Some("SCRAM"))),
            Err(ProtocolViolation::AuthReasonCode(0x19))
        );
    }

    #[test]
    fn reauthentication_sends_0x19_and_ends_with_the_broker_s_success() {
        let mut auth_state = Authentication::new(Some("SCRAM".into()));
        auth_state.on_connect_sent();
        auth_state.on_exchange_over();
        let sent = auth_state
            .reauthenticate(auth(ReasonCode::SUCCESS, None))
            .unwrap();
        assert_eq!(sent.reason_code, ReasonCode::RE_AUTHENTICATE);
        assert_eq!(
            sent.properties.authentication_method.as_deref(),
            Some("SCRAM")
        );
        // One at a time.
        assert!(auth_state
            .reauthenticate(auth(ReasonCode::SUCCESS, None))
            .is_none());
        auth_state
            .on_received(&auth(ReasonCode::CONTINUE_AUTHENTICATION, Some("SCRAM")))
            .unwrap();
        auth_state
            .on_received(&auth(ReasonCode::SUCCESS, Some("SCRAM")))
            .unwrap();
        assert_eq!(
            auth_state.on_received(&auth(ReasonCode::SUCCESS, Some("SCRAM"))),
            Err(ProtocolViolation::UnexpectedAuth)
        );
        assert!(auth_state
            .reauthenticate(auth(ReasonCode::SUCCESS, None))
            .is_some());
    }
}

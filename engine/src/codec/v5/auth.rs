//! The AUTH packet's body (section 3.15): a reason code and properties, for enhanced authentication
//! (challenge/response during CONNECT, and re-authentication later). The fixed header (type 15, flags 0
//! [MQTT-3.15.1-1], remaining length) stays with the packet codec, which hands the body here.

use std::fmt;

use bytes::{BufMut, Bytes};

use super::error::PropertyError;
use super::packet_kind::{PacketKind, PropertyContext};
use super::properties::Properties;
use super::reason_codes::ReasonCode;

const CONTEXT: PropertyContext = PropertyContext::Packet(PacketKind::Auth);

/// An AUTH packet: Success (0x00), Continue authentication (0x18) or Re-authenticate (0x19), with the
/// Authentication Method (required) and Data, a Reason String and user properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    pub reason_code: ReasonCode,
    pub properties: Properties,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// Not one of the three AUTH reason codes [MQTT-3.15.2-1].
    InvalidReasonCode(u8),
    Properties(PropertyError),
    /// Bytes after the property list, inside the remaining length.
    TrailingBytes(usize),
}

impl AuthError {
    pub fn spec_ref(&self) -> &'static str {
        match self {
            AuthError::InvalidReasonCode(_) => "MQTT-3.15.2-1",
            AuthError::Properties(error) => error.spec_ref(),
            AuthError::TrailingBytes(_) => "MQTT 5.0 §3.15.2",
        }
    }

    /// The reason code a receiver disconnects with (section 4.13).
    pub fn reason_code(&self) -> ReasonCode {
        match self {
            AuthError::InvalidReasonCode(_) => ReasonCode::PROTOCOL_ERROR,
            AuthError::Properties(error) => error.reason_code(),
            AuthError::TrailingBytes(_) => ReasonCode::MALFORMED_PACKET,
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::InvalidReasonCode(code) => write!(
                f,
                "invalid AUTH reason code {code:#04x} (must be 0x00, 0x18 or 0x19) [{}]",
                self.spec_ref()
            ),
            AuthError::Properties(error) => error.fmt(f),
            AuthError::TrailingBytes(count) => write!(
                f,
                "AUTH has {count} unexpected bytes after its properties [{}]",
                self.spec_ref()
            ),
        }
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuthError::Properties(error) => Some(error),
            _ => None,
        }
    }
}

impl From<PropertyError> for AuthError {
    fn from(error: PropertyError) -> Self {
        AuthError::Properties(error)
    }
}

impl Auth {
    /// Decodes an AUTH body (everything after the fixed header). An empty body is the short form of
    /// Success without properties (section 3.15.2.1); otherwise the reason code and a property list that
    /// names the Authentication Method (section 3.15.2.2.2) must follow, and nothing after it.
    pub fn decode_body(mut body: Bytes) -> Result<Auth, AuthError> {
        let Some(&code) = body.first() else {
            return Ok(Auth {
                reason_code: ReasonCode::SUCCESS,
                properties: Properties::default(),
            });
        };
        let reason_code = ReasonCode(code);
        if !reason_code.is_valid_for(PacketKind::Auth) {
            return Err(AuthError::InvalidReasonCode(code));
        }
        let _ = body.split_to(1);
        let properties = Properties::decode(&mut body, CONTEXT)?;
        if !body.is_empty() {
            return Err(AuthError::TrailingBytes(body.len()));
        }
        Ok(Auth {
            reason_code,
            properties,
        })
    }

    /// Checks that this AUTH can be sent; `encode_body` assumes it passed.
    pub fn validate(&self) -> Result<(), AuthError> {
        if !self.reason_code.is_valid_for(PacketKind::Auth) {
            return Err(AuthError::InvalidReasonCode(self.reason_code.0));
        }
        if self.is_short_form() {
            return Ok(());
        }
        Ok(self.properties.validate(CONTEXT)?)
    }

    /// Success without properties is sent as an empty body.
    fn is_short_form(&self) -> bool {
        self.reason_code == ReasonCode::SUCCESS && self.properties.is_empty()
    }

    /// The remaining length of this AUTH.
    pub fn body_len(&self) -> usize {
        if self.is_short_form() {
            0
        } else {
            1 + self.properties.encoded_len()
        }
    }

    /// Appends the body (`body_len` bytes).
    pub fn encode_body(&self, out: &mut impl BufMut) {
        if self.is_short_form() {
            return;
        }
        out.put_u8(self.reason_code.0);
        self.properties.encode(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::v5::PropertyErrorKind;

    fn method(name: &str) -> Properties {
        Properties {
            authentication_method: Some(name.into()),
            ..Properties::default()
        }
    }

    #[test]
    fn an_empty_body_is_success_without_properties_both_ways() {
        let auth = Auth::decode_body(Bytes::new()).unwrap();
        assert_eq!(auth.reason_code, ReasonCode::SUCCESS);
        assert!(auth.properties.is_empty());
        assert_eq!(auth.validate(), Ok(()));
        assert_eq!(auth.body_len(), 0);
        let mut out = Vec::new();
        auth.encode_body(&mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn continue_authentication_with_method_and_data_matches_the_wire_and_round_trips() {
        let wire: &[u8] = &[
            0x18, // Continue authentication
            13,   // property length
            0x15, 0, 5, b'S', b'C', b'R', b'A', b'M', // Authentication Method "SCRAM"
            0x16, 0, 2, 0xDE, 0xAD, // Authentication Data
        ];
        let auth = Auth::decode_body(Bytes::from_static(wire)).unwrap();
        let expected = Auth {
            reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
            properties: Properties {
                authentication_data: Some(Bytes::from_static(&[0xDE, 0xAD])),
                ..method("SCRAM")
            },
        };
        assert_eq!(auth, expected);
        assert_eq!(expected.validate(), Ok(()));
        assert_eq!(expected.body_len(), wire.len());
        let mut out = Vec::new();
        expected.encode_body(&mut out);
        assert_eq!(out, wire);
    }

    #[test]
    fn every_auth_reason_code_round_trips_and_others_are_refused() {
        for code in 0..=255u8 {
            let auth = Auth {
                reason_code: ReasonCode(code),
                properties: method("m"),
            };
            let mut out = Vec::new();
            let valid = matches!(code, 0x00 | 0x18 | 0x19);
            if valid {
                assert_eq!(auth.validate(), Ok(()));
                auth.encode_body(&mut out);
                assert_eq!(Auth::decode_body(Bytes::from(out)), Ok(auth));
            } else {
                assert_eq!(auth.validate(), Err(AuthError::InvalidReasonCode(code)));
                let body = Bytes::from(vec![code, 4, 0x15, 0, 1, b'm']);
                let error = Auth::decode_body(body).unwrap_err();
                assert_eq!(error, AuthError::InvalidReasonCode(code));
                assert_eq!(
                    error.to_string(),
                    format!("invalid AUTH reason code {code:#04x} (must be 0x00, 0x18 or 0x19) [MQTT-3.15.2-1]")
                );
                assert_eq!(error.reason_code(), ReasonCode::PROTOCOL_ERROR);
            }
        }
    }

    #[test]
    fn a_reason_code_without_a_property_length_is_truncated() {
        // Only the whole variable header may be left out, not the Property Length alone.
        let error = Auth::decode_body(Bytes::from_static(&[0x18])).unwrap_err();
        assert_eq!(
            error,
            AuthError::Properties(PropertyError::new(CONTEXT, PropertyErrorKind::Truncated))
        );
        assert_eq!(error.reason_code(), ReasonCode::MALFORMED_PACKET);
    }

    #[test]
    fn the_authentication_method_is_required_both_ways() {
        let missing = PropertyError::new(CONTEXT, PropertyErrorKind::MissingAuthenticationMethod);
        assert_eq!(
            Auth::decode_body(Bytes::from_static(&[0x19, 0])),
            Err(AuthError::Properties(missing.clone()))
        );
        let auth = Auth {
            reason_code: ReasonCode::RE_AUTHENTICATE,
            properties: Properties::default(),
        };
        assert_eq!(auth.validate(), Err(AuthError::Properties(missing.clone())));
        assert_eq!(
            missing.to_string(),
            "AUTH properties without Authentication Method [MQTT 5.0 §3.15.2.2]"
        );
        assert_eq!(missing.reason_code(), ReasonCode::PROTOCOL_ERROR);
    }

    #[test]
    fn bytes_after_the_properties_are_refused() {
        let error =
            Auth::decode_body(Bytes::from_static(&[0x18, 4, 0x15, 0, 1, b'm', 0xFF])).unwrap_err();
        assert_eq!(error, AuthError::TrailingBytes(1));
        assert_eq!(
            error.to_string(),
            "AUTH has 1 unexpected bytes after its properties [MQTT 5.0 §3.15.2]"
        );
    }

    #[test]
    fn properties_not_allowed_on_auth_are_refused() {
        // Topic Alias (0x23) on AUTH.
        let error = Auth::decode_body(Bytes::from_static(&[0x18, 7, 0x15, 0, 1, b'm', 0x23, 0, 1]))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "Topic Alias (0x23) is not allowed in AUTH properties [MQTT 5.0 §2.2.2.2]"
        );
    }
}

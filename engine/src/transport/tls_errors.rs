//! rustls errors -> the `err.code` / `err.message` pairs Node's `tls` module (OpenSSL) gives for the
//! same situation, so code written against MQTT.js (`if (err.code === 'CERT_HAS_EXPIRED')`) keeps working.

use std::ffi::c_int;

use tokio_rustls::rustls::{AlertDescription, CertificateError, Error as TlsError, InvalidMessage};

use super::error::TransportError;
use super::tls_verify::CertRejection;

pub(crate) fn from_rustls(err: &TlsError) -> TransportError {
    match err {
        TlsError::InvalidCertificate(cert_err) => from_certificate_error(cert_err),
        TlsError::AlertReceived(alert) => from_alert(*alert),
        // Not TLS on the other end (e.g. a plain MQTT or HTTP port): OpenSSL's words for it.
        TlsError::InvalidMessage(InvalidMessage::InvalidContentType)
        | TlsError::InvalidMessage(InvalidMessage::UnknownProtocolVersion) => {
            TransportError::new("ERR_SSL_WRONG_VERSION_NUMBER", "wrong version number")
        }
        TlsError::PeerSentOversizedRecord => {
            TransportError::new("ERR_SSL_PACKET_LENGTH_TOO_LONG", "packet length too long")
        }
        TlsError::DecryptError => TransportError::new(
            "ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC",
            "decryption failed or bad record mac",
        ),
        other => TransportError::new("ERR_SSL_PROTOCOL_ERROR", other.to_string()),
    }
}

/// Our verifiers reject a certificate with a [`CertRejection`] that already holds Node's code and
/// message; anything else rustls itself may say about a certificate gets a generic code.
fn from_certificate_error(err: &CertificateError) -> TransportError {
    if let CertificateError::Other(other) = err {
        if let Some(rejection) = other.0.downcast_ref::<CertRejection>() {
            return TransportError::new(rejection.code, rejection.message.clone());
        }
    }
    match err {
        // A handshake signature that does not verify with the certificate's key (OpenSSL's words).
        CertificateError::BadSignature => {
            TransportError::new("ERR_SSL_BAD_SIGNATURE", "bad signature")
        }
        _ => TransportError::new("CERT_REJECTED", format!("certificate rejected: {err}")),
    }
}

/// Node's `err.code` and `err.message` for an OpenSSL certificate verification result.
///
/// The code is the `X509_V_ERR_` name without its prefix, for the codes Node names, and
/// `UNSPECIFIED` for the others, as Node does. The message is OpenSSL 3.0's wording (the OpenSSL
/// of Node 20 and 22): newer OpenSSL releases, like the one built into this addon, reword a few
/// ("certificate is not yet valid or the system clock is incorrect"), and code that matches on
/// MQTT.js's messages must keep working. Codes Node does not name keep our OpenSSL's text.
pub(crate) fn node_verify_error(raw: c_int, openssl_text: &str) -> (&'static str, String) {
    use openssl_sys as ffi;
    let (code, message) = match raw {
        ffi::X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT => (
            "UNABLE_TO_GET_ISSUER_CERT",
            "unable to get issuer certificate",
        ),
        ffi::X509_V_ERR_UNABLE_TO_GET_CRL => ("UNABLE_TO_GET_CRL", "unable to get certificate CRL"),
        ffi::X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE => (
            "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
            "unable to decrypt certificate's signature",
        ),
        ffi::X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE => (
            "UNABLE_TO_DECRYPT_CRL_SIGNATURE",
            "unable to decrypt CRL's signature",
        ),
        ffi::X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY => (
            "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
            "unable to decode issuer public key",
        ),
        ffi::X509_V_ERR_CERT_SIGNATURE_FAILURE => {
            ("CERT_SIGNATURE_FAILURE", "certificate signature failure")
        }
        ffi::X509_V_ERR_CRL_SIGNATURE_FAILURE => ("CRL_SIGNATURE_FAILURE", "CRL signature failure"),
        ffi::X509_V_ERR_CERT_NOT_YET_VALID => {
            ("CERT_NOT_YET_VALID", "certificate is not yet valid")
        }
        ffi::X509_V_ERR_CERT_HAS_EXPIRED => ("CERT_HAS_EXPIRED", "certificate has expired"),
        ffi::X509_V_ERR_CRL_NOT_YET_VALID => ("CRL_NOT_YET_VALID", "CRL is not yet valid"),
        ffi::X509_V_ERR_CRL_HAS_EXPIRED => ("CRL_HAS_EXPIRED", "CRL has expired"),
        ffi::X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD => (
            "ERROR_IN_CERT_NOT_BEFORE_FIELD",
            "format error in certificate's notBefore field",
        ),
        ffi::X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD => (
            "ERROR_IN_CERT_NOT_AFTER_FIELD",
            "format error in certificate's notAfter field",
        ),
        ffi::X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD => (
            "ERROR_IN_CRL_LAST_UPDATE_FIELD",
            "format error in CRL's lastUpdate field",
        ),
        ffi::X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD => (
            "ERROR_IN_CRL_NEXT_UPDATE_FIELD",
            "format error in CRL's nextUpdate field",
        ),
        ffi::X509_V_ERR_OUT_OF_MEM => ("OUT_OF_MEM", "out of memory"),
        ffi::X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT => {
            ("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate")
        }
        ffi::X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN => (
            "SELF_SIGNED_CERT_IN_CHAIN",
            "self-signed certificate in certificate chain",
        ),
        ffi::X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY => (
            "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
            "unable to get local issuer certificate",
        ),
        ffi::X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE => (
            "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
            "unable to verify the first certificate",
        ),
        ffi::X509_V_ERR_CERT_CHAIN_TOO_LONG => {
            ("CERT_CHAIN_TOO_LONG", "certificate chain too long")
        }
        ffi::X509_V_ERR_CERT_REVOKED => ("CERT_REVOKED", "certificate revoked"),
        ffi::X509_V_ERR_INVALID_CA => ("INVALID_CA", "invalid CA certificate"),
        ffi::X509_V_ERR_PATH_LENGTH_EXCEEDED => {
            ("PATH_LENGTH_EXCEEDED", "path length constraint exceeded")
        }
        ffi::X509_V_ERR_INVALID_PURPOSE => ("INVALID_PURPOSE", "unsupported certificate purpose"),
        ffi::X509_V_ERR_CERT_UNTRUSTED => ("CERT_UNTRUSTED", "certificate not trusted"),
        ffi::X509_V_ERR_CERT_REJECTED => ("CERT_REJECTED", "certificate rejected"),
        ffi::X509_V_ERR_HOSTNAME_MISMATCH => ("HOSTNAME_MISMATCH", "hostname mismatch"),
        _ => return ("UNSPECIFIED", openssl_text.to_string()),
    };
    (code, message.to_string())
}

/// OpenSSL names an alert reason after the protocol version that introduced the alert
/// ("sslv3 alert handshake failure", "tlsv13 alert certificate required"); Node's code is
/// `ERR_SSL_` + that reason in upper snake case, and its message ends with the reason.
fn from_alert(alert: AlertDescription) -> TransportError {
    let reason = alert_reason(alert);
    match reason {
        Some(reason) => TransportError::new(
            format!("ERR_SSL_{}", reason.to_uppercase().replace(' ', "_")),
            reason,
        ),
        None => TransportError::new(
            "ERR_SSL_PROTOCOL_ERROR",
            format!("received TLS alert {alert:?}"),
        ),
    }
}

fn alert_reason(alert: AlertDescription) -> Option<&'static str> {
    use AlertDescription as A;
    Some(match alert {
        A::UnexpectedMessage => "sslv3 alert unexpected message",
        A::BadRecordMac => "sslv3 alert bad record mac",
        A::DecompressionFailure => "sslv3 alert decompression failure",
        A::HandshakeFailure => "sslv3 alert handshake failure",
        A::NoCertificate => "sslv3 alert no certificate",
        A::BadCertificate => "sslv3 alert bad certificate",
        A::UnsupportedCertificate => "sslv3 alert unsupported certificate",
        A::CertificateRevoked => "sslv3 alert certificate revoked",
        A::CertificateExpired => "sslv3 alert certificate expired",
        A::CertificateUnknown => "sslv3 alert certificate unknown",
        A::IllegalParameter => "sslv3 alert illegal parameter",
        A::DecryptionFailed => "tlsv1 alert decryption failed",
        A::RecordOverflow => "tlsv1 alert record overflow",
        A::UnknownCA => "tlsv1 alert unknown ca",
        A::AccessDenied => "tlsv1 alert access denied",
        A::DecodeError => "tlsv1 alert decode error",
        A::DecryptError => "tlsv1 alert decrypt error",
        A::ExportRestriction => "tlsv1 alert export restriction",
        A::ProtocolVersion => "tlsv1 alert protocol version",
        A::InsufficientSecurity => "tlsv1 alert insufficient security",
        A::InternalError => "tlsv1 alert internal error",
        A::InappropriateFallback => "tlsv1 alert inappropriate fallback",
        A::UserCanceled => "tlsv1 alert user cancelled",
        A::NoRenegotiation => "tlsv1 alert no renegotiation",
        A::UnsupportedExtension => "tlsv1 unsupported extension",
        A::CertificateUnobtainable => "tlsv1 certificate unobtainable",
        A::UnrecognisedName => "tlsv1 unrecognized name",
        A::BadCertificateStatusResponse => "tlsv1 bad certificate status response",
        A::BadCertificateHashValue => "tlsv1 bad certificate hash value",
        A::UnknownPSKIdentity => "tlsv1 alert unknown psk identity",
        A::NoApplicationProtocol => "tlsv1 alert no application protocol",
        A::MissingExtension => "tlsv13 alert missing extension",
        A::CertificateRequired => "tlsv13 alert certificate required",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_use_openssl_reason_names() {
        let err = from_rustls(&TlsError::AlertReceived(
            AlertDescription::CertificateRequired,
        ));
        assert_eq!(
            err.code(),
            Some("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED")
        );
        assert_eq!(err.message(), "tlsv13 alert certificate required");
        let err = from_rustls(&TlsError::AlertReceived(AlertDescription::HandshakeFailure));
        assert_eq!(err.code(), Some("ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE"));
        let err = from_rustls(&TlsError::AlertReceived(AlertDescription::UnknownCA));
        assert_eq!(err.code(), Some("ERR_SSL_TLSV1_ALERT_UNKNOWN_CA"));
    }

    #[test]
    fn openssl_verify_results_use_node_codes() {
        use openssl_sys as ffi;
        let code = |raw| node_verify_error(raw, "openssl text").0;
        assert_eq!(code(ffi::X509_V_ERR_CERT_HAS_EXPIRED), "CERT_HAS_EXPIRED");
        assert_eq!(
            code(ffi::X509_V_ERR_CERT_NOT_YET_VALID),
            "CERT_NOT_YET_VALID"
        );
        assert_eq!(
            node_verify_error(ffi::X509_V_ERR_CERT_NOT_YET_VALID, "newer wording").1,
            "certificate is not yet valid"
        );
        // Codes Node has no name for keep OpenSSL's text.
        assert_eq!(
            node_verify_error(
                ffi::X509_V_ERR_EE_KEY_TOO_SMALL,
                "EE certificate key too weak"
            ),
            ("UNSPECIFIED", "EE certificate key too weak".to_string())
        );
    }

    #[test]
    fn plaintext_peer_is_wrong_version_number() {
        let err = from_rustls(&TlsError::InvalidMessage(
            InvalidMessage::InvalidContentType,
        ));
        assert_eq!(err.code(), Some("ERR_SSL_WRONG_VERSION_NUMBER"));
    }
}

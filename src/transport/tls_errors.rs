//! rustls errors -> the `err.code` / `err.message` pairs Node's `tls` module (OpenSSL) gives for the
//! same situation, so code written against MQTT.js (`if (err.code === 'CERT_HAS_EXPIRED')`) keeps working.

use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{AlertDescription, CertificateError, Error as TlsError, InvalidMessage};

use super::error::TransportError;
use super::tls_verify::UntrustedChain;

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

/// OpenSSL's X509 verification error names, which Node uses verbatim as `err.code`.
fn from_certificate_error(err: &CertificateError) -> TransportError {
    use CertificateError as C;
    let (code, message) = match err {
        C::Expired | C::ExpiredContext { .. } => ("CERT_HAS_EXPIRED", "certificate has expired"),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            ("CERT_NOT_YET_VALID", "certificate is not yet valid")
        }
        C::NotValidForNameContext {
            expected,
            presented,
        } => return altname_mismatch(expected, presented),
        C::NotValidForName => (
            "ERR_TLS_CERT_ALTNAME_INVALID",
            "Hostname/IP does not match certificate's altnames",
        ),
        // Our verifier replaces UnknownIssuer with a classified UntrustedChain (see tls_verify.rs);
        // a bare UnknownIssuer only appears if that classification was impossible.
        C::UnknownIssuer => untrusted_chain_code(UntrustedChain::LeafIssuerMissing),
        C::Other(other) => match other.0.downcast_ref::<UntrustedChain>() {
            Some(chain) => untrusted_chain_code(*chain),
            None => {
                return TransportError::new("CERT_REJECTED", format!("certificate rejected: {err}"))
            }
        },
        C::Revoked => ("CERT_REVOKED", "certificate revoked"),
        C::UnknownRevocationStatus => ("UNABLE_TO_GET_CRL", "unable to get certificate CRL"),
        C::ExpiredRevocationList | C::ExpiredRevocationListContext { .. } => {
            ("CRL_HAS_EXPIRED", "CRL has expired")
        }
        C::BadSignature => ("CERT_SIGNATURE_FAILURE", "certificate signature failure"),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            ("INVALID_PURPOSE", "unsupported certificate purpose")
        }
        _ => return TransportError::new("CERT_REJECTED", format!("certificate rejected: {err}")),
    };
    TransportError::new(code, message)
}

fn untrusted_chain_code(chain: UntrustedChain) -> (&'static str, &'static str) {
    match chain {
        UntrustedChain::DepthZeroSelfSigned => {
            ("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate")
        }
        UntrustedChain::SelfSignedInChain => (
            "SELF_SIGNED_CERT_IN_CHAIN",
            "self-signed certificate in certificate chain",
        ),
        UntrustedChain::LeafIssuerMissing => (
            "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
            "unable to verify the first certificate",
        ),
        UntrustedChain::ChainIssuerMissing => (
            "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
            "unable to get local issuer certificate",
        ),
    }
}

/// Node's `tls.checkServerIdentity` wording. rustls reports presented names in its own debug form
/// (`DnsName("a")`, `IpAddress(1.2.3.4)`), turned here into OpenSSL's (`DNS:a`, `IP Address:1.2.3.4`).
fn altname_mismatch(expected: &ServerName<'_>, presented: &[String]) -> TransportError {
    let host = expected.to_str();
    let reason = match expected {
        ServerName::IpAddress(_) => {
            let ips: Vec<&str> = presented.iter().filter_map(|name| ip_name(name)).collect();
            format!("IP: {host} is not in the cert's list: {}", ips.join(", "))
        }
        _ if presented.is_empty() => {
            // Node would fall back to the subject CN here; rustls never does (see mod.rs).
            "Cert does not contain a DNS name (no subjectAltName; the CN is not used)".to_string()
        }
        _ => {
            let names: Vec<String> = presented
                .iter()
                .map(|name| openssl_alt_name(name))
                .collect();
            format!(
                "Host: {host}. is not in the cert's altnames: {}",
                names.join(", ")
            )
        }
    };
    TransportError::new(
        "ERR_TLS_CERT_ALTNAME_INVALID",
        format!("Hostname/IP does not match certificate's altnames: {reason}"),
    )
}

fn ip_name(presented: &str) -> Option<&str> {
    presented.strip_prefix("IpAddress(")?.strip_suffix(')')
}

fn openssl_alt_name(presented: &str) -> String {
    let quoted = |prefix: &str| {
        presented
            .strip_prefix(prefix)?
            .strip_suffix("\")")
            .map(str::to_string)
    };
    if let Some(dns) = quoted("DnsName(\"") {
        format!("DNS:{dns}")
    } else if let Some(ip) = ip_name(presented) {
        format!("IP Address:{ip}")
    } else if let Some(uri) = quoted("UniformResourceIdentifier(\"") {
        format!("URI:{uri}")
    } else {
        presented.to_string()
    }
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
    use std::sync::Arc;
    use tokio_rustls::rustls::OtherError;

    fn cert_error(err: CertificateError) -> TransportError {
        from_rustls(&TlsError::InvalidCertificate(err))
    }

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
    fn dns_name_mismatch_lists_altnames_like_node() {
        let err = cert_error(CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("wrong.example").unwrap(),
            presented: vec![
                "DnsName(\"localhost\")".into(),
                "IpAddress(127.0.0.1)".into(),
            ],
        });
        assert_eq!(err.code(), Some("ERR_TLS_CERT_ALTNAME_INVALID"));
        assert_eq!(
            err.message(),
            "Hostname/IP does not match certificate's altnames: \
             Host: wrong.example. is not in the cert's altnames: DNS:localhost, IP Address:127.0.0.1"
        );
    }

    #[test]
    fn ip_mismatch_lists_only_ips() {
        let err = cert_error(CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("127.0.0.2").unwrap(),
            presented: vec![
                "DnsName(\"localhost\")".into(),
                "IpAddress(127.0.0.1)".into(),
            ],
        });
        assert_eq!(
            err.message(),
            "Hostname/IP does not match certificate's altnames: \
             IP: 127.0.0.2 is not in the cert's list: 127.0.0.1"
        );
    }

    #[test]
    fn untrusted_chain_classification_survives_the_other_wrapper() {
        let wrapped =
            CertificateError::Other(OtherError(Arc::new(UntrustedChain::SelfSignedInChain)));
        assert_eq!(
            cert_error(wrapped).code(),
            Some("SELF_SIGNED_CERT_IN_CHAIN")
        );
        assert_eq!(
            cert_error(CertificateError::UnknownIssuer).code(),
            Some("UNABLE_TO_VERIFY_LEAF_SIGNATURE")
        );
    }

    #[test]
    fn validity_errors() {
        assert_eq!(
            cert_error(CertificateError::Expired).code(),
            Some("CERT_HAS_EXPIRED")
        );
        assert_eq!(
            cert_error(CertificateError::NotValidYet).code(),
            Some("CERT_NOT_YET_VALID")
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

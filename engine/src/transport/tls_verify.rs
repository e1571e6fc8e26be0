//! Server certificate verifiers. TLS itself is rustls; the certificate is judged the way Node's
//! `tls` judges it, so verdicts and `err.code`s match MQTT.js on Node:
//!
//! - [`OpensslServerVerifier`]: OpenSSL's X509 store verification (the verifier Node runs), then
//!   Node's `tls.checkServerIdentity` rules ([`super::host_identity`]).
//! - [`AcceptAnyServerCert`]: MQTT.js `rejectUnauthorized: false`. The certificate is not judged,
//!   but handshake signatures still are, so the session is still TLS with the presented key.
//!
//! Both check handshake signatures against the certificate's public key as OpenSSL extracts it,
//! with rustls's algorithms: webpki cannot parse an X.509 v1 certificate, OpenSSL can.

use std::ffi::{c_char, c_int};
use std::fmt;

use foreign_types::ForeignTypeRef;
use openssl::stack::Stack;
use openssl::x509::store::X509Store;
use openssl::x509::{X509StoreContext, X509StoreContextRef, X509VerifyResult, X509};
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{
    verify_tls13_signature_with_raw_key, WebPkiSupportedAlgorithms,
};
use tokio_rustls::rustls::pki_types::{
    CertificateDer, ServerName, SubjectPublicKeyInfoDer, UnixTime,
};
use tokio_rustls::rustls::{
    CertificateError, DigitallySignedStruct, Error as TlsError, OtherError, PeerMisbehaved,
    SignatureScheme,
};

use super::host_identity::check_server_identity;
use super::tls_errors::node_verify_error;

/// A certificate verdict in Node's terms: the `err.code` and `err.message` Node's `tls` gives.
/// It travels out of the handshake as `CertificateError::Other` (the connect error is the only
/// channel); the side effect is that the alert we send is `certificate_unknown`, which only shows
/// in the broker's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertRejection {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl CertRejection {
    fn into_tls_error(self) -> TlsError {
        TlsError::InvalidCertificate(CertificateError::Other(OtherError(std::sync::Arc::new(
            self,
        ))))
    }
}

impl fmt::Display for CertRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for CertRejection {}

// Two libcrypto functions the `openssl` crate does not wrap. Both are stable public OpenSSL API.
extern "C" {
    fn X509_STORE_CTX_set_default(
        ctx: *mut openssl_sys::X509_STORE_CTX,
        name: *const c_char,
    ) -> c_int;
    fn X509_STORE_CTX_set_verify_cb(
        ctx: *mut openssl_sys::X509_STORE_CTX,
        verify_cb: Option<unsafe extern "C" fn(c_int, *mut openssl_sys::X509_STORE_CTX) -> c_int>,
    );
}

/// Node's verify callback: never stop at an error. OpenSSL then walks the whole chain and the
/// context's error is the last one found, which is what Node reports (`SSL_get_verify_result`).
unsafe extern "C" fn keep_going(
    _preverify_ok: c_int,
    _ctx: *mut openssl_sys::X509_STORE_CTX,
) -> c_int {
    1
}

/// OpenSSL's chain verification against `roots` (the `ca` option, or Node's default roots), then
/// the host check of Node's `tls.checkServerIdentity`. Chain errors win over host errors, as in
/// Node, which only checks the host of a certificate OpenSSL accepted.
pub(crate) struct OpensslServerVerifier {
    roots: X509Store,
    algorithms: WebPkiSupportedAlgorithms,
}

impl fmt::Debug for OpensslServerVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpensslServerVerifier")
            .finish_non_exhaustive()
    }
}

impl OpensslServerVerifier {
    pub(crate) fn new(roots: X509Store, algorithms: WebPkiSupportedAlgorithms) -> Self {
        Self { roots, algorithms }
    }

    /// The chain verdict: `Ok(())` or the rejection Node would report.
    fn verify_chain(&self, leaf: &X509, intermediates: &[X509]) -> Result<(), TlsError> {
        let mut untrusted = Stack::new().map_err(openssl_failure)?;
        for cert in intermediates {
            untrusted.push(cert.clone()).map_err(openssl_failure)?;
        }
        let mut ctx = X509StoreContext::new().map_err(openssl_failure)?;
        let (completed, result) = ctx
            .init(&self.roots, leaf, &untrusted, |ctx| {
                as_tls_client(ctx);
                let completed = ctx.verify_cert()?;
                Ok((completed, ctx.error()))
            })
            .map_err(openssl_failure)?;
        if completed && result == X509VerifyResult::OK {
            return Ok(());
        }
        let (code, message) = if result == X509VerifyResult::OK {
            // Never accept a verification OpenSSL did not complete, even with no error recorded.
            (
                "UNSPECIFIED",
                "certificate verification did not complete".to_string(),
            )
        } else {
            node_verify_error(result.as_raw(), result.error_string())
        };
        Err(CertRejection { code, message }.into_tls_error())
    }
}

/// What OpenSSL's TLS client does before verifying a server chain: the "ssl_server" purpose and
/// trust settings (a certificate must be fit to be a TLS server), and Node's keep-going callback.
fn as_tls_client(ctx: &mut X509StoreContextRef) {
    // SAFETY: `ctx` is a live, initialised X509_STORE_CTX for the duration of this call; the name
    // is a NUL-terminated static string; `keep_going` matches OpenSSL's callback signature.
    unsafe {
        X509_STORE_CTX_set_default(ctx.as_ptr(), c"ssl_server".as_ptr());
        X509_STORE_CTX_set_verify_cb(ctx.as_ptr(), Some(keep_going));
    }
}

impl ServerCertVerifier for OpensslServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        // Node (OpenSSL) judges validity dates against the system clock too, so `_now` (also the
        // system clock) is not passed down.
        let leaf = parse(end_entity)?;
        let intermediates = intermediates
            .iter()
            .map(parse)
            .collect::<Result<Vec<_>, _>>()?;
        self.verify_chain(&leaf, &intermediates)?;
        check_server_identity(server_name, &leaf).map_err(CertRejection::into_tls_error)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls12_signature_any_version(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls13_signature_any_version(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `rejectUnauthorized: false`: any certificate, any name, any date. Signatures over the handshake
/// are still verified with the provider's algorithms, so a peer must hold the key it presents.
#[derive(Debug)]
pub(crate) struct AcceptAnyServerCert {
    algorithms: WebPkiSupportedAlgorithms,
}

impl AcceptAnyServerCert {
    pub(crate) fn new(algorithms: WebPkiSupportedAlgorithms) -> Self {
        Self { algorithms }
    }
}

impl ServerCertVerifier for AcceptAnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls12_signature_any_version(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls13_signature_any_version(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

fn parse(der: &CertificateDer<'_>) -> Result<X509, TlsError> {
    X509::from_der(der).map_err(|_| TlsError::InvalidCertificate(CertificateError::BadEncoding))
}

fn openssl_failure(err: openssl::error::ErrorStack) -> TlsError {
    TlsError::General(format!(
        "certificate verification failed inside OpenSSL: {err}"
    ))
}

/// The certificate's SubjectPublicKeyInfo, as OpenSSL reads it (any X.509 version).
fn public_key_info(
    cert: &CertificateDer<'_>,
) -> Result<SubjectPublicKeyInfoDer<'static>, TlsError> {
    let spki = parse(cert)?
        .public_key()
        .and_then(|key| key.public_key_to_der())
        .map_err(|_| TlsError::InvalidCertificate(CertificateError::BadEncoding))?;
    Ok(SubjectPublicKeyInfoDer::from(spki))
}

/// rustls's TLS 1.3 check, fed the key instead of the certificate (rustls's own helper for a
/// certificate parses it with webpki, which refuses X.509 v1).
fn verify_tls13_signature_any_version(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    algorithms: &WebPkiSupportedAlgorithms,
) -> Result<HandshakeSignatureValid, TlsError> {
    verify_tls13_signature_with_raw_key(message, &public_key_info(cert)?, dss, algorithms)
}

/// TLS 1.2 names a signature scheme that may map to several algorithms (e.g. ECDSA with any
/// curve): try each one rustls maps it to, as rustls's own `verify_tls12_signature` does, but with
/// webpki's raw-public-key entity so the certificate's version does not matter.
fn verify_tls12_signature_any_version(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    algorithms: &WebPkiSupportedAlgorithms,
) -> Result<HandshakeSignatureValid, TlsError> {
    let candidates = algorithms
        .mapping
        .iter()
        .find(|(scheme, _)| *scheme == dss.scheme)
        .map(|(_, candidates)| *candidates)
        .ok_or(PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme)?;
    let spki = public_key_info(cert)?;
    let key = webpki::RawPublicKeyEntity::try_from(&spki)
        .map_err(|_| TlsError::InvalidCertificate(CertificateError::BadEncoding))?;
    for algorithm in candidates {
        match key.verify_signature(*algorithm, message, dss.signature()) {
            Ok(()) => return Ok(HandshakeSignatureValid::assertion()),
            // This algorithm is for another kind of key: try the next candidate.
            Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)) => continue,
            Err(_) => return Err(TlsError::InvalidCertificate(CertificateError::BadSignature)),
        }
    }
    Err(TlsError::PeerMisbehaved(
        PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme,
    ))
}

//! Server certificate verifiers.
//!
//! - [`ClassifyingVerifier`]: the normal webpki verification, plus OpenSSL's finer diagnosis of an
//!   untrusted chain (rustls says only "unknown issuer"; Node users expect
//!   `DEPTH_ZERO_SELF_SIGNED_CERT`, `SELF_SIGNED_CERT_IN_CHAIN`, ...).
//! - [`AcceptAnyServerCert`]: MQTT.js `rejectUnauthorized: false`. The certificate is not checked,
//!   but handshake signatures still are, so the session is still TLS with the presented key.

use std::fmt;
use std::sync::Arc;

use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms,
};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    CertificateError, DigitallySignedStruct, Error as TlsError, OtherError, SignatureScheme,
};

use super::der::is_self_issued;

/// Why a chain did not lead to a trusted root, in OpenSSL's terms (the chain as the server sent it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UntrustedChain {
    /// A lone self-signed certificate (OpenSSL `DEPTH_ZERO_SELF_SIGNED_CERT`).
    DepthZeroSelfSigned,
    /// The chain ends in a self-signed root we do not trust (`SELF_SIGNED_CERT_IN_CHAIN`).
    SelfSignedInChain,
    /// A lone certificate whose issuer we do not have (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`).
    LeafIssuerMissing,
    /// A chain whose last certificate's issuer we do not have (`UNABLE_TO_GET_ISSUER_CERT_LOCALLY`).
    ChainIssuerMissing,
}

impl UntrustedChain {
    fn classify(end_entity: &CertificateDer<'_>, intermediates: &[CertificateDer<'_>]) -> Self {
        match intermediates.last() {
            None if is_self_issued(end_entity) => Self::DepthZeroSelfSigned,
            None => Self::LeafIssuerMissing,
            Some(top) if is_self_issued(top) => Self::SelfSignedInChain,
            Some(_) => Self::ChainIssuerMissing,
        }
    }
}

impl fmt::Display for UntrustedChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::DepthZeroSelfSigned => "self-signed certificate",
            Self::SelfSignedInChain => "self-signed certificate in certificate chain",
            Self::LeafIssuerMissing => "unable to verify the first certificate",
            Self::ChainIssuerMissing => "unable to get local issuer certificate",
        };
        f.write_str(text)
    }
}

impl std::error::Error for UntrustedChain {}

/// webpki verification whose "unknown issuer" result carries an [`UntrustedChain`] diagnosis.
///
/// The diagnosis travels as `CertificateError::Other` because the connect error is the only channel
/// out of the handshake. The one side effect: the alert we send the server becomes
/// `certificate_unknown` instead of `unknown_ca`, which only shows in the broker's log.
#[derive(Debug)]
pub(crate) struct ClassifyingVerifier {
    inner: Arc<WebPkiServerVerifier>,
}

impl ClassifyingVerifier {
    pub(crate) fn new(inner: Arc<WebPkiServerVerifier>) -> Self {
        Self { inner }
    }
}

impl ServerCertVerifier for ClassifyingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|err| match err {
                TlsError::InvalidCertificate(CertificateError::UnknownIssuer) => {
                    let diagnosis = UntrustedChain::classify(end_entity, intermediates);
                    TlsError::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(
                        diagnosis,
                    ))))
                }
                other => other,
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
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
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

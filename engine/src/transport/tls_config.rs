//! `TlsOptions` (MQTT.js / Node `tls.connect` options) -> a validated rustls client configuration.
//! Everything that can be wrong with the options is reported here, once, when the client is
//! created, rather than on every reconnect.

use std::sync::Arc;

use openssl::pkey::PKey;
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::X509;
use tokio_rustls::rustls::client::danger::ServerCertVerifier;
use tokio_rustls::rustls::client::ResolvesClientCert;
use tokio_rustls::rustls::crypto::{ring, CryptoProvider};
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{ClientConfig, SignatureScheme};

use super::error::TransportError;
use super::tls_errors;
use super::tls_verify::{AcceptAnyServerCert, OpensslServerVerifier};

/// TLS options as MQTT.js passes them to Node's `tls.connect`.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    /// PEM blobs (each may hold several certificates) or DER certificates. Empty: `default_roots`.
    pub ca: Vec<Vec<u8>>,
    /// Node's `tls.rootCertificates` handed over by the JS shim, so the default trust store is
    /// exactly the one MQTT.js would use. Only consulted when `ca` is empty.
    pub default_roots: Vec<Vec<u8>>,
    /// Client certificate chain (PEM or DER) for mutual TLS.
    pub cert: Option<Vec<u8>>,
    /// Client private key (PEM: PKCS#8, PKCS#1 or SEC1; or DER). Unencrypted only.
    pub key: Option<Vec<u8>>,
    /// `false` accepts any server certificate (still TLS, just unauthenticated).
    pub reject_unauthorized: bool,
    /// SNI and the name the certificate must match; default: the host.
    pub servername: Option<String>,
    /// ALPN protocol names to offer.
    pub alpn: Vec<Vec<u8>>,
}

impl Default for TlsOptions {
    /// Node's defaults: verify the server against the default roots.
    fn default() -> Self {
        Self {
            ca: Vec::new(),
            default_roots: Vec::new(),
            cert: None,
            key: None,
            reject_unauthorized: true,
            servername: None,
            alpn: Vec::new(),
        }
    }
}

/// The name the certificate is checked against (and sent as SNI).
#[derive(Debug, Clone)]
pub(crate) enum TlsServerName {
    Valid(ServerName<'static>),
    /// Neither a DNS name nor an IP address (e.g. `mqtt://localhost:8993` given as `host`, which
    /// also becomes the default `servername`). Node does not refuse it up front: looking the host
    /// up fails first (`ENOTFOUND`); should it connect, no certificate can match it, so it is
    /// refused as a name mismatch, unless verification is off.
    Invalid {
        name: String,
        reject_unauthorized: bool,
    },
}

/// A ready-to-use TLS client configuration for one host. Cheap to share between reconnects.
#[derive(Debug)]
pub struct TlsConnectorConfig {
    pub(crate) client: Arc<ClientConfig>,
    pub(crate) server_name: TlsServerName,
}

impl TlsConnectorConfig {
    /// Validates `opts` and builds the rustls configuration for connecting to `host`.
    pub fn new(opts: &TlsOptions, host: &str) -> Result<Self, TransportError> {
        let name = opts
            .servername
            .as_deref()
            .filter(|name| !name.is_empty())
            .unwrap_or(host);
        let server_name = match ServerName::try_from(unbracket(name).to_string()) {
            Ok(valid) => TlsServerName::Valid(valid),
            Err(_) => TlsServerName::Invalid {
                name: name.to_string(),
                reject_unauthorized: opts.reject_unauthorized,
            },
        };
        let provider = Arc::new(ring::default_provider());
        let verifier = server_verifier(opts, &provider)?;
        let client_identity = client_identity(opts, &provider)?;
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| tls_errors::from_rustls(&err))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut client = match client_identity {
            None => builder.with_no_client_auth(),
            Some(identity) => builder.with_client_cert_resolver(identity),
        };
        client.alpn_protocols = opts.alpn.clone();
        Ok(Self {
            client: Arc::new(client),
            server_name,
        })
    }

    /// The name sent as SNI and checked against the certificate, if it is a valid one.
    pub fn server_name(&self) -> Option<&ServerName<'static>> {
        match &self.server_name {
            TlsServerName::Valid(name) => Some(name),
            TlsServerName::Invalid { .. } => None,
        }
    }
}

/// "[::1]" (URL form of an IPv6 literal) -> "::1".
pub(crate) fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host)
}

fn server_verifier(
    opts: &TlsOptions,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, TransportError> {
    // Parse `ca` even when it will not be used, so a broken option fails the same way either way.
    let (roots, root_count) = if opts.ca.is_empty() {
        default_root_store(&opts.default_roots)?
    } else {
        ca_root_store(&opts.ca)?
    };
    if !opts.reject_unauthorized {
        return Ok(Arc::new(AcceptAnyServerCert::new(
            provider.signature_verification_algorithms,
        )));
    }
    if root_count == 0 {
        return Err(TransportError::invalid_option(
            "ca",
            "no trusted CA certificates (neither `ca` nor default root certificates were given)",
        ));
    }
    Ok(Arc::new(OpensslServerVerifier::new(
        roots,
        provider.signature_verification_algorithms,
    )))
}

/// User-supplied `ca`: as with Node, these replace the default roots. Every entry must contribute
/// at least one certificate, so a typo'd file or a wrong variable fails loudly instead of silently
/// trusting less.
fn ca_root_store(ca: &[Vec<u8>]) -> Result<(X509Store, usize), TransportError> {
    let mut store = new_store()?;
    let mut count = 0;
    for (index, blob) in ca.iter().enumerate() {
        let option = if ca.len() == 1 {
            "ca".to_string()
        } else {
            format!("ca[{index}]")
        };
        let certs =
            parse_x509s(blob).map_err(|err| TransportError::invalid_option(&option, err))?;
        if certs.is_empty() {
            return Err(TransportError::invalid_option(
                &option,
                "no certificate found",
            ));
        }
        for cert in certs {
            store
                .add_cert(cert)
                .map_err(|err| TransportError::invalid_option(&option, err))?;
            count += 1;
        }
    }
    Ok((store.build(), count))
}

/// Node's bundled roots: skip anything OpenSSL cannot read, as one odd root must not break TLS.
fn default_root_store(default_roots: &[Vec<u8>]) -> Result<(X509Store, usize), TransportError> {
    let mut store = new_store()?;
    let mut count = 0;
    for cert in default_roots
        .iter()
        .filter_map(|blob| parse_x509s(blob).ok())
        .flatten()
    {
        if store.add_cert(cert).is_ok() {
            count += 1;
        }
    }
    Ok((store.build(), count))
}

fn new_store() -> Result<X509StoreBuilder, TransportError> {
    X509StoreBuilder::new()
        .map_err(|err| TransportError::new("ERR_OSSL_MALLOC_FAILURE", err.to_string()))
}

/// Every certificate in `blob`, read by OpenSSL, so any X.509 version Node accepts is accepted.
fn parse_x509s(blob: &[u8]) -> Result<Vec<X509>, String> {
    let pem = looks_like_pem(blob);
    parse_certificates(blob)?
        .iter()
        .enumerate()
        .map(|(index, der)| {
            X509::from_der(der).map_err(|err| {
                let reason = openssl_reason(&err);
                if pem {
                    format!(
                        "certificate #{} in the PEM is not a valid X.509 certificate ({reason})",
                        index + 1
                    )
                } else {
                    format!(
                        "neither PEM (no \"-----BEGIN\" line) nor a DER X.509 certificate ({reason})"
                    )
                }
            })
        })
        .collect()
}

/// OpenSSL's reason text ("wrong tag", "too long") without its error-queue decorations.
fn openssl_reason(err: &openssl::error::ErrorStack) -> String {
    err.errors()
        .first()
        .and_then(|e| e.reason())
        .map(str::to_string)
        .unwrap_or_else(|| err.to_string())
}

/// A client certificate and key for mutual TLS, served to every server that asks.
///
/// rustls's `with_client_auth_cert` checks that key and certificate match by parsing the
/// certificate with webpki, which refuses X.509 v1 (the classic `openssl x509 -req` output that
/// Node and mosquitto accept). The match is checked here with OpenSSL instead, and rustls gets
/// the same `CertifiedKey` through a resolver.
#[derive(Debug)]
struct ClientIdentity(Arc<CertifiedKey>);

impl ResolvesClientCert for ClientIdentity {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

fn client_identity(
    opts: &TlsOptions,
    provider: &CryptoProvider,
) -> Result<Option<Arc<ClientIdentity>>, TransportError> {
    let (cert, key) = match (&opts.cert, &opts.key) {
        (None, None) => return Ok(None),
        (Some(cert), Some(key)) => (cert, key),
        (Some(_), None) => {
            return Err(TransportError::invalid_option(
                "key",
                "`cert` is set but `key` is missing",
            ))
        }
        (None, Some(_)) => {
            return Err(TransportError::invalid_option(
                "cert",
                "`key` is set but `cert` is missing",
            ))
        }
    };
    let chain = parse_cert_chain(cert)?;
    let key = parse_private_key(key)?;
    check_key_matches_cert(&chain[0], &key)?;
    let signing_key = provider.key_provider.load_private_key(key).map_err(|err| {
        TransportError::invalid_option("key", format!("unusable private key ({err})"))
    })?;
    Ok(Some(Arc::new(ClientIdentity(Arc::new(CertifiedKey::new(
        chain,
        signing_key,
    ))))))
}

fn check_key_matches_cert(
    cert: &CertificateDer<'_>,
    key: &PrivateKeyDer<'_>,
) -> Result<(), TransportError> {
    let cert_key = X509::from_der(cert)
        .and_then(|cert| cert.public_key())
        .map_err(|err| {
            TransportError::invalid_option(
                "cert",
                format!("not a valid X.509 certificate ({})", openssl_reason(&err)),
            )
        })?;
    let private_key = PKey::private_key_from_der(key.secret_der()).map_err(|err| {
        TransportError::invalid_option(
            "key",
            format!("unreadable private key ({})", openssl_reason(&err)),
        )
    })?;
    if !cert_key.public_eq(&private_key) {
        return Err(TransportError::invalid_option(
            "key",
            "does not match the certificate in `cert`",
        ));
    }
    Ok(())
}

fn parse_cert_chain(cert: &[u8]) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let chain =
        parse_certificates(cert).map_err(|err| TransportError::invalid_option("cert", err))?;
    if chain.is_empty() {
        return Err(TransportError::invalid_option(
            "cert",
            "no certificate found",
        ));
    }
    Ok(chain)
}

fn parse_private_key(key: &[u8]) -> Result<PrivateKeyDer<'static>, TransportError> {
    if !looks_like_pem(key) {
        return PrivateKeyDer::try_from(key.to_vec()).map_err(|err| {
            TransportError::invalid_option("key", format!("not a PEM or DER private key ({err})"))
        });
    }
    if contains(key, b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || contains(key, b"Proc-Type: 4,ENCRYPTED")
    {
        return Err(TransportError::invalid_option(
            "key",
            "encrypted private keys are not supported; decrypt it first",
        ));
    }
    PrivateKeyDer::from_pem_slice(key).map_err(|err| {
        let problem = match err {
            pem::Error::NoItemsFound => {
                "no PKCS#8, PKCS#1 or SEC1 private key found in the PEM".to_string()
            }
            other => describe_pem_error(&other),
        };
        TransportError::invalid_option("key", problem)
    })
}

/// PEM text (any number of CERTIFICATE sections; other sections are skipped) or one DER certificate.
fn parse_certificates(blob: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    if looks_like_pem(blob) {
        CertificateDer::pem_slice_iter(blob)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| describe_pem_error(&err))
    } else if blob.is_empty() {
        Ok(Vec::new())
    } else {
        Ok(vec![CertificateDer::from(blob.to_vec())])
    }
}

/// A PEM problem in words; the parser's own messages quote lines as lists of byte values.
fn describe_pem_error(err: &pem::Error) -> String {
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).trim().to_string();
    match err {
        pem::Error::MissingSectionEnd { end_marker } => format!(
            "invalid PEM: truncated, the \"-----END {}-----\" line is missing",
            text(end_marker)
        ),
        pem::Error::IllegalSectionStart { line } => {
            format!("invalid PEM: malformed BEGIN line \"{}\"", text(line))
        }
        pem::Error::Base64Decode(detail) => {
            format!("invalid PEM: the base64 body does not decode ({detail})")
        }
        pem::Error::NoItemsFound => "invalid PEM: no PEM section found".to_string(),
        other => format!("invalid PEM: {other}"),
    }
}

fn looks_like_pem(blob: &[u8]) -> bool {
    contains(blob, b"-----BEGIN ")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

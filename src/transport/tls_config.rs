//! `TlsOptions` (MQTT.js / Node `tls.connect` options) -> a validated rustls client configuration.
//! Everything that can be wrong with the options is reported here, once, when the client is
//! created, rather than on every reconnect.

use std::sync::Arc;

use tokio_rustls::rustls::client::danger::ServerCertVerifier;
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::crypto::{ring, CryptoProvider};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, Error as TlsError, RootCertStore};

use super::error::TransportError;
use super::tls_errors;
use super::tls_verify::{AcceptAnyServerCert, ClassifyingVerifier};

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

/// A ready-to-use TLS client configuration for one host. Cheap to share between reconnects.
#[derive(Debug)]
pub struct TlsConnectorConfig {
    pub(crate) client: Arc<ClientConfig>,
    pub(crate) server_name: ServerName<'static>,
}

impl TlsConnectorConfig {
    /// Validates `opts` and builds the rustls configuration for connecting to `host`.
    pub fn new(opts: &TlsOptions, host: &str) -> Result<Self, TransportError> {
        let server_name = server_name(opts.servername.as_deref(), host)?;
        let provider = Arc::new(ring::default_provider());
        let verifier = server_verifier(opts, &provider)?;
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| tls_errors::from_rustls(&err))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut client = match (&opts.cert, &opts.key) {
            (None, None) => builder.with_no_client_auth(),
            (Some(cert), Some(key)) => builder
                .with_client_auth_cert(parse_cert_chain(cert)?, parse_private_key(key)?)
                .map_err(client_auth_error)?,
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
        client.alpn_protocols = opts.alpn.clone();
        Ok(Self {
            client: Arc::new(client),
            server_name,
        })
    }

    /// The name sent as SNI and checked against the certificate.
    pub fn server_name(&self) -> &ServerName<'static> {
        &self.server_name
    }
}

/// `servername` if given, else the host. An IP address becomes an IP server name: no SNI is sent
/// (RFC 6066 forbids it) and the certificate must list the address as an IP subjectAltName.
fn server_name(
    servername: Option<&str>,
    host: &str,
) -> Result<ServerName<'static>, TransportError> {
    let (option, name) = match servername.filter(|name| !name.is_empty()) {
        Some(name) => ("servername", name),
        None => ("host", host),
    };
    ServerName::try_from(unbracket(name).to_string()).map_err(|_| {
        TransportError::invalid_option(
            option,
            format!("{name:?} is not a valid DNS name or IP address"),
        )
    })
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
    let roots = if opts.ca.is_empty() {
        default_root_store(&opts.default_roots)
    } else {
        ca_root_store(&opts.ca)?
    };
    if !opts.reject_unauthorized {
        return Ok(Arc::new(AcceptAnyServerCert::new(
            provider.signature_verification_algorithms,
        )));
    }
    if roots.is_empty() {
        return Err(TransportError::invalid_option(
            "ca",
            "no trusted CA certificates (neither `ca` nor default root certificates were given)",
        ));
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|err| TransportError::invalid_option("ca", err))?;
    Ok(Arc::new(ClassifyingVerifier::new(webpki)))
}

/// User-supplied `ca`: every entry must contribute at least one usable certificate, so a typo'd
/// file or a wrong variable fails loudly instead of silently trusting less.
fn ca_root_store(ca: &[Vec<u8>]) -> Result<RootCertStore, TransportError> {
    let mut roots = RootCertStore::empty();
    for (index, blob) in ca.iter().enumerate() {
        let option = if ca.len() == 1 {
            "ca".to_string()
        } else {
            format!("ca[{index}]")
        };
        let certs =
            parse_certificates(blob).map_err(|err| TransportError::invalid_option(&option, err))?;
        if certs.is_empty() {
            return Err(TransportError::invalid_option(
                &option,
                "no certificate found",
            ));
        }
        let (added, _unparsable) = roots.add_parsable_certificates(certs);
        if added == 0 {
            return Err(TransportError::invalid_option(
                &option,
                "no valid X.509 certificate found",
            ));
        }
    }
    Ok(roots)
}

/// Node's bundled roots: skip anything webpki cannot use, as one odd root must not break TLS.
fn default_root_store(default_roots: &[Vec<u8>]) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    for blob in default_roots {
        if let Ok(certs) = parse_certificates(blob) {
            roots.add_parsable_certificates(certs);
        }
    }
    roots
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
        TransportError::invalid_option(
            "key",
            format!("no PKCS#8, PKCS#1 or SEC1 private key found ({err})"),
        )
    })
}

/// rustls checks the key against the certificate; name whichever option is at fault.
fn client_auth_error(err: TlsError) -> TransportError {
    match err {
        TlsError::InconsistentKeys(_) => {
            TransportError::invalid_option("key", "does not match the certificate in `cert`")
        }
        TlsError::InvalidCertificate(_) => TransportError::invalid_option("cert", err),
        other => TransportError::invalid_option("key", other),
    }
}

/// PEM text (any number of CERTIFICATE sections; other sections are skipped) or one DER certificate.
fn parse_certificates(blob: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    if looks_like_pem(blob) {
        CertificateDer::pem_slice_iter(blob)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| format!("invalid PEM ({err})"))
    } else if blob.is_empty() {
        Ok(Vec::new())
    } else {
        Ok(vec![CertificateDer::from(blob.to_vec())])
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

//! Throwaway servers on 127.0.0.1:0 for the transport tests. Their tasks die with the test's runtime.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::version::{TLS12, TLS13};
use tokio_rustls::rustls::{RootCertStore, ServerConfig, SupportedProtocolVersion};
use tokio_rustls::TlsAcceptor;

use super::pki::Identity;
use crate::transport::{connect, Endpoint, Stream, TlsConnectorConfig, TlsOptions, TransportError};

/// How the TLS test server is set up.
pub(crate) struct ServerSetup<'a> {
    pub identity: &'a Identity,
    /// Require a client certificate issued by this CA.
    pub client_ca: Option<&'a [u8]>,
    pub tls12_only: bool,
    pub alpn: Vec<Vec<u8>>,
}

impl<'a> ServerSetup<'a> {
    pub(crate) fn new(identity: &'a Identity) -> Self {
        Self {
            identity,
            client_ca: None,
            tls12_only: false,
            alpn: Vec::new(),
        }
    }
}

/// A TLS server that echoes whatever it receives. Returns its port.
pub(crate) async fn tls_echo_server(setup: ServerSetup<'_>) -> u16 {
    let acceptor = TlsAcceptor::from(Arc::new(server_config(setup)));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A failed handshake is what several tests want; the client sees the outcome.
                if let Ok(tls) = acceptor.accept(tcp).await {
                    echo(tls).await;
                }
            });
        }
    });
    port
}

/// A plain TCP server that echoes whatever it receives. Returns its port.
pub(crate) async fn tcp_echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(echo(tcp));
        }
    });
    port
}

/// A TCP server that answers every connection with `reply` (possibly nothing) and then either
/// keeps it open (`hold`) or closes its sending side cleanly (FIN, not RST: it keeps reading so no
/// unread data turns the close into a reset).
pub(crate) async fn scripted_server(reply: &'static [u8], hold: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = tcp.write_all(reply).await;
                if hold {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                } else {
                    let _ = tcp.shutdown().await;
                    let mut sink = Vec::new();
                    let _ = tcp.read_to_end(&mut sink).await;
                }
            });
        }
    });
    port
}

/// A port nothing listens on: bind, note the port, close.
pub(crate) async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

async fn echo<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut stream: S) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 || stream.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
}

fn server_config(setup: ServerSetup<'_>) -> ServerConfig {
    let provider = Arc::new(ring::default_provider());
    let versions: &[&SupportedProtocolVersion] = if setup.tls12_only {
        &[&TLS12]
    } else {
        &[&TLS13, &TLS12]
    };
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .unwrap();
    let builder = match setup.client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(CertificateDer::pem_slice_iter(ca).map(Result::unwrap));
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let chain = CertificateDer::pem_slice_iter(&setup.identity.cert)
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(&setup.identity.key).unwrap();
    let mut config = builder.with_single_cert(chain, key).unwrap();
    config.alpn_protocols = setup.alpn;
    config
}

/// Options trusting only `ca`.
pub(crate) fn trusting(ca: &[u8]) -> TlsOptions {
    TlsOptions {
        ca: vec![ca.to_vec()],
        ..TlsOptions::default()
    }
}

/// Builds the config and connects, failing the test if it takes more than a few seconds.
pub(crate) async fn tls_connect(
    opts: &TlsOptions,
    host: &str,
    port: u16,
) -> Result<Stream, TransportError> {
    let tls = Arc::new(TlsConnectorConfig::new(opts, host)?);
    let endpoint = Endpoint::Tls {
        host: host.to_string(),
        port,
        tls,
        proxy: None,
    };
    timed_connect(&endpoint).await
}

pub(crate) async fn timed_connect(endpoint: &Endpoint) -> Result<Stream, TransportError> {
    tokio::time::timeout(Duration::from_secs(10), connect(endpoint, None))
        .await
        .expect("connect hung")
}

/// Sends a message and expects the echo server to return it unchanged.
pub(crate) async fn assert_round_trip(stream: &mut Stream) {
    let message = b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c";
    stream.write_all(message).await.unwrap();
    let mut echoed = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut echoed))
        .await
        .expect("echo hung")
        .unwrap();
    assert_eq!(&echoed, message);
}

/// Writes, then reads: surfaces an error the server reports after the handshake (TLS 1.3 client
/// certificate rejection arrives this way).
pub(crate) async fn first_read_error(stream: &mut Stream) -> TransportError {
    let _ = stream.write_all(b"ping").await;
    let mut buf = [0u8; 4];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut buf))
        .await
        .expect("read hung");
    match read {
        Ok(_) => panic!("expected the server to reject the connection"),
        Err(err) => TransportError::read(err),
    }
}

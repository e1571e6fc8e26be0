//! Transport: opens the byte stream an MQTT connection runs over — TCP (direct or through a SOCKS
//! proxy), TLS over it (tokio-rustls with the ring provider), WebSocket over either, or, on Unix, a
//! local socket — and reports failures with the `code`/`message`
//! Node's `net`/`tls` modules would give, so MQTT.js error handling carries over.
//!
//! The TLS protocol is rustls; certificates are judged by OpenSSL's X509 verification (the one
//! Node runs) plus Node's `checkServerIdentity` rules, so verdicts and codes are Node's: X.509 v1
//! certificates, a self-signed certificate given as its own `ca`, and the CN fallback all work.
//!
//! TLS differences from Node worth knowing:
//! - An IP-address host (or `servername`) is verified against the certificate's IP SANs, and no SNI
//!   is sent for it.
//! - With TLS 1.3 a server that requires a client certificate rejects a missing one only after the
//!   client considers the handshake done, so `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED` arrives
//!   on the first read: map read/write errors with [`TransportError::read`]/[`TransportError::write`].
//! - Encrypted private keys are not supported (Node's `passphrase` option has no equivalent yet).

mod error;
mod host_identity;
mod socks;
mod stream;
mod tcp;
mod tls;
mod tls_config;
mod tls_errors;
mod tls_verify;
mod websocket;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use error::{SyscallInfo, TransportError};
pub use socks::{SocksCredentials, SocksProxy, SocksVersion, SOCKS_ERROR_CODE};
pub use stream::{AdoptedStream, PlainSocket, Stream, StreamAdopter};
pub use tls_config::{TlsConnectorConfig, TlsOptions};
pub use websocket::{WebSocketAddress, WebSocketTarget, WssTls};

/// Where to connect. A TLS endpoint carries its already validated configuration. `proxy`: the
/// TCP connection goes through this SOCKS proxy (TLS then runs over it, end to end with the broker).
#[derive(Debug, Clone)]
pub enum Endpoint {
    Tcp {
        host: String,
        port: u16,
        proxy: Option<Arc<SocksProxy>>,
    },
    Tls {
        host: String,
        port: u16,
        tls: Arc<TlsConnectorConfig>,
        proxy: Option<Arc<SocksProxy>>,
    },
    #[cfg(unix)]
    Unix { path: std::path::PathBuf },
    /// MQTT over WebSocket, over TCP (`ws://`) or TLS (`wss://`).
    WebSocket(Arc<WebSocketTarget>),
}

impl Endpoint {
    /// The same endpoint opened at another URL (MQTT.js's `transformWsUrl` result for this
    /// attempt); other endpoints are returned as they are.
    pub fn with_websocket_url(&self, url: String) -> Endpoint {
        match self {
            Endpoint::WebSocket(target) => Endpoint::WebSocket(Arc::new(WebSocketTarget {
                url,
                ..WebSocketTarget::clone(target)
            })),
            other => other.clone(),
        }
    }
}

/// Opens a stream to `endpoint`. Cancel-safe: wrap it in `tokio::time::timeout` for
/// MQTT.js's `connectTimeout`; dropping it abandons the attempt cleanly. With an adopter, the
/// TCP or Unix socket is adopted once connected, before TLS or WebSocket run over it.
pub async fn connect(
    endpoint: &Endpoint,
    adopter: Option<&StreamAdopter>,
) -> Result<Stream, TransportError> {
    match endpoint {
        Endpoint::Tcp { host, port, proxy } => {
            let tcp = open_tcp(host, *port, proxy.as_deref()).await?;
            tls::adopt(Stream::Tcp(tcp), adopter)
        }
        Endpoint::Tls {
            host,
            port,
            tls,
            proxy,
        } => tls::connect_tls(open_tcp(host, *port, proxy.as_deref()).await?, tls, adopter)
            .await
            .map(|stream| Stream::Tls(Box::new(stream))),
        #[cfg(unix)]
        Endpoint::Unix { path } => {
            tls::adopt(Stream::Unix(tcp::connect_unix(path).await?), adopter)
        }
        Endpoint::WebSocket(target) => websocket::connect_websocket(target, adopter)
            .await
            .map(|stream| Stream::WebSocket(Box::new(stream))),
    }
}

/// The TCP stream to `host:port`, direct or through a SOCKS proxy: every layer above sees the same.
async fn open_tcp(
    host: &str,
    port: u16,
    proxy: Option<&SocksProxy>,
) -> Result<tokio::net::TcpStream, TransportError> {
    match proxy {
        Some(proxy) => socks::connect_socks(proxy, host, port).await,
        None => tcp::connect_tcp(host, port).await,
    }
}

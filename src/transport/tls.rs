//! TLS connect: TCP, then the rustls handshake.

use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::error::TransportError;
use super::tcp::connect_tcp;
use super::tls_config::TlsConnectorConfig;

/// Cancel-safe: dropping the future (e.g. on the caller's connect timeout) drops the half-open
/// socket and the handshake state; nothing is left running.
pub(crate) async fn connect_tls(
    host: &str,
    port: u16,
    tls: &TlsConnectorConfig,
) -> Result<TlsStream<tokio::net::TcpStream>, TransportError> {
    let tcp = connect_tcp(host, port).await?;
    TlsConnector::from(tls.client.clone())
        .connect(tls.server_name.clone(), tcp)
        .await
        .map_err(TransportError::handshake)
}

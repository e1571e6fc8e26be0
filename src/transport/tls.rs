//! TLS connect: TCP, then the rustls handshake.

use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;
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
    // A host that is no DNS name but resolved all the same: verify the certificate
    // against the address connected to (no SNI is sent for an address).
    let server_name = match &tls.server_name {
        Some(name) => name.clone(),
        None => ServerName::IpAddress(
            tcp.peer_addr()
                .map_err(TransportError::handshake)?
                .ip()
                .into(),
        ),
    };
    TlsConnector::from(tls.client.clone())
        .connect(server_name, tcp)
        .await
        .map_err(TransportError::handshake)
}

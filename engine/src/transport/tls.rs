//! TLS connect: the rustls handshake over an open TCP stream (direct or through a SOCKS proxy).

use tokio::net::TcpStream;

use super::stream::{Stream, StreamAdopter};
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

use super::error::TransportError;
use super::tls_config::{TlsConnectorConfig, TlsServerName};

/// Cancel-safe: dropping the future (e.g. on the caller's connect timeout) drops the half-open
/// socket and the handshake state; nothing is left running. With an adopter, TLS runs over the
/// adopted socket (the handshake included).
pub(crate) async fn connect_tls(
    tcp: TcpStream,
    tls: &TlsConnectorConfig,
    adopter: Option<&StreamAdopter>,
) -> Result<TlsStream<Stream>, TransportError> {
    let server_name = match &tls.server_name {
        TlsServerName::Valid(name) => name.clone(),
        TlsServerName::Invalid {
            name,
            reject_unauthorized: true,
        } => {
            return Err(TransportError::new(
                "ERR_TLS_CERT_ALTNAME_INVALID",
                format!(
                    "Hostname/IP does not match certificate's altnames: Host: {name}. is not a valid host name"
                ),
            ))
        }
        // Nothing is verified: the address connected to (through a SOCKS proxy, the proxy's) stands
        // in; no SNI is sent for an address.
        TlsServerName::Invalid { .. } => {
            ServerName::IpAddress(tcp.peer_addr().map_err(TransportError::handshake)?.ip().into())
        }
    };
    let io = adopt(Stream::Tcp(tcp), adopter)?;
    TlsConnector::from(tls.client.clone())
        .connect(server_name, io)
        .await
        .map_err(TransportError::handshake)
}

/// `stream`, adopted if there is an adopter.
pub(crate) fn adopt(
    stream: Stream,
    adopter: Option<&StreamAdopter>,
) -> Result<Stream, TransportError> {
    match adopter {
        None => Ok(stream),
        Some(adopter) => adopter.adopt(stream).map_err(TransportError::read),
    }
}

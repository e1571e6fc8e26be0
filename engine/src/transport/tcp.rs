//! Plain TCP (and Unix socket) connects with Node-style errors.

use tokio::net::{lookup_host, TcpStream};

use super::error::TransportError;
use super::tls_config::unbracket;

/// Resolves `host` and tries each address in the resolver's order, as Node's `net.connect` does
/// without `autoSelectFamily`. There is no per-address timeout: the caller bounds the whole connect.
/// If every address fails, the last failure is reported.
pub(crate) async fn connect_tcp(host: &str, port: u16) -> Result<TcpStream, TransportError> {
    let host = unbracket(host);
    let addrs = lookup_host((host, port))
        .await
        .map_err(|err| TransportError::lookup(host, err))?;
    let mut last_error = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                // MQTT packets are small and latency-bound (PUBACK, PINGREQ): no Nagle delay.
                stream
                    .set_nodelay(true)
                    .map_err(|err| TransportError::connect(addr, err))?;
                return Ok(stream);
            }
            Err(err) => last_error = Some(TransportError::connect(addr, err)),
        }
    }
    Err(last_error.unwrap_or_else(|| TransportError::no_address(host)))
}

#[cfg(unix)]
pub(crate) async fn connect_unix(
    path: &std::path::Path,
) -> Result<tokio::net::UnixStream, TransportError> {
    tokio::net::UnixStream::connect(path)
        .await
        .map_err(|err| TransportError::connect_path(path, err))
}

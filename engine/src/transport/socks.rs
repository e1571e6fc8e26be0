//! SOCKS4/4a/5/5h proxies (MQTT.js `socksProxy`): a TCP connection to the broker made through a
//! proxy. The handshake is tokio-socks'; what comes back is the proxy's `TcpStream`, now carrying
//! the broker's bytes, so TLS (and any later layer) runs over it exactly as over a direct socket.
//!
//! As MQTT.js: `socks4`/`socks5` resolve the broker's host here and send the proxy an address
//! (`socks4` only IPv4); `socks4a`/`socks5h` send the host name and let the proxy resolve it. The
//! proxy timeout bounds the TCP connect to the proxy and the handshake, not the local lookup. Every
//! failure of the proxy itself has code `SOCKS`, as MQTT.js gives them; a failed local lookup keeps
//! its `ENOTFOUND`. Unlike MQTT.js, credentials in the proxy URL are used.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::net::{lookup_host, TcpStream};
use tokio_socks::tcp::{Socks4Stream, Socks5Stream};
use tokio_socks::{Error as SocksError, TargetAddr};

use super::error::TransportError;
use super::tcp::connect_tcp;
use super::tls_config::unbracket;

/// MQTT.js's `err.code` for every failure of the proxy.
pub const SOCKS_ERROR_CODE: &str = "SOCKS";

/// The SOCKS protocol version spoken to the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocksVersion {
    V4,
    V5,
}

/// A SOCKS proxy the broker connection goes through (one per client, shared by its endpoints).
#[derive(Clone, PartialEq, Eq)]
pub struct SocksProxy {
    pub version: SocksVersion,
    /// `socks4a`/`socks5h`: the broker's host name goes to the proxy, which resolves it.
    pub remote_dns: bool,
    pub host: String,
    pub port: u16,
    /// SOCKS5 username/password authentication (RFC 1929). For SOCKS4 only the username is
    /// used, as the request's user id; SOCKS4 has no password.
    pub credentials: Option<SocksCredentials>,
    /// Bounds the TCP connect to the proxy plus the handshake (MQTT.js `socksTimeout`).
    pub timeout: Duration,
}

#[derive(Clone, PartialEq, Eq)]
pub struct SocksCredentials {
    pub username: String,
    pub password: String,
}

// The password stays out of logs and debug output.
impl fmt::Debug for SocksProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocksProxy")
            .field("version", &self.version)
            .field("remote_dns", &self.remote_dns)
            .field("host", &self.host)
            .field("port", &self.port)
            .field(
                "username",
                &self.credentials.as_ref().map(|c| c.username.as_str()),
            )
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl SocksProxy {
    /// `SOCKS5 proxy 127.0.0.1:1080`, the start of every error message.
    fn name(&self) -> String {
        let version = match self.version {
            SocksVersion::V4 => 4,
            SocksVersion::V5 => 5,
        };
        let host = unbracket(&self.host);
        if host.contains(':') {
            format!("SOCKS{version} proxy [{host}]:{}", self.port)
        } else {
            format!("SOCKS{version} proxy {host}:{}", self.port)
        }
    }

    fn error(&self, message: impl fmt::Display) -> TransportError {
        TransportError::new(SOCKS_ERROR_CODE, format!("{} {message}", self.name()))
    }
}

/// Opens a TCP stream to `host:port` through `proxy`. Cancel-safe, like [`connect_tcp`].
pub(crate) async fn connect_socks(
    proxy: &SocksProxy,
    host: &str,
    port: u16,
) -> Result<TcpStream, TransportError> {
    let host = unbracket(host);
    let target = target_address(proxy, host, port).await?;
    let destination = match &target {
        TargetAddr::Ip(addr) => addr.to_string(),
        TargetAddr::Domain(name, port) => format!("{name}:{port}"),
    };
    match tokio::time::timeout(proxy.timeout, handshake(proxy, target)).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(Failure::Unreachable(err))) => Err(err.behind_proxy(proxy.name())),
        Ok(Err(Failure::Handshake(err))) => Err(proxy.error(describe(proxy, &destination, err))),
        Err(_elapsed) => Err(proxy.error(format_args!(
            "did not complete the handshake within {} ms (socksTimeout): Proxy connection timed out",
            proxy.timeout.as_millis()
        ))),
    }
}

/// What the proxy is asked to connect to: the host name itself for `socks4a`/`socks5h`, else an
/// address looked up here (for SOCKS4 an IPv4 one, the only kind it can carry).
async fn target_address(
    proxy: &SocksProxy,
    host: &str,
    port: u16,
) -> Result<TargetAddr<'static>, TransportError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(TargetAddr::Ip(SocketAddr::new(ip, port)));
    }
    if proxy.remote_dns {
        return Ok(TargetAddr::Domain(host.to_string().into(), port));
    }
    let mut addrs = lookup_host((host, port))
        .await
        .map_err(|err| TransportError::lookup(host, err))?;
    let found = match proxy.version {
        SocksVersion::V4 => addrs.find(SocketAddr::is_ipv4),
        SocksVersion::V5 => addrs.next(),
    };
    found
        .map(TargetAddr::Ip)
        .ok_or_else(|| TransportError::no_address(host))
}

enum Failure {
    /// The proxy itself could not be reached (Node-style connect error).
    Unreachable(TransportError),
    /// The proxy answered, and the handshake failed.
    Handshake(SocksError),
}

async fn handshake(proxy: &SocksProxy, target: TargetAddr<'static>) -> Result<TcpStream, Failure> {
    let socket = connect_tcp(&proxy.host, proxy.port)
        .await
        .map_err(Failure::Unreachable)?;
    let credentials = proxy.credentials.as_ref();
    let stream = match proxy.version {
        SocksVersion::V5 => match credentials {
            Some(c) => {
                Socks5Stream::connect_with_password_and_socket(
                    socket,
                    target,
                    &c.username,
                    &c.password,
                )
                .await
            }
            None => Socks5Stream::connect_with_socket(socket, target).await,
        }
        .map(Socks5Stream::into_inner),
        SocksVersion::V4 => match credentials {
            Some(c) => {
                check_socks4_request_fits(&c.username, &target).map_err(Failure::Handshake)?;
                Socks4Stream::connect_with_userid_and_socket(socket, target, &c.username).await
            }
            None => Socks4Stream::connect_with_socket(socket, target).await,
        }
        .map(Socks4Stream::into_inner),
    };
    stream.map_err(Failure::Handshake)
}

/// tokio-socks builds a SOCKS4 request in a 513-byte buffer; a user id and a host name that are
/// both near their 255-byte limits would overrun it. Refused here instead.
fn check_socks4_request_fits(user_id: &str, target: &TargetAddr<'_>) -> Result<(), SocksError> {
    let domain = match target {
        TargetAddr::Domain(name, _) => name.len() + 1,
        TargetAddr::Ip(_) => 0,
    };
    if 8 + user_id.len() + 1 + domain > 513 {
        return Err(SocksError::InvalidAuthValues(
            "user id and host name together are too long for a SOCKS4 request",
        ));
    }
    Ok(())
}

/// The words after "SOCKS5 proxy host:port" for a failed handshake.
fn describe(proxy: &SocksProxy, destination: &str, err: SocksError) -> String {
    use SocksError as E;
    let rejected = |reason: &str, reply: u8| {
        format!("rejected the connection to {destination}: {reason} (reply 0x{reply:02x})")
    };
    match (proxy.version, err) {
        (_, E::Io(err)) if err.kind() == io::ErrorKind::UnexpectedEof => {
            "closed the connection during the handshake".to_string()
        }
        (_, E::Io(err)) => format!("handshake failed: {err}"),
        // SOCKS5 replies (RFC 1928 section 6).
        (SocksVersion::V5, E::GeneralSocksServerFailure) => {
            rejected("general SOCKS server failure", 0x01)
        }
        (_, E::ConnectionNotAllowedByRuleset) => {
            rejected("connection not allowed by ruleset", 0x02)
        }
        (_, E::NetworkUnreachable) => rejected("network unreachable", 0x03),
        (_, E::HostUnreachable) => rejected("host unreachable", 0x04),
        (_, E::ConnectionRefused) => rejected("connection refused by the destination", 0x05),
        (_, E::TtlExpired) => rejected("TTL expired", 0x06),
        (_, E::CommandNotSupported) => rejected("command not supported", 0x07),
        (SocksVersion::V5, E::AddressTypeNotSupported) => {
            rejected("address type not supported", 0x08)
        }
        (SocksVersion::V5, E::UnknownError) => {
            format!("rejected the connection to {destination}: unassigned reply code")
        }
        // SOCKS4 replies (0x5b..0x5d).
        (SocksVersion::V4, E::GeneralSocksServerFailure) => {
            rejected("request rejected or failed", 0x5b)
        }
        (_, E::IdentdAuthFailure) => rejected("the proxy cannot reach identd on this host", 0x5c),
        (_, E::InvalidUserIdAuthFailure) => {
            rejected("the user id does not match what identd reports", 0x5d)
        }
        (SocksVersion::V4, E::UnknownError) => {
            format!("rejected the connection to {destination}: unknown reply code")
        }
        (SocksVersion::V4, E::AddressTypeNotSupported) => {
            format!("cannot reach {destination}: SOCKS4 carries only IPv4 addresses (use socks4a:// or socks5://)")
        }
        // Authentication (RFC 1929).
        (_, E::NoAcceptableAuthMethods | E::AuthorizationRequired)
            if proxy.credentials.is_none() =>
        {
            "requires authentication: put username:password in the socksProxy URL".to_string()
        }
        (_, E::NoAcceptableAuthMethods) => {
            "accepts none of the offered authentication methods (none, username/password)"
                .to_string()
        }
        // The status byte is the server's own (RFC 1929: anything but 0 is a failure).
        (_, E::PasswordAuthFailure(_)) => "rejected the username/password".to_string(),
        (_, E::InvalidAuthValues(detail)) => format!("cannot be given these credentials: {detail}"),
        (_, E::InvalidTargetAddress(detail)) => {
            format!("cannot be asked for {destination}: {detail}")
        }
        (_, other) => {
            format!("sent an invalid reply ({other}): is it a SOCKS proxy of this version?")
        }
    }
}

impl TransportError {
    /// A failed connect to the proxy itself: code `SOCKS` as in MQTT.js, the connect error's
    /// words and Node's syscall fields kept.
    fn behind_proxy(self, proxy: String) -> Self {
        let message = format!("{proxy} unreachable: {}", self.message());
        self.with_code_and_message(SOCKS_ERROR_CODE, message)
    }
}

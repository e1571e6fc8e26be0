//! `TransportError`: one error type for everything the transport can report, shaped like the errors
//! Node's `net` and `tls` modules give (`err.code` + `err.message`), so the binding can hand it to JS
//! as-is and MQTT.js users keep matching on the same codes.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::net::SocketAddr;

use tokio_rustls::rustls;

use super::tls_errors;

/// What went wrong while opening or using a transport stream.
#[derive(Debug)]
pub struct TransportError {
    code: Option<Cow<'static, str>>,
    message: String,
    // Boxed: most errors have none, and every `Result` carrying this error pays for its size.
    syscall: Option<Box<SyscallInfo>>,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

/// The fields Node's `net` module puts on the error of a failed system call, beside `code`:
/// `{ errno: -111, code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 1883 }`,
/// `{ errno: -3008, code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'nope.invalid' }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyscallInfo {
    /// Node's `err.errno`: the negative libuv error number (see `uv_errno`).
    pub errno: Option<i32>,
    /// `connect`, `getaddrinfo`, `read`, `write`.
    pub syscall: &'static str,
    /// A connect's target: an IP address (IPv6 without brackets) or a Unix socket path.
    pub address: Option<String>,
    /// A TCP connect's target port.
    pub port: Option<u16>,
    /// A lookup's host name.
    pub hostname: Option<String>,
}

impl SyscallInfo {
    fn new(syscall: &'static str, code: Option<&str>) -> Self {
        SyscallInfo {
            errno: code.and_then(uv_errno),
            syscall,
            address: None,
            port: None,
            hostname: None,
        }
    }
}

impl TransportError {
    /// The Node-style `err.code` (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, ...), if there is one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The Node-style `err.message`.
    pub fn message(&self) -> String {
        self.message.clone()
    }

    /// Node's `errno`/`syscall`/`address`/`port`/`hostname`, when a system call failed.
    pub fn syscall_info(&self) -> Option<&SyscallInfo> {
        self.syscall.as_deref()
    }

    pub(crate) fn new(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self {
            code: Some(code.into()),
            message: message.into(),
            syscall: None,
            source: None,
        }
    }

    /// A WebSocket handshake failure, worded as the `ws` package words it and, as there,
    /// without a code.
    pub(crate) fn websocket(message: impl Into<String>) -> Self {
        Self {
            code: None,
            message: message.into(),
            syscall: None,
            source: None,
        }
    }

    /// Marks this error as the failure of `syscall`, with Node's errno for its code.
    fn of_syscall(mut self, syscall: &'static str, fill: impl FnOnce(&mut SyscallInfo)) -> Self {
        let mut info = SyscallInfo::new(syscall, self.code());
        fill(&mut info);
        self.syscall = Some(Box::new(info));
        self
    }

    /// The same failure under another code and message (e.g. a connect error that happened
    /// while reaching a proxy); syscall fields and source are kept.
    pub(crate) fn with_code_and_message(
        mut self,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        self.code = Some(Cow::Borrowed(code));
        self.message = message.into();
        self
    }

    fn with_source(mut self, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// A TLS option that cannot be used. Node reports bad option values as `ERR_INVALID_ARG_VALUE`;
    /// the message always starts with the option's name so the user knows which one to fix.
    pub(crate) fn invalid_option(option: &str, problem: impl fmt::Display) -> Self {
        Self::new(
            "ERR_INVALID_ARG_VALUE",
            format!("Invalid TLS option `{option}`: {problem}"),
        )
    }

    /// Name resolution failed, as Node's `getaddrinfo` errors read.
    pub(crate) fn lookup(host: &str, err: io::Error) -> Self {
        // std only exposes gai_strerror()'s text; "try again" is the one case worth telling apart
        // because Node gives it its own code and it is transient.
        let code = if err.to_string().contains("Temporary failure") {
            "EAI_AGAIN"
        } else {
            "ENOTFOUND"
        };
        Self::new(code, format!("getaddrinfo {code} {host}"))
            .with_source(err)
            .of_syscall("getaddrinfo", |info| info.hostname = Some(host.to_string()))
    }

    /// The name resolved to no address at all.
    pub(crate) fn no_address(host: &str) -> Self {
        Self::new("ENOTFOUND", format!("getaddrinfo ENOTFOUND {host}"))
            .of_syscall("getaddrinfo", |info| info.hostname = Some(host.to_string()))
    }

    /// A TCP connect to one resolved address failed: "connect ECONNREFUSED 127.0.0.1:1883".
    pub(crate) fn connect(addr: SocketAddr, err: io::Error) -> Self {
        // Node prints IPv6 addresses without brackets ("connect ECONNREFUSED ::1:1883").
        let address = addr.ip().to_string();
        Self::connect_failed(format!("{address}:{}", addr.port()), err).of_syscall(
            "connect",
            |info| {
                info.address = Some(address);
                info.port = Some(addr.port());
            },
        )
    }

    /// A Unix socket connect failed: "connect ENOENT /run/mqtt.sock".
    #[cfg(unix)]
    pub(crate) fn connect_path(path: &std::path::Path, err: io::Error) -> Self {
        let address = path.display().to_string();
        Self::connect_failed(address.clone(), err)
            .of_syscall("connect", |info| info.address = Some(address))
    }

    fn connect_failed(target: String, err: io::Error) -> Self {
        let message = match errno_code(err.kind()) {
            Some(code) => format!("connect {code} {target}"),
            None => format!("connect {target}: {err}"),
        };
        Self::from_io_with_message(err, message)
    }

    /// An error while the TLS handshake was in progress.
    pub(crate) fn handshake(err: io::Error) -> Self {
        if err.kind() == io::ErrorKind::UnexpectedEof && rustls_error(&err).is_none() {
            // Typically a plain-TCP broker port that dropped our ClientHello. Node's exact words.
            return Self::new(
                "ECONNRESET",
                "Client network socket disconnected before secure TLS connection was established",
            )
            .with_source(err);
        }
        Self::read(err)
    }

    /// An error reading from an established stream. With TLS 1.3 a server that rejects our client
    /// certificate only says so after the client's handshake is complete, so the alert
    /// (`ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`) arrives here, on the first read.
    pub fn read(err: io::Error) -> Self {
        Self::from_stream_io("read", err)
    }

    /// An error writing to an established stream ("write EPIPE").
    pub fn write(err: io::Error) -> Self {
        Self::from_stream_io("write", err)
    }

    fn from_stream_io(syscall: &'static str, err: io::Error) -> Self {
        if let Some(tls) = rustls_error(&err) {
            return tls_errors::from_rustls(tls).with_source(err);
        }
        let message = match errno_code(err.kind()) {
            Some(code) => format!("{syscall} {code}"),
            None => format!("{syscall}: {err}"),
        };
        Self::from_io_with_message(err, message).of_syscall(syscall, |_| {})
    }

    fn from_io_with_message(err: io::Error, message: String) -> Self {
        Self {
            code: io_code(err.kind()),
            message,
            syscall: None,
            source: Some(Box::new(err)),
        }
    }
}

/// Node's `err.errno` for an error code: libuv's number, which on Unix is the negated POSIX errno,
/// and for failed lookups one of libuv's own `UV_EAI_*` numbers.
fn uv_errno(code: &str) -> Option<i32> {
    // libuv's UV_EAI_NONAME / UV_EAI_AGAIN (uv-errno.h): Node reports EAI_NONAME as ENOTFOUND.
    const UV_EAI_NONAME: i32 = -3008;
    const UV_EAI_AGAIN: i32 = -3001;
    let posix = match code {
        "ENOTFOUND" => return Some(UV_EAI_NONAME),
        "EAI_AGAIN" => return Some(UV_EAI_AGAIN),
        "ECONNREFUSED" => libc::ECONNREFUSED,
        "ECONNRESET" => libc::ECONNRESET,
        "ECONNABORTED" => libc::ECONNABORTED,
        "ETIMEDOUT" => libc::ETIMEDOUT,
        "EHOSTUNREACH" => libc::EHOSTUNREACH,
        "ENETUNREACH" => libc::ENETUNREACH,
        "ENETDOWN" => libc::ENETDOWN,
        "EADDRNOTAVAIL" => libc::EADDRNOTAVAIL,
        "EADDRINUSE" => libc::EADDRINUSE,
        "EPIPE" => libc::EPIPE,
        "ENOTCONN" => libc::ENOTCONN,
        "EACCES" => libc::EACCES,
        "ENOENT" => libc::ENOENT,
        _ => return None,
    };
    Some(-posix)
}

/// tokio-rustls wraps every rustls failure in an `io::Error`; dig it back out.
fn rustls_error(err: &io::Error) -> Option<&rustls::Error> {
    err.get_ref()?.downcast_ref::<rustls::Error>()
}

/// The POSIX errno name Node would put in `err.code`, for the kinds a socket realistically reports.
fn errno_code(kind: io::ErrorKind) -> Option<&'static str> {
    use io::ErrorKind as K;
    Some(match kind {
        K::ConnectionRefused => "ECONNREFUSED",
        K::ConnectionReset => "ECONNRESET",
        K::ConnectionAborted => "ECONNABORTED",
        K::TimedOut => "ETIMEDOUT",
        K::HostUnreachable => "EHOSTUNREACH",
        K::NetworkUnreachable => "ENETUNREACH",
        K::NetworkDown => "ENETDOWN",
        K::AddrNotAvailable => "EADDRNOTAVAIL",
        K::AddrInUse => "EADDRINUSE",
        K::BrokenPipe => "EPIPE",
        K::NotConnected => "ENOTCONN",
        K::PermissionDenied => "EACCES",
        K::NotFound => "ENOENT",
        K::UnexpectedEof => "ECONNRESET",
        _ => return None,
    })
}

/// `errno_code`, else the `io::ErrorKind` name so the JS side still has something to match on.
/// `Other` carries no information, so it gives no code.
fn io_code(kind: io::ErrorKind) -> Option<Cow<'static, str>> {
    match errno_code(kind) {
        Some(code) => Some(Cow::Borrowed(code)),
        None if kind == io::ErrorKind::Other => None,
        None => Some(Cow::Owned(format!("{kind:?}"))),
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_connect_reads_like_node() {
        let addr: SocketAddr = "127.0.0.1:1883".parse().unwrap();
        let err = TransportError::connect(addr, io::ErrorKind::ConnectionRefused.into());
        assert_eq!(err.code(), Some("ECONNREFUSED"));
        assert_eq!(err.message(), "connect ECONNREFUSED 127.0.0.1:1883");
    }

    #[test]
    fn refused_connect_carries_node_syscall_fields() {
        let addr: SocketAddr = "127.0.0.1:1883".parse().unwrap();
        let err = TransportError::connect(addr, io::ErrorKind::ConnectionRefused.into());
        assert_eq!(
            err.syscall_info(),
            Some(&SyscallInfo {
                errno: Some(-libc::ECONNREFUSED),
                syscall: "connect",
                address: Some("127.0.0.1".into()),
                port: Some(1883),
                hostname: None,
            })
        );
    }

    #[test]
    fn failed_lookup_carries_node_getaddrinfo_fields() {
        let err = TransportError::no_address("nope.invalid");
        let info = err.syscall_info().unwrap();
        assert_eq!(info.errno, Some(-3008));
        assert_eq!(info.syscall, "getaddrinfo");
        assert_eq!(info.hostname.as_deref(), Some("nope.invalid"));
        assert_eq!((info.address.as_deref(), info.port), (None, None));
    }

    #[test]
    fn stream_errors_name_their_syscall() {
        let err = TransportError::read(io::ErrorKind::ConnectionReset.into());
        let info = err.syscall_info().unwrap();
        assert_eq!(
            (info.syscall, info.errno),
            ("read", Some(-libc::ECONNRESET))
        );
        let err = TransportError::write(io::ErrorKind::BrokenPipe.into());
        let info = err.syscall_info().unwrap();
        assert_eq!((info.syscall, info.errno), ("write", Some(-libc::EPIPE)));
    }

    #[test]
    fn ipv6_address_is_printed_without_brackets() {
        let addr: SocketAddr = "[::1]:8883".parse().unwrap();
        let err = TransportError::connect(addr, io::ErrorKind::TimedOut.into());
        assert_eq!(err.code(), Some("ETIMEDOUT"));
        assert_eq!(err.message(), "connect ETIMEDOUT ::1:8883");
    }

    #[test]
    fn unknown_io_kind_falls_back_to_kind_name() {
        let err = TransportError::read(io::ErrorKind::InvalidInput.into());
        assert_eq!(err.code(), Some("InvalidInput"));
        let err = TransportError::read(io::Error::other("mystery"));
        assert_eq!(err.code(), None);
        assert_eq!(err.message(), "read: mystery");
    }

    #[test]
    fn lookup_failure_is_enotfound() {
        let err = TransportError::lookup(
            "nope.invalid",
            io::Error::other("Name or service not known"),
        );
        assert_eq!(err.code(), Some("ENOTFOUND"));
        assert_eq!(err.message(), "getaddrinfo ENOTFOUND nope.invalid");
    }

    #[test]
    fn eof_during_handshake_is_node_disconnect_message() {
        let err = TransportError::handshake(io::ErrorKind::UnexpectedEof.into());
        assert_eq!(err.code(), Some("ECONNRESET"));
        assert!(err
            .message()
            .starts_with("Client network socket disconnected"));
    }

    #[test]
    fn rustls_error_inside_io_error_is_mapped() {
        let tls = rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired);
        let err = TransportError::read(io::Error::new(io::ErrorKind::InvalidData, tls));
        assert_eq!(
            err.code(),
            Some("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED")
        );
    }
}

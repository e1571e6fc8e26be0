//! `Stream`: one type for every kind of established connection, so the connection task is written
//! once against `AsyncRead + AsyncWrite`.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::websocket::WebSocketByteStream;

/// An established byte stream.
#[derive(Debug)]
pub enum Stream {
    Tcp(TcpStream),
    /// Boxed: the TLS state is large and would bloat every `Stream` otherwise. Over a `Tcp`
    /// stream, or an `Adopted` one.
    Tls(Box<TlsStream<Stream>>),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
    /// Boxed for the same reason; it wraps a `Tcp` or `Tls` stream.
    WebSocket(Box<WebSocketByteStream>),
    /// A `Tcp` or `Unix` stream that a [`StreamAdopter`] took out of tokio's reactor.
    Adopted(Box<dyn AdoptedStream>),
}

/// A plain socket, non-blocking, no longer registered with tokio's reactor.
#[derive(Debug)]
pub enum PlainSocket {
    Tcp(std::net::TcpStream),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixStream),
}

/// A byte stream whose readiness comes from somewhere other than tokio's
/// reactor (the addon watches plain sockets from Node's own event loop).
pub trait AdoptedStream: AsyncRead + AsyncWrite + Send + Unpin + fmt::Debug {}

/// Takes plain sockets (TCP, Unix) out of tokio's reactor once they are
/// connected, for a driver that polls the connection somewhere else. Secured
/// and framed streams (TLS, WebSocket) stay with tokio.
#[derive(Clone)]
pub struct StreamAdopter(
    Arc<dyn Fn(PlainSocket) -> io::Result<Box<dyn AdoptedStream>> + Send + Sync>,
);

impl StreamAdopter {
    pub fn new(
        adopt: impl Fn(PlainSocket) -> io::Result<Box<dyn AdoptedStream>> + Send + Sync + 'static,
    ) -> Self {
        StreamAdopter(Arc::new(adopt))
    }

    /// The stream to use: `stream` itself unless it is a plain socket.
    pub fn adopt(&self, stream: Stream) -> io::Result<Stream> {
        let socket = match stream {
            Stream::Tcp(stream) => PlainSocket::Tcp(stream.into_std()?),
            #[cfg(unix)]
            Stream::Unix(stream) => PlainSocket::Unix(stream.into_std()?),
            other => return Ok(other),
        };
        (self.0)(socket).map(Stream::Adopted)
    }
}

impl fmt::Debug for StreamAdopter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StreamAdopter")
    }
}

/// Forwards a poll method to whichever stream is inside.
macro_rules! delegate {
    ($self:ident.$method:ident($($arg:expr),*)) => {
        match $self.get_mut() {
            Stream::Tcp(stream) => Pin::new(stream).$method($($arg),*),
            Stream::Tls(stream) => Pin::new(stream.as_mut()).$method($($arg),*),
            #[cfg(unix)]
            Stream::Unix(stream) => Pin::new(stream).$method($($arg),*),
            Stream::WebSocket(stream) => Pin::new(stream.as_mut()).$method($($arg),*),
            Stream::Adopted(stream) => Pin::new(stream.as_mut()).$method($($arg),*),
        }
    };
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        delegate!(self.poll_read(cx, buf))
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        delegate!(self.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Tcp(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
            #[cfg(unix)]
            Stream::Unix(s) => s.is_write_vectored(),
            Stream::WebSocket(s) => s.is_write_vectored(),
            Stream::Adopted(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self.poll_flush(cx))
    }

    /// For TLS this sends close_notify before shutting the TCP write side; for a WebSocket, a
    /// close frame first.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self.poll_shutdown(cx))
    }
}

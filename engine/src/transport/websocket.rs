//! MQTT over WebSocket (`ws://`, `wss://`): the opening handshake over our own TCP or TLS stream,
//! then a byte stream whose writes go out as binary frames and whose reads are the payloads of the
//! frames received, so the connection task stays written against `AsyncRead + AsyncWrite`.
//!
//! Framing is free in both directions, as MQTT over WebSocket allows: a packet split across frames
//! or many packets in one frame read the same, and each write of the connection's batched write
//! queue becomes one frame (never a frame per packet). Pings are answered by the WebSocket layer
//! as they are read; a close frame (or the peer closing TCP without one) reads as end of stream.
//!
//! Handshake failures read as the `ws` package (which MQTT.js uses) words them:
//! `Unexpected server response: 401`, `Server sent no subprotocol`.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};
use futures_util::{Sink, Stream as FuturesStream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{Error as WsError, ProtocolError, UrlError};
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue, Uri};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::error::TransportError;
use super::stream::Stream;
use super::stream::StreamAdopter;
use super::tcp::connect_tcp;
use super::tls::{adopt, connect_tls};
use super::tls_config::{TlsConnectorConfig, TlsOptions};

/// Frames (and messages) larger than this are refused whatever the packet size limit, so a peer
/// announcing a huge frame cannot make us buffer it: the WebSocket layer holds a whole frame
/// before handing it over.
const MIN_MAX_FRAME: usize = 16 * 1024 * 1024;

/// A WebSocket broker: the URL to open and what goes into the opening handshake.
#[derive(Debug, Clone)]
pub struct WebSocketTarget {
    /// `ws://host:port/path?query` or `wss://…`, as MQTT.js builds it (after `transformWsUrl`).
    pub url: String,
    /// Extra request headers (`wsOptions.headers`), in order; a name may repeat.
    pub headers: Vec<(String, String)>,
    /// `mqtt`, or `mqttv3.1` for MQTT 3.1.
    pub subprotocol: String,
    /// TLS for `wss://`. The connector is built for the URL's host once and reused; a URL for
    /// another host (from `transformWsUrl`) gets its own.
    pub tls: Option<WssTls>,
    /// Largest frame or message accepted (at least [`MIN_MAX_FRAME`]).
    pub max_frame_size: usize,
}

/// The TLS options of a `wss://` target and the connector built from them for `host`.
#[derive(Debug, Clone)]
pub struct WssTls {
    pub options: TlsOptions,
    pub host: String,
    pub connector: Arc<TlsConnectorConfig>,
}

impl WssTls {
    /// Validates the options by building the connector for `host` (errors name the option).
    pub fn new(options: TlsOptions, host: &str) -> Result<Self, TransportError> {
        let connector = Arc::new(TlsConnectorConfig::new(&options, host)?);
        Ok(Self {
            options,
            host: host.to_string(),
            connector,
        })
    }

    fn connector_for(&self, host: &str) -> Result<Arc<TlsConnectorConfig>, TransportError> {
        if host == self.host {
            return Ok(self.connector.clone());
        }
        TlsConnectorConfig::new(&self.options, host).map(Arc::new)
    }
}

/// Where a WebSocket URL points.
#[derive(Debug, PartialEq, Eq)]
pub struct WebSocketAddress {
    pub secure: bool,
    /// Without brackets for IPv6.
    pub host: String,
    pub port: u16,
}

impl WebSocketAddress {
    /// Parses `ws://` / `wss://` URLs (default ports 80 and 443).
    pub fn parse(url: &str) -> Result<Self, TransportError> {
        let invalid = |why: &str| {
            TransportError::new(
                "ERR_INVALID_URL",
                format!("Invalid WebSocket URL {url:?}: {why}"),
            )
        };
        let uri: Uri = url.parse().map_err(|_| invalid("not a URL"))?;
        let secure = match uri.scheme_str() {
            Some(scheme) if scheme.eq_ignore_ascii_case("ws") => false,
            Some(scheme) if scheme.eq_ignore_ascii_case("wss") => true,
            _ => return Err(invalid("the scheme must be ws: or wss:")),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| invalid("no host"))?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .to_string();
        let port = match uri.port_u16() {
            Some(0) => return Err(invalid("port 0")),
            Some(port) => port,
            None if secure => 443,
            None => 80,
        };
        Ok(Self { secure, host, port })
    }
}

/// Opens TCP (and TLS for `wss://`) to the URL's host, then runs the WebSocket handshake.
pub(crate) async fn connect_websocket(
    target: &WebSocketTarget,
    adopter: Option<&StreamAdopter>,
) -> Result<WebSocketByteStream, TransportError> {
    let address = WebSocketAddress::parse(&target.url)?;
    let request = handshake_request(target)?;
    let stream = if address.secure {
        let tls = target.tls.as_ref().ok_or_else(|| {
            TransportError::new(
                "ERR_INVALID_URL",
                format!(
                    "{}: a wss:// URL for a connection configured as ws:// (no TLS options)",
                    target.url
                ),
            )
        })?;
        let connector = tls.connector_for(&address.host)?;
        let tcp = connect_tcp(&address.host, address.port).await?;
        Stream::Tls(Box::new(connect_tls(tcp, &connector, adopter).await?))
    } else {
        adopt(
            Stream::Tcp(connect_tcp(&address.host, address.port).await?),
            adopter,
        )?
    };
    let config = WebSocketConfig::default()
        .read_buffer_size(64 * 1024)
        .max_frame_size(Some(target.max_frame_size.max(MIN_MAX_FRAME)))
        .max_message_size(Some(target.max_frame_size.max(MIN_MAX_FRAME)));
    let (socket, _response) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config))
            .await
            .map_err(handshake_error)?;
    Ok(WebSocketByteStream::new(socket))
}

fn handshake_request(
    target: &WebSocketTarget,
) -> Result<tokio_tungstenite::tungstenite::handshake::client::Request, TransportError> {
    let mut request = target
        .url
        .as_str()
        .into_client_request()
        .map_err(handshake_error)?;
    let headers = request.headers_mut();
    for (name, value) in &target.headers {
        let bad = |what: &str| {
            TransportError::new(
                "ERR_INVALID_HTTP_TOKEN",
                format!("Invalid option wsOptions.headers: {what} {name:?}"),
            )
        };
        let name_ = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad("header name"))?;
        let value = HeaderValue::from_str(value).map_err(|_| bad("value of header"))?;
        headers.append(name_, value);
    }
    let subprotocol = HeaderValue::from_str(&target.subprotocol).map_err(|_| {
        TransportError::new(
            "ERR_INVALID_ARG_VALUE",
            format!("Invalid subprotocol {:?}", target.subprotocol),
        )
    })?;
    headers.insert("sec-websocket-protocol", subprotocol);
    Ok(request)
}

fn handshake_error(error: WsError) -> TransportError {
    match error {
        WsError::Http(response) => TransportError::websocket(format!(
            "Unexpected server response: {}",
            response.status().as_u16()
        )),
        // TLS alerts sent after our side of the handshake (TLS 1.3 client auth) arrive here.
        WsError::Io(err) => TransportError::read(err),
        WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(err)) => {
            TransportError::websocket(err.to_string())
        }
        WsError::Protocol(ProtocolError::HandshakeIncomplete) => TransportError::websocket(
            "Connection closed by the server during the WebSocket handshake",
        ),
        WsError::Url(UrlError::UnsupportedUrlScheme) => {
            TransportError::websocket("Invalid WebSocket URL: the scheme must be ws: or wss:")
        }
        other => TransportError::websocket(format!("WebSocket handshake failed: {other}")),
    }
}

/// An established WebSocket seen as a byte stream.
pub struct WebSocketByteStream {
    socket: WebSocketStream<Stream>,
    /// What is left of the last binary frame read.
    unread: Bytes,
    /// Bytes taken by the frame still being flushed: a write returns only once its frame is out,
    /// so nothing waits in the WebSocket layer's buffer without a caller polling for it.
    in_flight: Option<usize>,
    /// The stream ended (close frame or TCP end).
    closed: bool,
    /// A read failure met after some bytes were handed out, reported on the next read.
    read_error: Option<io::Error>,
}

impl std::fmt::Debug for WebSocketByteStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketByteStream")
            .field("unread", &self.unread.len())
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}

impl WebSocketByteStream {
    fn new(socket: WebSocketStream<Stream>) -> Self {
        Self {
            socket,
            unread: Bytes::new(),
            in_flight: None,
            closed: false,
            read_error: None,
        }
    }

    /// Writes `frame` (built from what the caller passed, `taken` bytes) as one binary frame,
    /// resolving once it is flushed. A call while a frame is in flight must pass the same leading
    /// bytes again (as every retrying writer does); it completes the earlier frame.
    fn poll_send(
        &mut self,
        cx: &mut Context<'_>,
        build: impl FnOnce() -> (Bytes, usize),
    ) -> Poll<io::Result<usize>> {
        if self.in_flight.is_none() {
            ready!(Pin::new(&mut self.socket).poll_ready(cx)).map_err(write_error)?;
            let (frame, taken) = build();
            if taken == 0 {
                return Poll::Ready(Ok(0));
            }
            Pin::new(&mut self.socket)
                .start_send(Message::Binary(frame))
                .map_err(write_error)?;
            self.in_flight = Some(taken);
        }
        ready!(Pin::new(&mut self.socket).poll_flush(cx)).map_err(write_error)?;
        Poll::Ready(Ok(self.in_flight.take().unwrap_or(0)))
    }
}

fn write_error(error: WsError) -> io::Error {
    match error {
        WsError::Io(err) => err,
        WsError::ConnectionClosed | WsError::AlreadyClosed => {
            io::Error::new(io::ErrorKind::BrokenPipe, "WebSocket closed")
        }
        other => io::Error::other(other),
    }
}

impl AsyncRead for WebSocketByteStream {
    /// Hands out every frame already received, not one frame per read: brokers send a frame per
    /// packet, and a read per small frame would defeat the connection's read batching.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let start = buf.filled().len();
        loop {
            if !this.unread.is_empty() {
                let n = this.unread.len().min(buf.remaining());
                buf.put_slice(&this.unread[..n]);
                this.unread.advance(n);
                if buf.remaining() == 0 {
                    return Poll::Ready(Ok(()));
                }
                continue;
            }
            let got_some = buf.filled().len() > start;
            if this.closed {
                return Poll::Ready(Ok(()));
            }
            if let Some(err) = this.read_error.take() {
                return Poll::Ready(Err(err));
            }
            let next = match Pin::new(&mut this.socket).poll_next(cx) {
                Poll::Pending if got_some => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
                Poll::Ready(next) => next,
            };
            match next {
                Some(Ok(Message::Binary(payload))) => this.unread = payload,
                // MQTT says binary; the `ws` stream MQTT.js reads passes text frames on as bytes.
                Some(Ok(Message::Text(text))) => this.unread = Bytes::from(text),
                // Pongs for pings are queued by the WebSocket layer and sent as it reads.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                // A close frame: its answer (queued by the WebSocket layer) goes out if the
                // socket takes it now; the stream ends either way.
                Some(Ok(Message::Close(_))) => {
                    let _ = Pin::new(&mut this.socket).poll_flush(cx);
                    this.closed = true;
                }
                // TCP closed without a close frame: the end of the stream, as for TCP.
                Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed))
                | Some(Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake)))
                | None => this.closed = true,
                // Bytes already copied go first; the error comes with the next read.
                Some(Err(WsError::Io(err))) => this.read_error = Some(err),
                Some(Err(other)) => {
                    this.read_error = Some(io::Error::new(io::ErrorKind::InvalidData, other))
                }
            }
        }
    }
}

impl AsyncWrite for WebSocketByteStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_send(cx, || (Bytes::copy_from_slice(buf), buf.len()))
    }

    /// All slices go into one frame: a write batch is one frame on the wire.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_send(cx, || {
            let taken: usize = bufs.iter().map(|b| b.len()).sum();
            let mut frame = Vec::with_capacity(taken);
            for slice in bufs {
                frame.extend_from_slice(slice);
            }
            (Bytes::from(frame), taken)
        })
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().socket)
            .poll_flush(cx)
            .map_err(write_error)
    }

    /// Sends a close frame (status 1000), then shuts the TCP (or TLS) write side.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match ready!(Pin::new(&mut this.socket).poll_close(cx)) {
            Ok(()) | Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {}
            Err(err) => return Poll::Ready(Err(write_error(err))),
        }
        Pin::new(this.socket.get_mut()).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

    fn target(url: String) -> WebSocketTarget {
        WebSocketTarget {
            url,
            headers: vec![("x-test".into(), "yes".into())],
            subprotocol: "mqtt".into(),
            tls: None,
            max_frame_size: 0,
        }
    }

    /// A server that accepts one WebSocket (answering the `mqtt` subprotocol) and runs `script`.
    async fn serve<F, Fut>(script: F) -> (String, tokio::task::JoinHandle<()>)
    where
        F: FnOnce(WebSocketStream<tokio::net::TcpStream>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/mqtt?x=1", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let check = |request: &Request, mut response: Response| {
                assert_eq!(request.uri().path(), "/mqtt");
                assert_eq!(request.headers()["x-test"], "yes");
                assert_eq!(request.headers()["sec-websocket-protocol"], "mqtt");
                response
                    .headers_mut()
                    .insert("sec-websocket-protocol", HeaderValue::from_static("mqtt"));
                Ok(response)
            };
            let socket = tokio_tungstenite::accept_hdr_async(tcp, check)
                .await
                .unwrap();
            script(socket).await;
        });
        (url, task)
    }

    #[tokio::test]
    async fn frames_read_as_one_byte_stream_writes_go_out_as_one_frame_each_pings_are_answered() {
        let (url, server) = serve(|mut socket| async move {
            for part in [&b"ab"[..], b"cde", b"f"] {
                socket
                    .send(Message::Binary(Bytes::from_static(part)))
                    .await
                    .unwrap();
            }
            socket
                .send(Message::Ping(Bytes::from_static(b"p")))
                .await
                .unwrap();
            socket
                .send(Message::Binary(Bytes::from_static(b"g")))
                .await
                .unwrap();
            let mut binary = Vec::new();
            let mut pong = false;
            while binary.len() < 2 || !pong {
                match socket.next().await.unwrap().unwrap() {
                    Message::Binary(data) => binary.push(data),
                    Message::Pong(data) => pong = data == b"p"[..],
                    other => panic!("unexpected {other:?}"),
                }
            }
            assert_eq!(binary, [&b"hello"[..], b"world"]);
            socket.close(None).await.unwrap();
        })
        .await;
        let mut stream = connect_websocket(&target(url), None).await.unwrap();
        let mut got = vec![0u8; 7];
        stream.read_exact(&mut got).await.unwrap();
        assert_eq!(got, b"abcdefg");
        // Both slices in one frame: the whole batch is taken.
        let written = stream
            .write_vectored(&[io::IoSlice::new(b"hel"), io::IoSlice::new(b"lo")])
            .await
            .unwrap();
        assert_eq!(written, 5);
        stream.write_all(b"world").await.unwrap();
        // The server's close frame ends the stream.
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
        server.await.unwrap();
    }

    #[tokio::test]
    async fn a_refused_upgrade_reports_the_http_status() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 1024];
            let _ = tcp.read(&mut request).await.unwrap();
            tcp.write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
                .await
                .unwrap();
        });
        let err = connect_websocket(&target(url), None).await.unwrap_err();
        assert_eq!(err.message(), "Unexpected server response: 401");
        assert_eq!(err.code(), None);
        server.await.unwrap();
    }

    #[test]
    fn urls_parse_with_mqtt_js_default_ports() {
        let parse = |url| WebSocketAddress::parse(url).map_err(|e| e.message());
        assert_eq!(
            parse("ws://broker.example/mqtt"),
            Ok(WebSocketAddress {
                secure: false,
                host: "broker.example".into(),
                port: 80
            })
        );
        assert_eq!(
            parse("wss://broker.example:8884/"),
            Ok(WebSocketAddress {
                secure: true,
                host: "broker.example".into(),
                port: 8884
            })
        );
        assert_eq!(
            parse("wss://[::1]/x?y=1").map(|a| (a.host, a.port)),
            Ok(("::1".to_string(), 443))
        );
        for bad in ["http://h/", "ws:///x", "not a url", "ws://h:0/"] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains("Invalid WebSocket URL"), "{bad}: {err}");
        }
    }
}

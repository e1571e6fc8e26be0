//! Turns the options object the JS shim hands over into a validated
//! `ClientConfig`. The shim has already applied MQTT.js defaults and parsed
//! the URL; this is the last line of defence, and every error names its option.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use napi::bindgen_prelude::{Buffer, Unknown};
use napi_derive::napi;

use engine::codec::v5::{PacketKind, PropertyContext};
use engine::codec::{validate_topic_name, LastWill, PacketProperties, ProtocolVersion, QoS};

use super::properties::optional_properties_from_js;
use engine::connection::{Backoff, ClientConfig, ReconnectPolicy};
use engine::session::{OfflineLimits, SessionConfig};
use engine::transport::{
    Endpoint, SocksCredentials, SocksProxy, SocksVersion, TlsConnectorConfig, TlsOptions,
    WebSocketAddress, WebSocketTarget, WssTls,
};

/// Largest packet MQTT can express (fixed header + 268,435,455 bytes): the
/// default and the upper bound of `maxIncomingPacketSize`.
#[napi]
pub const MAX_PACKET_SIZE: u32 = engine::codec::MAX_PACKET_SIZE as u32;

#[napi(object)]
pub struct NativeWill<'a> {
    pub topic: String,
    pub payload: Buffer,
    pub qos: u32,
    pub retain: bool,
    /// MQTT 5: `will.properties` as the application gave it (MQTT.js names).
    pub properties: Option<Unknown<'a>>,
}

#[napi(object)]
pub struct NativeServer {
    pub protocol: String,
    pub host: String,
    pub port: u32,
    /// For `ws`/`wss`: the URL to open, as the shim built it.
    pub ws_url: Option<String>,
}

/// One WebSocket handshake request header (`wsOptions.headers`).
#[napi(object)]
pub struct NativeHeader {
    pub name: String,
    pub value: String,
}

/// `socksProxy` as lib/socks-proxy.js parsed it.
#[napi(object)]
pub struct NativeSocksProxy {
    /// 4 or 5.
    pub version: u32,
    /// `socks4a`/`socks5h`: the proxy resolves the broker's host name.
    pub remote_dns: bool,
    pub host: String,
    pub port: u32,
    pub username: Option<String>,
    pub password: Option<String>,
    /// `socksTimeout`, milliseconds.
    pub timeout: f64,
}

#[napi(object)]
pub struct NativeBackoff {
    /// Milliseconds.
    pub max: f64,
    pub factor: Option<f64>,
    pub jitter: Option<f64>,
}

#[napi(object)]
pub struct NativeOptions<'a> {
    /// `mqtt`, `mqtts`, `ws` or `wss` (URL aliases are resolved by the shim).
    pub protocol: String,
    pub host: String,
    pub port: u32,
    pub protocol_version: u32,
    pub client_id: Buffer,
    pub clean: bool,
    pub keepalive: u32,
    pub connect_timeout: f64,
    pub reconnect_period: f64,
    pub username: Option<Buffer>,
    pub password: Option<Buffer>,
    pub will: Option<NativeWill<'a>>,
    pub resubscribe: bool,
    #[napi(js_name = "queueQoSZero")]
    pub queue_qos_zero: bool,
    pub max_incoming_packet_size: Option<u32>,
    pub ca: Option<Vec<Buffer>>,
    pub default_roots: Option<Vec<String>>,
    pub cert: Option<Buffer>,
    pub key: Option<Buffer>,
    pub reject_unauthorized: bool,
    pub servername: Option<String>,
    pub alpn_protocols: Option<Vec<String>>,
    pub socks_proxy: Option<NativeSocksProxy>,
    /// Failover list (MQTT.js `servers`); replaces protocol/host/port when given.
    pub servers: Option<Vec<NativeServer>>,
    /// For `ws`/`wss`: the URL to open (after `transformWsUrl`).
    pub ws_url: Option<String>,
    pub ws_headers: Option<Vec<NativeHeader>>,
    /// `mqtt`, or `mqttv3.1` for MQTT 3.1.
    pub ws_subprotocol: Option<String>,
    /// Unix domain socket path (`unixSocket` / `mqtt+unix://`).
    pub unix_socket_path: Option<String>,
    pub reconnect_backoff: Option<NativeBackoff>,
    pub reconnect_on_connack_error: Option<bool>,
    pub offline_queue_max_messages: Option<u32>,
    pub offline_queue_max_bytes: Option<f64>,
    pub subscribe_batch_size: Option<u32>,
    /// Run on the engine's thread rather than Node's (see `Driver`).
    pub engine_thread: Option<bool>,
    /// JS overrides `handleMessage`: inbound QoS 1/2 acks wait for `acknowledge`.
    pub manual_acks: Option<bool>,
    /// MQTT 5 with the application's own `customHandleAcks`: an inbound QoS 2 message is
    /// delivered (held) on its PUBLISH, and its PUBREC waits for `acknowledge`'s reason code.
    pub hold_pubrec: Option<bool>,
    /// MQTT 5: CONNECT's `properties` as the application gave them (MQTT.js names).
    pub properties: Option<Unknown<'a>>,
    /// MQTT 5 (MQTT.js `autoUseTopicAlias`).
    pub auto_use_topic_alias: Option<bool>,
    /// MQTT 5 (MQTT.js `autoAssignTopicAlias`).
    pub auto_assign_topic_alias: Option<bool>,
}

pub fn invalid(option: &str, detail: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(
        napi::Status::InvalidArg,
        format!("Invalid option {option}: {detail}"),
    )
}

pub fn qos_from(value: u32, option: &str) -> napi::Result<QoS> {
    u8::try_from(value)
        .ok()
        .and_then(QoS::from_u8)
        .ok_or_else(|| invalid(option, format!("QoS must be 0, 1 or 2, got {value}")))
}

fn millis(value: f64, option: &str) -> napi::Result<Duration> {
    if !value.is_finite() || value < 0.0 {
        return Err(invalid(
            option,
            format!("must be a non-negative number of milliseconds, got {value}"),
        ));
    }
    Ok(Duration::from_secs_f64(value / 1000.0))
}

fn bytes(buffer: &Buffer) -> Bytes {
    Bytes::copy_from_slice(buffer)
}

impl NativeOptions<'_> {
    pub fn into_config(self) -> napi::Result<ClientConfig> {
        let protocol = u8::try_from(self.protocol_version)
            .ok()
            .and_then(ProtocolVersion::from_level)
            .ok_or_else(|| {
                invalid(
                    "protocolVersion",
                    format!(
                        "{} is not supported (3 = MQTT 3.1, 4 = MQTT 3.1.1, 5 = MQTT 5.0)",
                        self.protocol_version
                    ),
                )
            })?;
        // MQTT.js sends properties only in MQTT 5 (mqtt-packet writes none before): in 3.x they
        // are ignored, not refused.
        let v5_properties = |given: Option<Unknown<'_>>, context, what: &str| {
            if protocol.is_v5() {
                optional_properties_from_js(given, context, what)
            } else {
                Ok(PacketProperties::NONE)
            }
        };
        let connect_properties = v5_properties(
            self.properties,
            PropertyContext::Packet(PacketKind::Connect),
            "properties",
        )?;
        let keep_alive_secs = u16::try_from(self.keepalive).map_err(|_| {
            invalid(
                "keepalive",
                format!("must be 0..=65535 seconds, got {}", self.keepalive),
            )
        })?;
        let will = match &self.will {
            None => None,
            Some(will) => {
                validate_topic_name(&will.topic).map_err(|e| invalid("will.topic", e))?;
                Some(LastWill {
                    topic: will.topic.clone(),
                    payload: bytes(&will.payload),
                    qos: qos_from(will.qos, "will.qos")?,
                    retain: will.retain,
                    properties: v5_properties(
                        will.properties,
                        PropertyContext::Will,
                        "will.properties",
                    )?,
                })
            }
        };
        let endpoints = self.endpoints()?;
        let reconnect = ReconnectPolicy {
            period: millis(self.reconnect_period, "reconnectPeriod")?,
            backoff: self.backoff()?,
            on_connack_error: self.reconnect_on_connack_error.unwrap_or(false),
        };
        let offline_limits = OfflineLimits {
            max_messages: self.offline_queue_max_messages.map(|n| n as usize),
            max_bytes: match self.offline_queue_max_bytes {
                None => None,
                Some(bytes) if bytes.is_finite() && bytes >= 0.0 => Some(bytes as usize),
                Some(bytes) => {
                    return Err(invalid(
                        "offlineQueueMaxBytes",
                        format!("must be a non-negative number, got {bytes}"),
                    ))
                }
            },
        };
        Ok(ClientConfig {
            endpoints,
            session: SessionConfig {
                protocol,
                client_id: bytes(&self.client_id),
                clean_session: self.clean,
                keep_alive_secs,
                connect_timeout: millis(self.connect_timeout, "connectTimeout")?,
                username: self.username.as_ref().map(bytes),
                password: self.password.as_ref().map(bytes),
                will,
                resubscribe: self.resubscribe,
                queue_qos_zero: self.queue_qos_zero,
                auto_reconnect: reconnect.enabled(),
                offline_limits,
                subscribe_batch_size: self.subscribe_batch_size.map(|n| n as usize),
                manual_acks: self.manual_acks.unwrap_or(false),
                hold_pubrec: protocol.is_v5() && self.hold_pubrec.unwrap_or(false),
                connect_properties,
                auto_use_topic_alias: protocol.is_v5()
                    && self.auto_use_topic_alias.unwrap_or(false),
                auto_assign_topic_alias: protocol.is_v5()
                    && self.auto_assign_topic_alias.unwrap_or(false),
            },
            reconnect,
            max_incoming_packet_size: self.max_incoming_packet_size.unwrap_or(MAX_PACKET_SIZE)
                as usize,
            // The caller decides which thread drives the client.
            stream_adopter: None,
        })
    }

    fn backoff(&self) -> napi::Result<Option<Backoff>> {
        let Some(backoff) = &self.reconnect_backoff else {
            return Ok(None);
        };
        let factor = backoff.factor.unwrap_or(2.0);
        if !factor.is_finite() || factor < 1.0 {
            return Err(invalid(
                "reconnectBackoff.factor",
                format!("must be >= 1, got {factor}"),
            ));
        }
        let jitter = backoff.jitter.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&jitter) {
            return Err(invalid(
                "reconnectBackoff.jitter",
                format!("must be between 0 and 1, got {jitter}"),
            ));
        }
        Ok(Some(Backoff {
            max: millis(backoff.max, "reconnectBackoff.max")?,
            factor,
            jitter,
        }))
    }

    fn endpoints(&self) -> napi::Result<Vec<Endpoint>> {
        #[cfg(unix)]
        if let Some(path) = &self.unix_socket_path {
            return Ok(vec![Endpoint::Unix { path: path.into() }]);
        }
        // As MQTT.js, one proxy for every server.
        let proxy = self.socks_proxy.as_ref().map(socks_proxy).transpose()?;
        match &self.servers {
            Some(servers) if !servers.is_empty() => servers
                .iter()
                .map(|server| {
                    self.endpoint(
                        &server.protocol,
                        &server.host,
                        server.port,
                        server.ws_url.as_deref(),
                        &proxy,
                    )
                })
                .collect(),
            _ => Ok(vec![self.endpoint(
                &self.protocol,
                &self.host,
                self.port,
                self.ws_url.as_deref(),
                &proxy,
            )?]),
        }
    }

    fn endpoint(
        &self,
        protocol: &str,
        host: &str,
        port: u32,
        ws_url: Option<&str>,
        proxy: &Option<Arc<SocksProxy>>,
    ) -> napi::Result<Endpoint> {
        let proxy = proxy.clone();
        let host = host.to_string();
        let port = u16::try_from(port)
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| invalid("port", format!("{port} is not a TCP port")))?;
        match protocol {
            "mqtt" => Ok(Endpoint::Tcp { host, port, proxy }),
            "mqtts" => Ok(Endpoint::Tls {
                tls: Arc::new(
                    TlsConnectorConfig::new(&self.tls_options(), &host).map_err(tls_invalid)?,
                ),
                host,
                port,
                proxy,
            }),
            // MQTT.js does not proxy WebSocket connections (its `socksProxy` applies to mqtt/mqtts).
            "ws" | "wss" => self.websocket_endpoint(protocol, ws_url),
            other => Err(invalid(
                "protocol",
                format!("{other} is not supported (mqtt, mqtts, ws, wss)"),
            )),
        }
    }

    fn tls_options(&self) -> TlsOptions {
        TlsOptions {
            ca: self.ca.iter().flatten().map(|b| b.to_vec()).collect(),
            default_roots: self
                .default_roots
                .iter()
                .flatten()
                .map(|pem| pem.as_bytes().to_vec())
                .collect(),
            cert: self.cert.as_ref().map(|b| b.to_vec()),
            key: self.key.as_ref().map(|b| b.to_vec()),
            reject_unauthorized: self.reject_unauthorized,
            servername: self.servername.clone(),
            alpn: self
                .alpn_protocols
                .iter()
                .flatten()
                .map(|p| p.as_bytes().to_vec())
                .collect(),
        }
    }

    /// A `ws`/`wss` endpoint. TLS options are kept for any WebSocket endpoint when the shim sent
    /// them, as `transformWsUrl` may turn a later attempt's URL into a `wss://` one.
    fn websocket_endpoint(&self, protocol: &str, ws_url: Option<&str>) -> napi::Result<Endpoint> {
        let url = ws_url
            .ok_or_else(|| invalid("protocol", format!("{protocol} needs a WebSocket URL")))?
            .to_string();
        let address = WebSocketAddress::parse(&url).map_err(|e| invalid("url", e.message()))?;
        let has_tls_options = self.default_roots.is_some() || self.ca.is_some();
        let tls = if address.secure || has_tls_options {
            Some(WssTls::new(self.tls_options(), &address.host).map_err(tls_invalid)?)
        } else {
            None
        };
        let headers = self
            .ws_headers
            .iter()
            .flatten()
            .map(|header| (header.name.clone(), header.value.clone()))
            .collect();
        Ok(Endpoint::WebSocket(Arc::new(WebSocketTarget {
            url,
            headers,
            subprotocol: self
                .ws_subprotocol
                .clone()
                .unwrap_or_else(|| "mqtt".to_string()),
            tls,
            max_frame_size: self.max_incoming_packet_size.unwrap_or(MAX_PACKET_SIZE) as usize,
        })))
    }
}

/// A TLS option that cannot be used, reported as the argument error it is.
fn tls_invalid(error: engine::transport::TransportError) -> napi::Error {
    let message = match error.code() {
        Some(code) => format!("{} ({code})", error.message()),
        None => error.message(),
    };
    napi::Error::new(napi::Status::InvalidArg, message)
}

/// The proxy settings, checked again (the shim has validated the URL): what the engine and the
/// SOCKS wire format can carry.
fn socks_proxy(native: &NativeSocksProxy) -> napi::Result<Arc<SocksProxy>> {
    let version = match native.version {
        4 => SocksVersion::V4,
        5 => SocksVersion::V5,
        other => {
            return Err(invalid(
                "socksProxy",
                format!("SOCKS version {other} is not supported (4 or 5)"),
            ))
        }
    };
    let port = u16::try_from(native.port)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| invalid("socksProxy", format!("{} is not a TCP port", native.port)))?;
    if native.host.is_empty() {
        return Err(invalid("socksProxy", "the URL has no host"));
    }
    let field = |what: &str, value: &str| {
        if (1..=255).contains(&value.len()) {
            Ok(value.to_string())
        } else {
            Err(invalid(
                "socksProxy",
                format!("the proxy {what} must be 1 to 255 bytes"),
            ))
        }
    };
    let credentials = match (version, &native.username, &native.password) {
        (_, None, None) => None,
        (SocksVersion::V4, Some(user_id), None) => Some(SocksCredentials {
            username: field("user id", user_id)?,
            password: String::new(),
        }),
        (SocksVersion::V4, _, Some(_)) => {
            return Err(invalid("socksProxy", "SOCKS4 has no password"))
        }
        (SocksVersion::V5, Some(username), Some(password)) => Some(SocksCredentials {
            username: field("username", username)?,
            password: field("password", password)?,
        }),
        (SocksVersion::V5, _, _) => {
            return Err(invalid(
                "socksProxy",
                "SOCKS5 authentication needs both a username and a password",
            ))
        }
    };
    let timeout = Duration::try_from_secs_f64(native.timeout / 1000.0)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| {
            invalid(
                "socksTimeout",
                format!(
                    "must be a number of milliseconds above 0, got {}",
                    native.timeout
                ),
            )
        })?;
    Ok(Arc::new(SocksProxy {
        version,
        remote_dns: native.remote_dns,
        host: native.host.clone(),
        port,
        credentials,
        timeout,
    }))
}

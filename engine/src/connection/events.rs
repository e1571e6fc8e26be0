//! What the connection task tells the JS side, and what it takes from it.

use bytes::Bytes;

use crate::codec::v5::ReasonCode;
use crate::codec::{Disconnect, Packet, PacketId, Publish};
use crate::session::{Command, Event, Token};
use crate::transport::SyscallInfo;

/// An error as JS will see it: `err.message` and, where Node or MQTT.js set
/// one, `err.code`; for a failed system call, Node's `errno`, `syscall`, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    pub message: String,
    pub code: Option<ErrorCode>,
    /// Boxed: most errors have none (see `TransportError`).
    pub syscall: Option<Box<SyscallInfo>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCode {
    /// Node-style string codes (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, ...).
    Text(String),
    /// MQTT return codes (MQTT.js sets `err.code` to the CONNACK return code).
    Number(u32),
}

impl ClientError {
    pub fn new(message: impl Into<String>) -> Self {
        ClientError {
            message: message.into(),
            code: None,
            syscall: None,
        }
    }

    pub fn with_code(message: impl Into<String>, code: ErrorCode) -> Self {
        ClientError {
            message: message.into(),
            code: Some(code),
            syscall: None,
        }
    }
}

/// One entry of the ordered event stream; the order is the order MQTT.js emits in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    Session(Event),
    /// A new connection attempt, to `config.endpoints[server]` (MQTT.js
    /// rotates `servers` on each one; JS writes that server into its options).
    Reconnect {
        server: usize,
    },
    Offline,
    Close,
    Error(ClientError),
    /// Packet traffic, reported only while JS listens (`packetsend`/`packetreceive`).
    PacketSent(Packet),
    PacketReceived(Packet),
    /// Every QoS 0 publish up to this token has been written to the socket:
    /// their callbacks run (MQTT.js calls them once the packet is written).
    /// Reported only while JS asks for it (`SetQoS0Reports`).
    QoS0Written {
        through: Token,
    },
    /// The task has finished for good; no event follows.
    Terminated,
}

#[derive(Debug)]
pub enum ClientCommand {
    Session(Command),
    /// `client.end(force)`: graceful waits for in-flight exchanges, then DISCONNECT.
    End {
        force: bool,
        /// The DISCONNECT a graceful end sends (MQTT 5's reason code and properties).
        disconnect: Disconnect,
    },
    /// `client.reconnect()`: drop the current connection (if any) and connect again now.
    Reconnect,
    /// The application gave up on the connection (MQTT.js's `handleAuth` failed, or gave no
    /// answer to the broker's challenge): close it, after this DISCONNECT in MQTT 5 (`None`: none
    /// at all, as MQTT.js), then reconnect per policy. JS reports the error itself. Nothing to do
    /// while there is no connection.
    AbortConnection {
        disconnect: Option<Disconnect>,
    },
    /// JS has emitted `reconnect`: the next attempt may open its socket, with
    /// the connect fields as the listeners left them (MQTT.js re-reads
    /// `client.options` for each CONNECT); `None` keeps the current ones.
    ReconnectEmitted {
        /// How many `reconnect` records JS has applied so far (wrapping).
        count: u32,
        identity: Option<ConnectIdentity>,
        /// The URL the next WebSocket attempt opens (MQTT.js calls `transformWsUrl` on every
        /// connect); `None` keeps the endpoint's own.
        websocket_url: Option<String>,
    },
    /// JS holds later events (an overridden `handleMessage` has not called back):
    /// attempts do not wait for their `reconnect` to be emitted meanwhile, as
    /// MQTT.js reconnects while a `handleMessage` is pending.
    SetEventsHeld(bool),
    /// Report every packet sent and received (someone listens in JS).
    SetPacketEvents(bool),
    /// Pause or resume reading from the broker (JS inbound backpressure).
    SetReading(bool),
    /// Hold inbound QoS 1/2 acks for `Acknowledge` (JS overrides `handleMessage`), or not.
    SetManualAcks(bool),
    /// JS handled a held message (`handleMessage` called back): ack it.
    Acknowledge {
        packet_id: PacketId,
        /// The connection it came on, as its `HeldMessage` event said.
        connection: u32,
        /// MQTT 5's reason code for the PUBACK (MQTT.js `customHandleAcks`); Success in 3.x.
        reason_code: ReasonCode,
    },
    /// JS has a QoS 0 callback waiting for its publish to be written (report
    /// `QoS0Written`), or none any more (JS reads the `QoS0WrittenMark`).
    SetQoS0Reports(bool),
    /// Failpoint for tests: panic inside the task (only sent when test hooks are enabled).
    Panic,
}

impl ClientEvent {
    /// The inbound publish this event delivers, if it is a message.
    pub fn message(&self) -> Option<&Publish> {
        match self {
            ClientEvent::Session(event) => event.message(),
            _ => None,
        }
    }
}

/// The CONNECT fields a `reconnect` listener may change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectIdentity {
    pub client_id: Bytes,
    pub username: Option<Bytes>,
    pub password: Option<Bytes>,
}

/// Switches JS can flip while the client runs.
#[derive(Debug, Clone, Default)]
pub struct Controls {
    pub packet_events: bool,
    pub reading_paused: bool,
    /// `reconnect` events JS has emitted (wrapping), from `ReconnectEmitted`.
    pub reconnects_emitted: u32,
    pub events_held: bool,
    /// The URL the next WebSocket attempt opens, from the last `ReconnectEmitted`.
    pub next_websocket_url: Option<String>,
}

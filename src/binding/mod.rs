//! The only module that touches N-API: the `NativeClient` class the JS shim
//! wraps, and the bridge that carries event batches back to JS.

mod batch_buffers;
mod batch_format;
mod coalescer;
mod event_batch;
mod event_pump;
mod external_buffers;
mod format_samples;
#[cfg(unix)]
mod js_thread;
mod options;
mod properties;
mod publish_batch;
mod shared_rules;

use bytes::Bytes;
use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Function, Unknown};
use napi::Env;
use napi_derive::napi;

use batch_format::{FLAG_PROPERTIES, FLAG_RETAIN};
use engine::codec::v5::{Auth, PacketKind, PropertyContext, ReasonCode};
use engine::codec::{
    validate_topic_filter, Disconnect, PacketProperties, ProtocolVersion, RetainHandling,
    SubscribeFilter, SubscriptionOptions,
};
use engine::connection::{self, ClientCommand};
use engine::session::Command;
use external_buffers::{ExternalBuffers, RecordsBuffer};
use options::{invalid, qos_from};
pub use options::{NativeOptions, NativeWill};
use properties::{given_from_js, optional_properties_from_js, properties_from_given, Given};
// Free functions the addon exports besides the classes below.
pub use batch_format::{batch_format, BatchFormat};
pub use format_samples::{format_samples, read_publish_batch};
pub use shared_rules::{reason_codes, topic_name_error};

/// A QoS 0 publish with a payload up to this many bytes always fits in a
/// packet (whatever its topic), so the shim may call it back as soon as the
/// engine has it, as MQTT.js does; a larger one waits for the engine's size check.
#[napi]
pub const MAX_PAYLOAD_ANY_TOPIC: u32 = engine::codec::MAX_PAYLOAD_ANY_TOPIC as u32;

/// Payloads from this size cross the N-API boundary by reference, in both
/// directions, instead of being copied into a batch: the shim sends such a
/// publish on its own (`publish`), from the caller's Buffer, and a received
/// message reaches JS as a Buffer over the engine's memory (`event_batch`).
/// At 1 MiB per message that copy was most of each side's cost.
#[napi]
pub const PAYLOAD_BY_REFERENCE_BYTES: u32 = 64 * 1024;

/// Engine threads: the work per client is small, and the machines this runs
/// on often have two cores, one of which Node's own thread needs.
const RUNTIME_WORKER_THREADS: usize = 1;

/// The engine runtime's handle, for tasks polled outside it (the JS-thread
/// driver) that still use its timers and blocking pool.
static RUNTIME: std::sync::OnceLock<tokio::runtime::Handle> = std::sync::OnceLock::new();

#[napi_derive::module_init]
fn init_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(RUNTIME_WORKER_THREADS)
        .thread_name("mqtt-napi")
        .enable_all()
        .build();
    if let Ok(runtime) = runtime {
        let _ = RUNTIME.set(runtime.handle().clone());
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}

/// Which thread polls a client's tasks.
///
/// Node's own thread by default: a message then crosses no thread (the socket
/// is read and written from Node's loop, as MQTT.js's is), which measured
/// faster on every benchmark row, latency and throughput alike. The engine
/// thread keeps the protocol going while JS is blocked (keepalive, acks,
/// reading up to the backlog limit), at a thread hop per message; it is what
/// Windows gets (the loop driver needs libuv's symbols, exported to addons
/// only on Unix here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    /// The engine's tokio thread.
    EngineThread,
    /// Node's own thread, from its event loop (`js_thread`).
    #[cfg(unix)]
    JsThread,
}

impl Driver {
    /// `engineThread` as given, else `MQTT_NAPI_ENGINE_THREAD=1`, else Node's thread.
    fn choose(engine_thread: Option<bool>) -> Driver {
        let engine_thread = engine_thread.unwrap_or_else(|| {
            std::env::var_os("MQTT_NAPI_ENGINE_THREAD").is_some_and(|value| value == "1")
        });
        #[cfg(unix)]
        if !engine_thread {
            return Driver::JsThread;
        }
        Driver::EngineThread
    }
}

/// The client's command mailbox. With the JS-thread driver the client's tasks
/// take the commands before the call returns: a publish is on the socket by then.
struct CommandQueue {
    sender: connection::CommandSender,
    driver: Driver,
}

impl CommandQueue {
    fn send(&self, command: ClientCommand) -> Result<(), connection::Closed> {
        self.send_all(std::iter::once(command))
    }

    fn send_all(
        &self,
        commands: impl IntoIterator<Item = ClientCommand>,
    ) -> Result<(), connection::Closed> {
        #[cfg(unix)]
        if self.driver == Driver::JsThread {
            if let Some(executor) = js_thread::current() {
                return executor.run_after(|| self.sender.send_all(commands));
            }
        }
        self.sender.send_all(commands)
    }
}

/// The one threadsafe function that carries every client's event batches to
/// JS (`lib/event-bridge.js` routes them by client key). One per client cost
/// ~1 KB of native memory each, plus a libuv async handle that every wake-up
/// of Node's loop walks past.
#[napi]
pub struct EventBridge {
    callback: Arc<event_pump::EventCallback>,
    /// The same handler for direct calls from the JS-thread driver.
    #[cfg(unix)]
    direct: Arc<js_thread::DirectCall>,
}

#[napi]
impl EventBridge {
    /// `handler(key, records, payloads, last)` receives each batch of the
    /// client started with `key` (`payloads`: the large message payloads the
    /// records refer to, or undefined); `last` marks its final batch.
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env, handler: Function<'_, event_pump::EventArgs, ()>) -> napi::Result<Self> {
        #[cfg(unix)]
        let direct = Arc::new(js_thread::DirectCall::new(env.raw(), &handler)?);
        let _ = &env;
        let callback = handler
            .build_threadsafe_function::<event_pump::KeyedBatch>()
            .callee_handled::<false>()
            // Starts without holding Node's loop open: `keepAlive` does that
            // while clients run.
            .weak::<true>()
            .build_callback(|ctx| {
                let (key, batch, last) = ctx.value;
                let payloads = ExternalBuffers(batch.payloads);
                Ok((key, RecordsBuffer(batch.records), payloads, last).into())
            })?;
        Ok(EventBridge {
            callback: Arc::new(callback),
            #[cfg(unix)]
            direct,
        })
    }

    /// Holds Node's event loop open (true) or lets it exit (false); the shim
    /// holds it while any client has not yet delivered its last batch.
    #[napi(catch_unwind)]
    pub fn keep_alive(&self, env: Env, on: bool) -> napi::Result<()> {
        let raw = self.callback.raw();
        // SAFETY: called on the JS thread (a napi method) with this
        // environment, on a threadsafe function that lives as long as `self`.
        let status = unsafe {
            if on {
                napi::sys::napi_ref_threadsafe_function(env.raw(), raw)
            } else {
                napi::sys::napi_unref_threadsafe_function(env.raw(), raw)
            }
        };
        match status {
            napi::sys::Status::napi_ok => Ok(()),
            status => Err(napi::Error::new(
                napi::Status::from(status),
                "mqtt-napi: cannot change the event loop reference",
            )),
        }
    }
}

#[napi]
pub struct NativeClient {
    commands: CommandQueue,
    /// MQTT 3.x packets carry no properties, reason codes or subscription options: MQTT.js
    /// ignores those arguments there, and so do the methods below.
    protocol: ProtocolVersion,
    qos0_written: connection::QoS0WrittenMark,
}

#[napi]
impl NativeClient {
    /// Validates the options and starts the client task; its event batches
    /// reach JS through `bridge`, marked with `key` (see `lib/event-batch.js`).
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: Env,
        options: NativeOptions<'_>,
        bridge: &EventBridge,
        key: u32,
    ) -> napi::Result<Self> {
        let driver = Driver::choose(options.engine_thread);
        #[cfg_attr(not(unix), allow(unused_mut))]
        let mut config = options.into_config()?;
        let protocol = config.session.protocol;
        let (command_tx, command_rx) = connection::command_mailbox();
        let (event_tx, event_rx) = connection::event_mailbox();
        let qos0_written = connection::QoS0WrittenMark::default();
        match driver {
            Driver::EngineThread => {
                napi::bindgen_prelude::spawn(connection::run(
                    config,
                    command_rx,
                    event_tx,
                    qos0_written.clone(),
                ));
                napi::bindgen_prelude::spawn(event_pump::deliver_events(
                    event_rx,
                    event_pump::EventHandler {
                        threadsafe: bridge.callback.clone(),
                        #[cfg(unix)]
                        direct: None,
                    },
                    key,
                ));
            }
            #[cfg(unix)]
            Driver::JsThread => {
                let runtime = RUNTIME
                    .get()
                    .ok_or_else(|| napi::Error::from_reason("mqtt-napi: no engine runtime"))?;
                config.stream_adopter = Some(js_thread::stream_adopter(&env)?);
                js_thread::start(
                    &env,
                    runtime,
                    vec![
                        Box::pin(connection::run(
                            config,
                            command_rx,
                            event_tx,
                            qos0_written.clone(),
                        )),
                        Box::pin(event_pump::deliver_events(
                            event_rx,
                            event_pump::EventHandler {
                                threadsafe: bridge.callback.clone(),
                                direct: Some(bridge.direct.clone()),
                            },
                            key,
                        )),
                    ],
                )?;
            }
        }
        let _ = &env;
        Ok(NativeClient {
            commands: CommandQueue {
                sender: command_tx,
                driver,
            },
            protocol,
            qos0_written,
        })
    }

    /// Every QoS 0 publish up to this token has been written to the socket
    /// (0: none yet). Read at once, without waiting for an event.
    #[napi(catch_unwind)]
    pub fn qos0_written_through(&self) -> f64 {
        self.qos0_written.get() as f64
    }

    /// Whether the engine reports QoS 0 writes as events (`QOS0_WRITTEN`):
    /// wanted while a QoS 0 callback waits for one.
    #[napi(catch_unwind)]
    pub fn set_qos0_reports(&self, wanted: bool) {
        // A closed channel means the task already ended: nothing is written any more.
        let _ = self.commands.send(ClientCommand::SetQoS0Reports(wanted));
    }

    /// Queues the publishes of one tick (see `publish_batch`); completions
    /// arrive as events carrying each publish's token (0 = nobody waits).
    /// `properties_list`: the MQTT 5 properties of the records flagged
    /// `FLAG_PROPERTIES`, in record order.
    #[napi(catch_unwind)]
    pub fn publish_batch(
        &self,
        batch: &[u8],
        properties_list: Option<Vec<Unknown<'_>>>,
    ) -> napi::Result<()> {
        let properties_list = self.given_list(properties_list)?;
        let commands =
            publish_batch::parse_publish_batch(batch, &properties_list).map_err(|e| {
                napi::Error::from_reason(format!("mqtt-napi: malformed publish batch ({})", e.0))
            })?;
        self.commands
            .send_all(commands.into_iter().map(ClientCommand::Session))
            .map_err(connection_closed)
    }

    /// One publish on its own, for large payloads: sent straight from the
    /// caller's Buffer, which is held (not copied) until the publish is done,
    /// as MQTT.js holds it in its socket queue and outgoing store. The shim
    /// flushes the batch first, so call order is kept.
    #[napi(catch_unwind)]
    pub fn publish(
        &self,
        topic: String,
        payload: Buffer,
        qos: u32,
        retain: bool,
        token: f64,
        properties: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        let properties = match properties {
            Some(value) if self.protocol.is_v5() => Some(given_from_js(value)?),
            _ => None,
        };
        let properties_flag = if properties.is_some() {
            FLAG_PROPERTIES
        } else {
            0
        };
        self.send(publish_batch::publish_command(
            token as u64,
            (qos.min(3) as u8) | if retain { FLAG_RETAIN } else { 0 } | properties_flag,
            Bytes::from(topic),
            // napi-rs releases the Buffer's reference on the JS thread wherever it is dropped.
            Bytes::from_owner(payload),
            properties.as_ref(),
        ))
    }

    /// Subscribes `filters` (`{ topic, qos, nl, rap, rh }`; the last three are MQTT 5's
    /// subscription options, ignored in 3.x) with the SUBSCRIBE's MQTT 5 `properties`.
    #[napi(catch_unwind)]
    pub fn subscribe(
        &self,
        token: f64,
        filters: Vec<NativeSubscription>,
        properties: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        if filters.is_empty() {
            return Err(invalid("topic", "no topics to subscribe to"));
        }
        let filters = filters
            .into_iter()
            .map(|filter| self.subscribe_filter(filter))
            .collect::<napi::Result<Vec<_>>>()?;
        let properties = self.properties(properties, PacketKind::Subscribe, "properties")?;
        self.send(Command::Subscribe {
            token: token as u64,
            filters,
            properties,
        })
    }

    /// Unsubscribes `topics`, with the UNSUBSCRIBE's MQTT 5 `properties`.
    #[napi(catch_unwind)]
    pub fn unsubscribe(
        &self,
        token: f64,
        topics: Vec<String>,
        properties: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        if topics.is_empty() {
            return Err(invalid("topic", "no topics to unsubscribe from"));
        }
        for filter in &topics {
            validate_topic_filter(filter).map_err(|e| invalid_topic(filter, e))?;
        }
        let properties = self.properties(properties, PacketKind::Unsubscribe, "properties")?;
        self.send(Command::Unsubscribe {
            token: token as u64,
            filters: topics,
            properties,
        })
    }

    /// MQTT 5: answers the broker's AUTH during the connect-time exchange (MQTT.js `handleAuth`
    /// calling back) with an AUTH of `reason_code` (normally 0x18, Continue authentication).
    #[napi(catch_unwind)]
    pub fn auth_continue(&self, reason_code: u32, properties: Unknown<'_>) -> napi::Result<()> {
        let auth = self.auth(reason_code, properties)?;
        self.send(Command::AuthContinue(auth))
    }

    /// MQTT 5: starts re-authentication on the established connection (AUTH, reason 0x19).
    #[napi(catch_unwind)]
    pub fn reauthenticate(&self, properties: Unknown<'_>) -> napi::Result<()> {
        let auth = self.auth(ReasonCode::RE_AUTHENTICATE.0.into(), properties)?;
        self.send(Command::Reauthenticate(auth))
    }

    /// The application gives up on the connection (MQTT.js's `handleAuth` calling back with an
    /// error): the engine closes it, in MQTT 5 after a DISCONNECT with `reason_code` and
    /// `properties` when a reason code is given (none without one, as MQTT.js), then reconnects
    /// per policy. Nothing happens while there is no connection.
    #[napi(catch_unwind)]
    pub fn abort_connection(
        &self,
        reason_code: Option<u32>,
        properties: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        let disconnect = match reason_code {
            Some(code) if self.protocol.is_v5() => Some(Disconnect {
                reason_code: reason_code_for(code, PacketKind::Disconnect, "reasonCode")?,
                properties: self.properties(properties, PacketKind::Disconnect, "properties")?,
            }),
            _ => None,
        };
        // A closed channel means the task already ended: no connection left to drop.
        let _ = self
            .commands
            .send(ClientCommand::AbortConnection { disconnect });
        Ok(())
    }

    /// Withdraws an unacknowledged publish; its callback gets "Message removed".
    #[napi(catch_unwind)]
    pub fn remove_outgoing(&self, message_id: u32) -> napi::Result<()> {
        let id = u16::try_from(message_id)
            .ok()
            .filter(|id| *id != 0)
            .ok_or_else(|| invalid("messageId", format!("{message_id} is not a packet id")))?;
        self.send(Command::RemoveOutgoing(id))
    }

    /// Drops the current connection (if any) and connects again at once.
    #[napi(catch_unwind)]
    pub fn reconnect(&self) {
        let _ = self.commands.send(ClientCommand::Reconnect);
    }

    /// JS has emitted `reconnect`: the engine opens the next socket now, and
    /// its CONNECT carries these fields (the listeners may have changed them);
    /// without a client id, the fields stay as they were. A WebSocket attempt opens
    /// `websocket_url` when given (`transformWsUrl`). `count`: how many
    /// `reconnect` records JS has applied so far.
    #[napi(catch_unwind)]
    pub fn reconnect_emitted(
        &self,
        count: u32,
        client_id: Option<Buffer>,
        username: Option<Buffer>,
        password: Option<Buffer>,
        websocket_url: Option<String>,
    ) {
        let identity = client_id.map(|client_id| connection::ConnectIdentity {
            client_id: Bytes::copy_from_slice(&client_id),
            username: username.map(|b| Bytes::copy_from_slice(&b)),
            password: password.map(|b| Bytes::copy_from_slice(&b)),
        });
        let _ = self.commands.send(ClientCommand::ReconnectEmitted {
            count,
            identity,
            websocket_url,
        });
    }

    /// JS holds later events (true) until an overridden `handleMessage` calls back, or not.
    #[napi(catch_unwind)]
    pub fn set_events_held(&self, held: bool) {
        let _ = self.commands.send(ClientCommand::SetEventsHeld(held));
    }

    /// Turns `packetsend`/`packetreceive` reporting on or off.
    #[napi(catch_unwind)]
    pub fn set_packet_events(&self, enabled: bool) {
        let _ = self.commands.send(ClientCommand::SetPacketEvents(enabled));
    }

    /// Pauses (false) or resumes (true) reading from the broker.
    #[napi(catch_unwind)]
    pub fn set_reading(&self, enabled: bool) {
        let _ = self.commands.send(ClientCommand::SetReading(enabled));
    }

    /// Holds (true) or stops holding (false) the PUBACK/PUBCOMP of inbound
    /// QoS 1/2 messages until `acknowledge` (JS overrides `handleMessage`).
    #[napi(catch_unwind)]
    pub fn set_manual_acks(&self, enabled: bool) {
        let _ = self.commands.send(ClientCommand::SetManualAcks(enabled));
    }

    /// Acknowledges a held message (its record carried the connection): the
    /// engine sends its PUBACK or PUBCOMP, unless the ack is stale.
    ///
    /// `reason_code`: MQTT 5's code for the PUBACK (MQTT.js `customHandleAcks`), one of
    /// those a PUBACK may carry; Success when absent, and always in 3.x.
    #[napi(catch_unwind)]
    pub fn acknowledge(
        &self,
        message_id: u32,
        connection: u32,
        reason_code: Option<u32>,
    ) -> napi::Result<()> {
        let packet_id = u16::try_from(message_id)
            .ok()
            .filter(|id| *id != 0)
            .ok_or_else(|| invalid("messageId", format!("{message_id} is not a packet id")))?;
        let reason_code = match reason_code {
            Some(code) if self.protocol.is_v5() => {
                reason_code_for(code, PacketKind::PubAck, "reasonCode")?
            }
            _ => ReasonCode::SUCCESS,
        };
        // A closed channel means the task already ended: nothing left to acknowledge.
        let _ = self.commands.send(ClientCommand::Acknowledge {
            packet_id,
            connection,
            reason_code,
        });
        Ok(())
    }

    /// Failpoint for tests, enabled only with `MQTT_NAPI_TEST_HOOKS=1`: panics
    /// in this method (`in_task = false`) or inside the client task, to prove a
    /// panic becomes a JS error and never aborts the process.
    #[napi(catch_unwind, js_name = "_testPanic")]
    pub fn test_panic(&self, in_task: bool) -> napi::Result<()> {
        if std::env::var("MQTT_NAPI_TEST_HOOKS").as_deref() != Ok("1") {
            return Err(napi::Error::from_reason("test hooks are disabled"));
        }
        if !in_task {
            panic!("test failpoint: panic in a native method");
        }
        let _ = self.commands.send(ClientCommand::Panic);
        Ok(())
    }

    /// Graceful (`force = false`) waits for in-flight exchanges, then sends DISCONNECT: in MQTT 5
    /// with `reason_code` and `properties` (MQTT.js `end({ reasonCode, properties })`).
    #[napi(catch_unwind)]
    pub fn end(
        &self,
        force: bool,
        reason_code: Option<u32>,
        properties: Option<Unknown<'_>>,
    ) -> napi::Result<()> {
        let disconnect = if self.protocol.is_v5() {
            Disconnect {
                reason_code: match reason_code {
                    Some(code) => reason_code_for(code, PacketKind::Disconnect, "reasonCode")?,
                    None => ReasonCode::NORMAL_DISCONNECTION,
                },
                properties: self.properties(properties, PacketKind::Disconnect, "properties")?,
            }
        } else {
            Disconnect::NORMAL
        };
        // A closed channel means the task already ended: nothing left to stop.
        let _ = self.commands.send(ClientCommand::End { force, disconnect });
        Ok(())
    }
}

/// One filter of `subscribe`, as the shim passes it.
#[napi(object)]
pub struct NativeSubscription {
    pub topic: String,
    pub qos: u32,
    /// MQTT 5 No Local.
    pub nl: Option<bool>,
    /// MQTT 5 Retain As Published.
    pub rap: Option<bool>,
    /// MQTT 5 Retain Handling: 0, 1 or 2.
    pub rh: Option<u32>,
}

impl NativeClient {
    /// A packet's `properties` argument: converted in MQTT 5, ignored in 3.x (as MQTT.js does).
    fn properties(
        &self,
        given: Option<Unknown<'_>>,
        packet: PacketKind,
        what: &str,
    ) -> napi::Result<PacketProperties> {
        if !self.protocol.is_v5() {
            return Ok(PacketProperties::NONE);
        }
        optional_properties_from_js(given, PropertyContext::Packet(packet), what)
    }

    fn given_list(&self, list: Option<Vec<Unknown<'_>>>) -> napi::Result<Vec<Given>> {
        list.into_iter()
            .flatten()
            .map(|value| {
                if self.protocol.is_v5() {
                    given_from_js(value)
                } else {
                    // Still one per flagged record, so that records and list pair up.
                    Ok(Given::Undefined)
                }
            })
            .collect()
    }

    fn subscribe_filter(&self, filter: NativeSubscription) -> napi::Result<SubscribeFilter> {
        validate_topic_filter(&filter.topic).map_err(|e| invalid_topic(&filter.topic, e))?;
        let qos = qos_from(filter.qos, "qos")?;
        let mut subscription = SubscribeFilter::new(filter.topic, qos);
        if self.protocol.is_v5() {
            let rh = filter.rh.unwrap_or(0);
            subscription.options = SubscriptionOptions {
                no_local: filter.nl.unwrap_or(false),
                retain_as_published: filter.rap.unwrap_or(false),
                retain_handling: u8::try_from(rh)
                    .ok()
                    .and_then(RetainHandling::from_u8)
                    .ok_or_else(|| invalid("rh", format!("must be 0, 1 or 2, got {rh}")))?,
            };
        }
        Ok(subscription)
    }

    fn auth(&self, reason_code: u32, properties: Unknown<'_>) -> napi::Result<Box<Auth>> {
        if !self.protocol.is_v5() {
            return Err(napi::Error::new(
                napi::Status::GenericFailure,
                "AUTH exists only in MQTT 5 (protocolVersion: 5)",
            ));
        }
        let reason_code = reason_code_for(reason_code, PacketKind::Auth, "reasonCode")?;
        let given = given_from_js(properties)?;
        let context = PropertyContext::Packet(PacketKind::Auth);
        let properties = properties_from_given(&given, context, "properties")
            .map_err(properties::invalid_arg)?;
        Ok(Box::new(Auth {
            reason_code,
            // The codec requires an Authentication Method on AUTH: `properties` has one.
            properties: properties.get().cloned().unwrap_or_default(),
        }))
    }

    fn send(&self, command: Command) -> napi::Result<()> {
        self.commands
            .send(ClientCommand::Session(command))
            .map_err(connection_closed)
    }
}

fn connection_closed(_: connection::Closed) -> napi::Error {
    napi::Error::from_reason("Connection closed")
}

fn invalid_topic(topic: &str, error: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(
        napi::Status::InvalidArg,
        format!("Invalid topic {topic}: {error}"),
    )
}

/// A reason code the application gave for `packet`: one the specification allows there.
fn reason_code_for(code: u32, packet: PacketKind, option: &str) -> napi::Result<ReasonCode> {
    u8::try_from(code)
        .ok()
        .map(ReasonCode)
        .filter(|code| code.is_valid_for(packet))
        .ok_or_else(|| {
            invalid(
                option,
                format!("{code} is not a reason code of {}", packet.name()),
            )
        })
}

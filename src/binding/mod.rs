//! The only module that touches N-API: the `NativeClient` class the JS shim
//! wraps, and the bridge that carries event batches back to JS.

mod command_batch;
mod event_batch;
mod event_pump;
mod options;

use bytes::Bytes;
use napi::bindgen_prelude::{Buffer, Function};
use napi_derive::napi;
use tokio::sync::mpsc;

use crate::codec::{validate_topic_filter, SubscribeFilter};
use crate::connection::{self, ClientCommand};
use crate::session::Command;
use options::{invalid, qos_from};
pub use options::{NativeOptions, NativeWill};

/// Engine threads: the work per client is small, and the machines this runs
/// on often have two cores, one of which Node's own thread needs.
const RUNTIME_WORKER_THREADS: usize = 1;

#[napi_derive::module_init]
fn init_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(RUNTIME_WORKER_THREADS)
        .thread_name("mqtt-napi")
        .enable_all()
        .build();
    if let Ok(runtime) = runtime {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}

#[napi]
pub struct NativeClient {
    commands: mpsc::UnboundedSender<ClientCommand>,
}

#[napi]
impl NativeClient {
    /// Validates the options and starts the client task. `on_events`
    /// receives one Buffer per batch of events (see `lib/event-batch.js`).
    #[napi(constructor, catch_unwind)]
    pub fn new(options: NativeOptions, on_events: Function<'_, Buffer, ()>) -> napi::Result<Self> {
        let config = options.into_config()?;
        let callback: event_pump::EventCallback = on_events
            .build_threadsafe_function::<Vec<u8>>()
            .callee_handled::<false>()
            .build_callback(|ctx| Ok(Buffer::from(ctx.value)))?;
        let (command_tx, command_rx) = mpsc::unbounded_channel();
        let (event_tx, event_rx) = mpsc::channel(connection::EVENT_BATCHES_IN_FLIGHT);
        napi::bindgen_prelude::spawn(connection::run(config, command_rx, event_tx));
        napi::bindgen_prelude::spawn(event_pump::deliver_events(event_rx, callback));
        Ok(NativeClient {
            commands: command_tx,
        })
    }

    /// Queues the publishes of one tick (see `command_batch`); completions
    /// arrive as events carrying each publish's token (0 = nobody waits).
    #[napi(catch_unwind)]
    pub fn publish_batch(&self, batch: &[u8]) -> napi::Result<()> {
        let commands = command_batch::parse_publish_batch(batch).map_err(|e| {
            napi::Error::from_reason(format!("mqtt-napi: malformed publish batch ({})", e.0))
        })?;
        for command in commands {
            self.send(command)?;
        }
        Ok(())
    }

    /// One publish on its own, for large payloads: copied once, straight from
    /// the caller's buffer, instead of through the batch. The shim flushes the
    /// batch first, so call order is kept.
    #[napi(catch_unwind)]
    pub fn publish(
        &self,
        topic: String,
        payload: &[u8],
        qos: u32,
        retain: bool,
        token: f64,
    ) -> napi::Result<()> {
        self.send(command_batch::publish_command(
            token as u64,
            (qos.min(3) as u8) | (u8::from(retain) << 2),
            topic.as_bytes(),
            Bytes::copy_from_slice(payload),
        ))
    }

    #[napi(catch_unwind)]
    pub fn subscribe(&self, topics: Vec<String>, qos: Vec<u32>, token: f64) -> napi::Result<()> {
        if topics.is_empty() || topics.len() != qos.len() {
            return Err(invalid("topic", "no topics to subscribe to"));
        }
        let filters = topics
            .into_iter()
            .zip(qos)
            .map(|(filter, qos)| {
                validate_topic_filter(&filter).map_err(|e| invalid_topic(&filter, e))?;
                Ok(SubscribeFilter {
                    filter,
                    qos: qos_from(qos, "qos")?,
                })
            })
            .collect::<napi::Result<Vec<_>>>()?;
        self.send(Command::Subscribe {
            token: token as u64,
            filters,
        })
    }

    #[napi(catch_unwind)]
    pub fn unsubscribe(&self, topics: Vec<String>, token: f64) -> napi::Result<()> {
        if topics.is_empty() {
            return Err(invalid("topic", "no topics to unsubscribe from"));
        }
        for filter in &topics {
            validate_topic_filter(filter).map_err(|e| invalid_topic(filter, e))?;
        }
        self.send(Command::Unsubscribe {
            token: token as u64,
            filters: topics,
        })
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

    /// Graceful (`force = false`) waits for in-flight exchanges, then sends DISCONNECT.
    #[napi(catch_unwind)]
    pub fn end(&self, force: bool) {
        // A closed channel means the task already ended: nothing left to stop.
        let _ = self.commands.send(ClientCommand::End { force });
    }
}

impl NativeClient {
    fn send(&self, command: Command) -> napi::Result<()> {
        self.commands
            .send(ClientCommand::Session(command))
            .map_err(|_| napi::Error::from_reason("Connection closed"))
    }
}

fn invalid_topic(topic: &str, error: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(
        napi::Status::InvalidArg,
        format!("Invalid topic {topic}: {error}"),
    )
}

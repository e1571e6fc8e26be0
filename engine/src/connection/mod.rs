//! The tokio task that owns one client's socket and session.
//!
//! One loop per network connection multiplexes socket reads, socket writes,
//! commands from JS and the session's next deadline; a supervisor around it
//! runs the reconnect policy and turns a panic into an `error` event.

mod attempt;
mod events;
mod io_loop;
pub mod mailbox;
mod offline;
mod outbox;
mod outcome;
mod read_pacer;
mod reconnect;
mod write_queue;

use std::borrow::Cow;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::Poll;

use tokio::time::Instant;

pub use events::{ClientCommand, ClientError, ClientEvent, ConnectIdentity, Controls, ErrorCode};
pub use mailbox::Closed;
pub use outbox::QoS0WrittenMark;
pub use read_pacer::BACK_TO_BACK;
pub use reconnect::{Backoff, ReconnectPolicy};

use crate::session::{Session, SessionConfig};
use crate::transport::{self, Endpoint};
use attempt::Attempt;
use offline::WaitOutcome;
use outbox::Outbox;
use outcome::AttemptOutcome;
use reconnect::Jitter;

/// Everything the task needs, validated by the binding.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Brokers to try, rotating on each reconnect (MQTT.js `servers`).
    pub endpoints: Vec<Endpoint>,
    pub session: SessionConfig,
    pub reconnect: ReconnectPolicy,
    /// Largest inbound packet accepted, fixed header included.
    pub max_incoming_packet_size: usize,
    /// Takes each plain socket once connected (see [`transport::StreamAdopter`]);
    /// `None`: tokio's reactor watches every socket.
    pub stream_adopter: Option<transport::StreamAdopter>,
}

/// Events are handed over in batches; this many batches may wait for JS
/// before the task stops reading the socket (backpressure).
pub const EVENT_BATCHES_IN_FLIGHT: usize = 2;

pub type CommandSender = mailbox::Sender<ClientCommand>;
pub type CommandReceiver = mailbox::Receiver<ClientCommand>;
pub type EventSender = mailbox::Sender<Vec<ClientEvent>>;
pub type EventReceiver = mailbox::Receiver<Vec<ClientEvent>>;

/// Commands from JS: unbounded, as MQTT.js's queue of calls is; what the
/// session keeps while offline has its own limits (`offlineQueueMax*`).
pub fn command_mailbox() -> (CommandSender, CommandReceiver) {
    mailbox::mailbox(None)
}

pub fn event_mailbox() -> (EventSender, EventReceiver) {
    mailbox::mailbox(Some(EVENT_BATCHES_IN_FLIGHT))
}

/// Runs a client until it ends or its command channel closes, then emits
/// `Terminated`. A panic anywhere inside becomes an `error` event. The task
/// advances `qos0_written` as QoS 0 publishes are written.
pub async fn run(
    config: ClientConfig,
    commands: CommandReceiver,
    events: EventSender,
    qos0_written: QoS0WrittenMark,
) {
    let supervisor_events = events.clone();
    // The panic boundary runs in this task rather than around a second one
    // (a spawned supervisor cost each client ~0.8 KB, heaptrack).
    let drive = drive(config, commands, events, qos0_written);
    tokio::pin!(drive);
    let outcome = poll_fn(
        |cx| match catch_unwind(AssertUnwindSafe(|| drive.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(())) => Poll::Ready(Ok(())),
            Err(panic) => Poll::Ready(Err(panic)),
        },
    )
    .await;
    if let Err(panic) = outcome {
        let message = panic_message(panic);
        if supervisor_events.room().await.is_err() {
            return;
        }
        let _ = supervisor_events.send(vec![
            ClientEvent::Error(ClientError::with_code(
                format!("mqtt-napi internal error: {message}"),
                ErrorCode::Text("ERR_MQTT_NAPI_INTERNAL".into()),
            )),
            ClientEvent::Close,
            ClientEvent::Terminated,
        ]);
    }
}

/// The session's clock: tokio's, so tests that pause time pause it too.
fn now() -> std::time::Instant {
    Instant::now().into_std()
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

/// The reconnect loop around one network connection at a time.
async fn drive(
    config: ClientConfig,
    mut commands: CommandReceiver,
    events: EventSender,
    qos0_written: QoS0WrittenMark,
) {
    let mut session = Session::new(config.session.clone(), Instant::now().into_std());
    let mut outbox = Outbox::new(events, qos0_written);
    let mut controls = Controls::default();
    let policy = config.reconnect;
    let mut jitter = Jitter::seeded();
    let mut reconnecting = false;
    let mut failures_since_connected = 0u32;
    let mut attempt = 0usize;
    let mut reconnects_announced = 0u32;

    loop {
        let server = attempt % config.endpoints.len();
        if attempt > 0 {
            outbox.push(ClientEvent::Reconnect { server });
            reconnects_announced = reconnects_announced.wrapping_add(1);
            let emitted = offline::wait_for_reconnect_emitted(
                reconnects_announced,
                &mut session,
                &mut commands,
                &mut outbox,
                &mut controls,
            )
            .await;
            if let WaitOutcome::Ended = emitted {
                break;
            }
        }
        let endpoint = &config.endpoints[server];
        attempt += 1;
        let endpoint = match controls.next_websocket_url.take() {
            Some(url) => Cow::Owned(endpoint.with_websocket_url(url)),
            None => Cow::Borrowed(endpoint),
        };

        let (outcome, was_connected) = Attempt {
            config: &config,
            endpoint: &endpoint,
            session: &mut session,
            commands: &mut commands,
            outbox: &mut outbox,
            controls: &mut controls,
        }
        .run()
        .await;
        if was_connected {
            // MQTT.js clears `reconnecting` on every accepted CONNACK.
            reconnecting = false;
            failures_since_connected = 0;
        } else {
            failures_since_connected += 1;
        }
        let mut go_offline = |outbox: &mut Outbox| {
            if policy.enabled() && !reconnecting {
                outbox.push(ClientEvent::Offline);
                reconnecting = true;
            }
        };
        let mut reconnect_now = false;
        match outcome {
            AttemptOutcome::Ended { transport_was_open } => {
                if transport_was_open {
                    outbox.push(ClientEvent::Close);
                }
                break;
            }
            AttemptOutcome::Refused(error) => {
                // MQTT.js: `error`, then `close`; no reconnect unless asked for.
                outbox.push(ClientEvent::Error(error));
                if !policy.on_connack_error {
                    outbox.push(ClientEvent::Close);
                    break;
                }
                go_offline(&mut outbox);
                outbox.push(ClientEvent::Close);
            }
            AttemptOutcome::TransportError(error) => {
                // The socket's error reaches JS first, then its close.
                outbox.push(ClientEvent::Error(error));
                go_offline(&mut outbox);
                outbox.push(ClientEvent::Close);
            }
            AttemptOutcome::SessionError(error) => {
                // MQTT.js tears the link down first (emitting `offline`), then reports.
                go_offline(&mut outbox);
                outbox.push(ClientEvent::Error(error));
                outbox.push(ClientEvent::Close);
            }
            AttemptOutcome::Closed | AttemptOutcome::Aborted => {
                go_offline(&mut outbox);
                outbox.push(ClientEvent::Close);
            }
            AttemptOutcome::ReconnectRequested { transport_was_open } => {
                if transport_was_open {
                    outbox.push(ClientEvent::Close);
                }
                reconnect_now = true;
            }
        }
        session.on_transport_closed(Instant::now().into_std());
        outbox.take_session_events(&mut session);

        if session.is_finished() {
            // The link dropped during a graceful end: as in MQTT.js, an ending
            // client does not reconnect; what was still in flight fails.
            break;
        }
        if reconnect_now {
            continue;
        }
        if !policy.enabled() {
            break;
        }
        let delay = policy.delay(
            failures_since_connected.saturating_sub(1),
            jitter.next_unit(),
        );
        let waited = offline::wait_offline(
            delay,
            &mut session,
            &mut commands,
            &mut outbox,
            &mut controls,
        )
        .await;
        if let WaitOutcome::Ended = waited {
            break;
        }
    }

    session.shutdown();
    outbox.take_session_events(&mut session);
    outbox.push(ClientEvent::Terminated);
    outbox.close().await;
}

#[cfg(test)]
mod tests;

//! The tokio task that owns one client's socket and session.
//!
//! One loop per network connection multiplexes socket reads, socket writes,
//! commands from JS and the session's next deadline; a supervisor around it
//! runs the reconnect policy and turns a panic into an `error` event.

mod events;
mod link;

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

pub use events::{ClientCommand, ClientError, ClientEvent, ErrorCode};

use crate::session::{Session, SessionConfig};
use crate::transport::Endpoint;
use link::{LinkOutcome, Outbox};

/// Everything the task needs, validated by the binding.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub endpoint: Endpoint,
    pub session: SessionConfig,
    /// Zero: never reconnect on its own.
    pub reconnect_period: Duration,
    /// Largest inbound packet accepted, fixed header included.
    pub max_incoming_packet_size: usize,
}

/// Events are handed over in batches; this many batches may wait for JS
/// before the task stops reading the socket (backpressure).
pub const EVENT_BATCHES_IN_FLIGHT: usize = 2;

/// Runs a client until it ends or its command channel closes, then emits
/// `Terminated`. A panic anywhere inside becomes an `error` event.
pub async fn run(
    config: ClientConfig,
    commands: mpsc::UnboundedReceiver<ClientCommand>,
    events: mpsc::Sender<Vec<ClientEvent>>,
) {
    let supervisor_events = events.clone();
    let task = tokio::spawn(drive(config, commands, events));
    if let Err(join_error) = task.await {
        let message = if join_error.is_panic() {
            panic_message(join_error.into_panic())
        } else {
            "client task cancelled".to_string()
        };
        let _ = supervisor_events
            .send(vec![
                ClientEvent::Error(ClientError::with_code(
                    format!("mqtt-napi internal error: {message}"),
                    ErrorCode::Text("ERR_MQTT_NAPI_INTERNAL".into()),
                )),
                ClientEvent::Close,
                ClientEvent::Terminated,
            ])
            .await;
    }
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
    mut commands: mpsc::UnboundedReceiver<ClientCommand>,
    events: mpsc::Sender<Vec<ClientEvent>>,
) {
    let mut session = Session::new(config.session.clone(), Instant::now().into_std());
    let mut outbox = Outbox::new(events);
    let auto_reconnect = !config.reconnect_period.is_zero();
    let mut reconnecting = false;
    let mut first_attempt = true;

    loop {
        if !first_attempt {
            outbox.push(ClientEvent::Reconnect);
        }
        first_attempt = false;

        let (outcome, was_connected) =
            link::run_connection(&config, &mut session, &mut commands, &mut outbox).await;
        if was_connected {
            // MQTT.js clears `reconnecting` on every accepted CONNACK.
            reconnecting = false;
        }
        let mut go_offline = |outbox: &mut Outbox| {
            if auto_reconnect && !reconnecting {
                outbox.push(ClientEvent::Offline);
                reconnecting = true;
            }
        };
        match outcome {
            LinkOutcome::Ended { transport_was_open } => {
                if transport_was_open {
                    outbox.push(ClientEvent::Close);
                }
                break;
            }
            LinkOutcome::Refused(error) => {
                // MQTT.js: `error`, then `close`; a refused CONNACK never reconnects.
                outbox.push(ClientEvent::Error(error));
                outbox.push(ClientEvent::Close);
                break;
            }
            LinkOutcome::TransportError(error) => {
                // The socket's error reaches JS first, then its close.
                outbox.push(ClientEvent::Error(error));
                go_offline(&mut outbox);
                outbox.push(ClientEvent::Close);
            }
            LinkOutcome::SessionError(error) => {
                // MQTT.js tears the link down first (emitting `offline`), then reports.
                go_offline(&mut outbox);
                outbox.push(ClientEvent::Error(error));
                outbox.push(ClientEvent::Close);
            }
            LinkOutcome::Closed => {
                go_offline(&mut outbox);
                outbox.push(ClientEvent::Close);
            }
        }
        session.on_transport_closed(Instant::now().into_std());
        outbox.take_session_events(&mut session);

        if !auto_reconnect {
            break;
        }
        if !link::wait_offline(
            config.reconnect_period,
            &mut session,
            &mut commands,
            &mut outbox,
        )
        .await
        {
            break;
        }
    }

    session.shutdown();
    outbox.take_session_events(&mut session);
    outbox.push(ClientEvent::Terminated);
    outbox.close().await;
}

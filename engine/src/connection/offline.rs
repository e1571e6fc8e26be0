//! Commands from JS while there is no usable connection (connecting, waiting
//! to reconnect): they are queued in the session or change the controls; only
//! `end()` and `reconnect()` change what the task does next.

use std::time::Duration;

use tokio::time::{sleep_until, Instant};

use super::outbox::Outbox;
use super::{now, ClientCommand, CommandReceiver, ConnectIdentity, Controls};
use crate::session::Session;

/// What a command taken while there is no usable connection asks for.
pub(super) enum OfflineCommand {
    Handled,
    Reconnect,
    End,
}

pub(super) fn handle_offline_command(
    command: Option<ClientCommand>,
    session: &mut Session,
    outbox: &mut Outbox,
    controls: &mut Controls,
) -> OfflineCommand {
    let Some(command) = command else {
        return OfflineCommand::End;
    };
    match command {
        ClientCommand::End { .. } => OfflineCommand::End,
        ClientCommand::Reconnect => OfflineCommand::Reconnect,
        ClientCommand::AbortConnection { .. } => OfflineCommand::Handled,
        ClientCommand::ReconnectEmitted {
            count,
            identity,
            websocket_url,
        } => {
            reconnect_emitted(session, controls, count, identity, websocket_url);
            OfflineCommand::Handled
        }
        ClientCommand::SetEventsHeld(held) => {
            controls.events_held = held;
            OfflineCommand::Handled
        }
        ClientCommand::Session(command) => {
            session.handle_command(command, now());
            outbox.take_session_events(session);
            OfflineCommand::Handled
        }
        ClientCommand::SetPacketEvents(on) => {
            controls.packet_events = on;
            OfflineCommand::Handled
        }
        ClientCommand::SetReading(on) => {
            controls.reading_paused = !on;
            OfflineCommand::Handled
        }
        ClientCommand::SetManualAcks(on) => {
            session.set_manual_acks(on);
            OfflineCommand::Handled
        }
        ClientCommand::Acknowledge {
            packet_id,
            connection,
            reason_code,
        } => {
            session.acknowledge(packet_id, connection, reason_code);
            OfflineCommand::Handled
        }
        ClientCommand::SetQoS0Reports(wanted) => {
            outbox.set_qos0_reports(wanted);
            OfflineCommand::Handled
        }
        ClientCommand::Panic => panic!("test failpoint: panic in the client task"),
    }
}

pub enum WaitOutcome {
    /// Time to try again (the delay passed, or `reconnect()` was called).
    Reconnect,
    /// The client was ended meanwhile.
    Ended,
}

/// JS has emitted a `reconnect`; the connect fields it sends hold for the next CONNECT
/// (a late answer, after its attempt went ahead, still holds for the one after).
pub(super) fn reconnect_emitted(
    session: &mut Session,
    controls: &mut Controls,
    count: u32,
    identity: Option<ConnectIdentity>,
    websocket_url: Option<String>,
) {
    controls.reconnects_emitted = count;
    if websocket_url.is_some() {
        controls.next_websocket_url = websocket_url;
    }
    if let Some(identity) = identity {
        session.set_connect_identity(identity.client_id, identity.username, identity.password);
    }
}

/// After a `reconnect` event was queued: waits until JS has emitted it before
/// the next attempt opens its socket, as MQTT.js emits `reconnect` before it
/// creates the stream (apps refresh credentials there). A JS loop that is busy
/// delays the attempt, as it delays MQTT.js's; `end()`, the client being
/// dropped, or the event channel closing end the wait. `announced` counts the
/// `reconnect` events queued so far (wrapping).
pub async fn wait_for_reconnect_emitted(
    announced: u32,
    session: &mut Session,
    commands: &mut CommandReceiver,
    outbox: &mut Outbox,
    controls: &mut Controls,
) -> WaitOutcome {
    let sender = outbox.sender();
    loop {
        if controls.reconnects_emitted == announced || controls.events_held {
            return WaitOutcome::Reconnect;
        }
        tokio::select! {
            command = commands.recv() => {
                match command {
                    // The attempt this waits for is the reconnect asked for.
                    Some(ClientCommand::Reconnect) => {}
                    other => match handle_offline_command(other, session, outbox, controls) {
                        OfflineCommand::End => return WaitOutcome::Ended,
                        OfflineCommand::Reconnect | OfflineCommand::Handled => {}
                    },
                }
            }
            room = sender.room(), if outbox.has_pending() => {
                match room {
                    Ok(()) => outbox.hand_over(),
                    // Nobody is left to emit the event.
                    Err(_) => return WaitOutcome::Ended,
                }
            }
        }
    }
}

/// Waits `delay` before the next attempt, queueing what JS sends meanwhile.
pub async fn wait_offline(
    delay: Duration,
    session: &mut Session,
    commands: &mut CommandReceiver,
    outbox: &mut Outbox,
    controls: &mut Controls,
) -> WaitOutcome {
    let wake_at = Instant::now() + delay;
    let sender = outbox.sender();
    loop {
        tokio::select! {
            _ = sleep_until(wake_at) => return WaitOutcome::Reconnect,
            command = commands.recv() => {
                match handle_offline_command(command, session, outbox, controls) {
                    OfflineCommand::End => return WaitOutcome::Ended,
                    OfflineCommand::Reconnect => return WaitOutcome::Reconnect,
                    OfflineCommand::Handled => {}
                }
            }
            room = sender.room(), if outbox.has_pending() => {
                if room.is_ok() {
                    outbox.hand_over();
                }
            }
        }
    }
}

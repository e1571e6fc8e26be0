//! One connection attempt: opens the transport (taking commands meanwhile),
//! then hands the stream to the I/O loop for the rest of its life.

use tokio::time::{timeout_at, Instant};

use super::io_loop::IoLoop;
use super::offline::{handle_offline_command, OfflineCommand};
use super::outbox::Outbox;
use super::outcome::{transport_error, AttemptOutcome};
use super::{now, ClientConfig, ClientError, CommandReceiver, Controls};
use crate::session::{Session, SessionError};
use crate::transport::{self, Endpoint};

/// One connection attempt and, if it succeeds, its life.
pub struct Attempt<'a> {
    pub config: &'a ClientConfig,
    pub endpoint: &'a Endpoint,
    pub session: &'a mut Session,
    pub commands: &'a mut CommandReceiver,
    pub outbox: &'a mut Outbox,
    pub controls: &'a mut Controls,
}

impl Attempt<'_> {
    /// Connects and runs the connection to its end. The flag says whether
    /// the broker accepted the connection (CONNACK 0) on the way.
    pub async fn run(&mut self) -> (AttemptOutcome, bool) {
        let started = Instant::now();
        // Boxed: connecting (TLS handshake included) needs a large future for a
        // moment; kept inline, every client task would carry its size for life.
        let stream = match Box::pin(self.open(started)).await {
            Ok(stream) => stream,
            Err(outcome) => return (outcome, false),
        };
        let mut io = IoLoop::new(self.config);
        self.session.on_transport_open(started.into_std(), now());
        let outcome = io.run(stream, self).await;
        (outcome, io.was_connected())
    }

    /// Opens the transport, handling commands meanwhile. The connect timeout
    /// covers TCP and TLS too; running out of it is a CONNACK timeout, as in MQTT.js.
    async fn open(&mut self, started: Instant) -> Result<transport::Stream, AttemptOutcome> {
        let deadline = started + self.config.session.connect_timeout;
        let sender = self.outbox.sender();
        let adopter = self.config.stream_adopter.as_ref();
        let connect = timeout_at(deadline, transport::connect(self.endpoint, adopter));
        tokio::pin!(connect);
        loop {
            tokio::select! {
                result = &mut connect => return match result {
                    Ok(Ok(stream)) => Ok(stream),
                    Ok(Err(error)) => Err(AttemptOutcome::TransportError(transport_error(error))),
                    Err(_elapsed) => Err(AttemptOutcome::SessionError(ClientError::new(
                        SessionError::ConnackTimeout.to_string(),
                    ))),
                },
                command = self.commands.recv() => {
                    match handle_offline_command(command, self.session, self.outbox, self.controls) {
                        OfflineCommand::End => {
                            return Err(AttemptOutcome::Ended { transport_was_open: false })
                        }
                        OfflineCommand::Reconnect => {
                            return Err(AttemptOutcome::ReconnectRequested { transport_was_open: false })
                        }
                        OfflineCommand::Handled => {}
                    }
                }
                room = sender.room(), if self.outbox.has_pending() => {
                    if room.is_ok() {
                        self.outbox.hand_over();
                    }
                }
            }
        }
    }
}

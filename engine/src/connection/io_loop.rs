//! The loop of a connected transport: socket reads and writes, commands from
//! JS and the session's deadlines, multiplexed until the connection ends.

use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{sleep_until, Instant};

use super::attempt::Attempt;
use super::mailbox::TryRecvError;
use super::offline::reconnect_emitted;
use super::outbox::Outbox;
use super::outcome::{session_outcome, transport_error, AttemptOutcome};
use super::read_pacer::ReadPacer;
use super::write_queue::WriteQueue;
use super::{now, ClientCommand, ClientConfig, ClientError, ClientEvent, Controls, ErrorCode};
use crate::codec::v5::ReasonCode;
use crate::codec::{self, DecodeError, Disconnect, Packet, PacketProperties};
use crate::session::{Command, Session, SessionError};
use crate::transport;

/// Read room per read: starts small (thousands of idle clients stay cheap)
/// and doubles while reads fill it, up to the large reads a busy stream wants.
const MIN_READ: usize = 1024;
const MAX_READ: usize = 64 * 1024;
/// A packet's rest is reserved in one step up to this size (beyond it, in
/// steps no larger than what has arrived).
const RESERVE_AHEAD: usize = 1024 * 1024;
/// Stop encoding what the session has queued, and give commands from JS the
/// lowest priority, while this much is waiting for the socket. (Encoding a whole offline queue
/// at once grew the write buffer to its size, 64 MiB for 50,000 1 KiB
/// messages, and a `BytesMut` keeps its capacity for the connection's life.)
const WRITE_HIGH_WATER: usize = 4 * 1024 * 1024;
/// QoS 0 publishes encoded in one go are reported written in steps of at most
/// this many bytes, not all at once when the last of them is (a step costs one
/// entry in the write queue, not one per publish).
const QOS0_MARK_SPACING: usize = 64 * 1024;
/// How long the last packets before a close (reconnect, forced end) may take to go out.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(1);
/// Commands taken from the channel per wake-up, so a flood of publishes
/// cannot starve reads and deadlines.
const COMMANDS_PER_TURN: usize = 1024;

pub(super) struct IoLoop {
    pacer: ReadPacer,
    /// Reading is stopped for a reason of ours (JS backlog, `setReading(false)`), as last told
    /// to the session's keepalive.
    reads_held: bool,
    read_room: usize,
    version: codec::ProtocolVersion,
    max_packet_size: usize,
    read_buf: BytesMut,
    write_queue: WriteQueue,
    was_connected: bool,
}

impl IoLoop {
    pub(super) fn new(config: &ClientConfig) -> Self {
        IoLoop {
            version: config.session.protocol,
            max_packet_size: max_incoming_packet_size(config),
            read_buf: BytesMut::new(),
            read_room: MIN_READ,
            write_queue: WriteQueue::default(),
            was_connected: false,
            pacer: ReadPacer::default(),
            reads_held: false,
        }
    }

    /// Whether the broker accepted the connection (CONNACK 0) at some point.
    pub(super) fn was_connected(&self) -> bool {
        self.was_connected
    }

    pub(super) async fn run(
        &mut self,
        stream: transport::Stream,
        attempt: &mut Attempt<'_>,
    ) -> AttemptOutcome {
        let (mut reader, mut writer) = tokio::io::split(stream);
        let sender = attempt.outbox.sender();
        loop {
            // Events first: the packet ids a command allocated reach JS before the
            // packetsend of their packets (MQTT.js's getLastMessageId() inside a
            // packetsend listener already knows the packet's id).
            attempt.outbox.take_session_events(attempt.session);
            if let Err(error) = self.encode_transmits(
                attempt.session,
                attempt.outbox,
                &*attempt.controls,
                WRITE_HIGH_WATER,
            ) {
                return AttemptOutcome::SessionError(error);
            }
            if attempt.session.is_finished() && self.write_queue.is_empty() {
                let _ = writer.shutdown().await;
                return AttemptOutcome::Ended {
                    transport_was_open: true,
                };
            }
            self.make_read_room();
            let reads_held = attempt.outbox.is_congested() || attempt.controls.reading_paused;
            if reads_held != self.reads_held {
                self.reads_held = reads_held;
                attempt.session.on_reads_held(reads_held, now());
            }
            let deadline = attempt.session.poll_timeout().map(Instant::from_std);
            let may_read = !reads_held && self.pacer.paused_until().is_none();
            let read_resumes_at = self.pacer.paused_until().map(Instant::from_std);
            let backlogged = self.write_queue.len() >= WRITE_HIGH_WATER;
            let commands = &mut *attempt.commands;

            // Polled in this order: get bytes out first, then take new work, then
            // drain the socket; events are handed to JS only when the socket has
            // nothing more right now, so JS gets few large batches, not many small ones.
            tokio::select! {
                biased;
                written = self.write_queue.write_to(&mut writer), if !self.write_queue.is_empty() => {
                    match written {
                        Ok(0) => return AttemptOutcome::Closed,
                        Ok(n) => {
                            self.write_queue.advance(n);
                            attempt.outbox.qos0_written(self.write_queue.qos0_written_through());
                        }
                        Err(error) => {
                            return AttemptOutcome::TransportError(transport_error(
                                transport::TransportError::write(error),
                            ))
                        }
                    }
                }
                // With a backlog for the socket, commands go after everything else
                // (they would only queue in the session), but they still go:
                // `end(true)` and `reconnect()` must not wait for a stalled socket.
                command = async {
                    if backlogged {
                        tokio::task::yield_now().await;
                    }
                    commands.recv().await
                } => {
                    match handle_commands(command, attempt) {
                        None => {}
                        Some(HandledCommands::Abort(disconnect)) => {
                            // MQTT 5 says why (after what is queued, so that no packet is cut);
                            // otherwise the socket just closes, as MQTT.js destroys the stream.
                            if let Some(disconnect) = disconnect.filter(|_| self.version.is_v5()) {
                                self.disconnect(&mut writer, attempt.outbox, &*attempt.controls, disconnect).await
                            }
                            return AttemptOutcome::Aborted;
                        }
                        Some(HandledCommands::End(outcome)) => {
                            match outcome {
                                AttemptOutcome::ReconnectRequested { .. } => {
                                    self.disconnect(&mut writer, attempt.outbox, &*attempt.controls, Disconnect::NORMAL).await
                                }
                                // A forced end still sends what was asked for before it, as
                                // MQTT.js has written it to the socket by then.
                                _ => self.flush(&mut writer, attempt.session, attempt.outbox, &*attempt.controls).await,
                            }
                            return outcome;
                        }
                    }
                }
                read = reader.read_buf(&mut self.read_buf), if may_read => {
                    match read {
                        Ok(0) => return AttemptOutcome::Closed,
                        Ok(n) => {
                            self.read_room = next_read_room(self.read_room, n);
                            match self.decode_packets(attempt.session, attempt.outbox, &*attempt.controls) {
                                Ok(messages) => self.pacer.on_read(now(), n, messages),
                                Err(broken) => {
                                    // What the packets before the bad one caused reaches JS first.
                                    attempt.outbox.take_session_events(attempt.session);
                                    if let Some(reason_code) = broken.disconnect_reason {
                                        let goodbye = Disconnect { reason_code, properties: PacketProperties::NONE };
                                        self.disconnect(&mut writer, attempt.outbox, &*attempt.controls, goodbye).await;
                                    }
                                    return broken.outcome;
                                }
                            }
                        }
                        Err(error) => {
                            return AttemptOutcome::TransportError(transport_error(
                                transport::TransportError::read(error),
                            ))
                        }
                    }
                }
                room = sender.room(), if attempt.outbox.has_pending() => {
                    if room.is_ok() {
                        attempt.outbox.hand_over();
                    }
                }
                _ = sleep_until(read_resumes_at.unwrap_or_else(Instant::now)), if read_resumes_at.is_some() => {
                    self.pacer.resume();
                }
                _ = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    if let Err(error) = attempt.session.handle_timeout(now()) {
                        return session_outcome(error);
                    }
                }
            }
        }
    }

    /// Leaves the connection with a DISCONNECT (a normal one, so the broker drops the will; or,
    /// in MQTT 5, one whose reason code says what the broker did wrong [MQTT-4.13.1-1]), giving
    /// what is still buffered a moment to go out.
    async fn disconnect(
        &mut self,
        writer: &mut (impl AsyncWriteExt + Unpin),
        outbox: &mut Outbox,
        controls: &Controls,
        disconnect: Disconnect,
    ) {
        let packet = Packet::Disconnect(disconnect);
        if self.write_queue.encode(&packet, self.version).is_err() {
            return;
        }
        if controls.packet_events {
            outbox.push(ClientEvent::PacketSent(packet));
        }
        self.write_out(writer, outbox).await;
    }

    /// Sends what the session still has queued, then closes.
    async fn flush(
        &mut self,
        writer: &mut (impl AsyncWriteExt + Unpin),
        session: &mut Session,
        outbox: &mut Outbox,
        controls: &Controls,
    ) {
        if self
            .encode_transmits(session, outbox, controls, usize::MAX)
            .is_ok()
        {
            self.write_out(writer, outbox).await;
        }
    }

    /// Writes the buffer and shuts the stream down, for a moment at most.
    async fn write_out(&mut self, writer: &mut (impl AsyncWriteExt + Unpin), outbox: &mut Outbox) {
        let queue = &mut self.write_queue;
        let write = async {
            while !queue.is_empty() {
                match queue.write_to(writer).await? {
                    0 => return Err(std::io::ErrorKind::WriteZero.into()),
                    n => queue.advance(n),
                }
            }
            writer.shutdown().await
        };
        let _ = tokio::time::timeout(GOODBYE_TIMEOUT, write).await;
        outbox.qos0_written(self.write_queue.qos0_written_through());
        self.write_queue.clear();
    }

    /// Encodes what the session has to send until `limit` bytes wait for the
    /// socket; the rest stays queued in the session until they have gone out.
    fn encode_transmits(
        &mut self,
        session: &mut Session,
        outbox: &mut Outbox,
        controls: &Controls,
        limit: usize,
    ) -> Result<(), ClientError> {
        let now = now();
        while self.write_queue.len() < limit {
            let Some(packet) = session.poll_transmit(now) else {
                break;
            };
            self.write_queue
                .encode(&packet, self.version)
                .map_err(|e| {
                    ClientError::new(format!("cannot encode {}: {e}", packet.packet_type()))
                })?;
            if controls.packet_events {
                outbox.push(ClientEvent::PacketSent(packet));
            }
            if self.write_queue.unmarked_len() >= QOS0_MARK_SPACING {
                self.write_queue.mark_qos0(session.qos0_polled_through());
            }
        }
        self.write_queue.mark_qos0(session.qos0_polled_through());
        Ok(())
    }

    /// Room to read into: at least a quarter of the read room, or the rest of
    /// a large packet whose fixed header has arrived, reserved at once rather
    /// than grown (and copied) piece by piece. What is reserved ahead is bounded
    /// by what has arrived, so a peer cannot make us allocate a huge packet it
    /// only claims.
    fn make_read_room(&mut self) {
        let buffered = self.read_buf.len();
        let spare = self.read_buf.capacity() - buffered;
        let missing = codec::next_packet_len(&self.read_buf)
            .map_or(0, |len| len.saturating_sub(buffered))
            .min(buffered.max(RESERVE_AHEAD));
        if missing > spare {
            self.read_buf.reserve(missing.max(self.read_room));
        } else if spare < self.read_room / 4 {
            self.read_buf.reserve(self.read_room);
        }
    }

    /// Decodes and handles every complete packet buffered; returns how many
    /// were messages (PUBLISH).
    fn decode_packets(
        &mut self,
        session: &mut Session,
        outbox: &mut Outbox,
        controls: &Controls,
    ) -> Result<u32, Broken> {
        let now = now();
        let mut decoded = 0;
        loop {
            match codec::decode(&mut self.read_buf, self.version, self.max_packet_size) {
                Ok(Some(packet)) => {
                    decoded += u32::from(matches!(packet, Packet::Publish(_)));
                    let server_disconnect = matches!(packet, Packet::Disconnect(_));
                    if controls.packet_events {
                        outbox.push(ClientEvent::PacketReceived(packet.clone()));
                    }
                    session
                        .handle_packet(packet, now)
                        .map_err(|error| Broken::session(error, self.version))?;
                    if session.is_connected() {
                        self.was_connected = true;
                    }
                    if server_disconnect {
                        // The broker closes the connection after its DISCONNECT and expects
                        // nothing back (section 3.14.4): what it said reaches JS before the close.
                        outbox.take_session_events(session);
                        return Err(Broken {
                            outcome: AttemptOutcome::Closed,
                            disconnect_reason: None,
                        });
                    }
                    if controls.packet_events {
                        // MQTT.js order: packetreceive, what it caused (message,
                        // callbacks), then the packetsend of the answer.
                        outbox.take_session_events(session);
                        self.encode_transmits(session, outbox, controls, WRITE_HIGH_WATER)
                            .map_err(|error| Broken {
                                outcome: AttemptOutcome::SessionError(error),
                                disconnect_reason: None,
                            })?;
                    }
                }
                Ok(None) => return Ok(decoded),
                Err(error) => return Err(Broken::decode(&error, self.version)),
            }
        }
    }
}

/// The largest packet we accept: the configured bound, lowered in MQTT 5 by the Maximum Packet
/// Size our CONNECT announces (a larger packet is refused from its fixed header, before its body
/// is buffered, and answered with DISCONNECT 0x95).
fn max_incoming_packet_size(config: &ClientConfig) -> usize {
    let announced = config
        .session
        .connect_properties
        .get()
        .and_then(|p| p.maximum_packet_size)
        .filter(|_| config.session.protocol.is_v5())
        .and_then(|max| usize::try_from(max).ok());
    match announced {
        Some(max) => max.min(config.max_incoming_packet_size),
        None => config.max_incoming_packet_size,
    }
}

/// Why handling what was read ended the connection.
struct Broken {
    outcome: AttemptOutcome,
    /// MQTT 5: the reason code of the DISCONNECT to send first [MQTT-4.13.1-1].
    disconnect_reason: Option<ReasonCode>,
}

impl Broken {
    fn session(error: SessionError, version: codec::ProtocolVersion) -> Self {
        let disconnect_reason = match &error {
            SessionError::Protocol(violation) if version.is_v5() => {
                Some(violation.disconnect_reason_code())
            }
            _ => None,
        };
        Broken {
            outcome: session_outcome(error),
            disconnect_reason,
        }
    }

    /// Bytes that are no MQTT packet (or one over our Maximum Packet Size, refused from its fixed
    /// header before the rest was buffered).
    fn decode(error: &DecodeError, version: codec::ProtocolVersion) -> Self {
        // MQTT 5: the error carries the reason code the DISCONNECT gives (MQTT.js reports an
        // oversized packet as ErrorWithReasonCode 149, a topic alias of 0 as 148); 3.x has none.
        let code = if version.is_v5() {
            ErrorCode::Number(u32::from(error.reason_code().0))
        } else {
            ErrorCode::Text("ERR_MQTT_PROTOCOL".into())
        };
        Broken {
            outcome: AttemptOutcome::SessionError(ClientError::with_code(error.to_string(), code)),
            disconnect_reason: version.is_v5().then(|| error.reason_code()),
        }
    }
}

/// Grows the read room while reads fill most of it, shrinks it when they stay small.
fn next_read_room(room: usize, read: usize) -> usize {
    if read >= room / 2 {
        (room * 2).min(MAX_READ)
    } else if read < room / 8 {
        (room / 2).max(MIN_READ)
    } else {
        room
    }
}

/// What a turn of commands from JS ended the connection with.
enum HandledCommands {
    End(AttemptOutcome),
    /// `AbortConnection`, with the DISCONNECT to send first (MQTT 5).
    Abort(Option<Disconnect>),
}

/// Applies the command just received and whatever else is already queued.
fn handle_commands(
    first: Option<ClientCommand>,
    attempt: &mut Attempt<'_>,
) -> Option<HandledCommands> {
    let now = now();
    let mut next = first;
    for turn in 1..=COMMANDS_PER_TURN {
        let command = match next {
            None => {
                return Some(HandledCommands::End(AttemptOutcome::Ended {
                    transport_was_open: true,
                }))
            }
            Some(command) => command,
        };
        match command {
            ClientCommand::End { force: true, .. } => {
                return Some(HandledCommands::End(AttemptOutcome::Ended {
                    transport_was_open: true,
                }))
            }
            ClientCommand::End {
                force: false,
                disconnect,
            } => attempt
                .session
                .handle_command(Command::Disconnect(disconnect), now),
            ClientCommand::ReconnectEmitted {
                count,
                identity,
                websocket_url,
            } => reconnect_emitted(
                attempt.session,
                attempt.controls,
                count,
                identity,
                websocket_url,
            ),
            ClientCommand::SetEventsHeld(held) => attempt.controls.events_held = held,
            ClientCommand::Reconnect => {
                return Some(HandledCommands::End(AttemptOutcome::ReconnectRequested {
                    transport_was_open: true,
                }))
            }
            ClientCommand::AbortConnection { disconnect } => {
                return Some(HandledCommands::Abort(disconnect))
            }
            ClientCommand::Session(command) => attempt.session.handle_command(command, now),
            ClientCommand::SetPacketEvents(on) => attempt.controls.packet_events = on,
            ClientCommand::SetReading(on) => attempt.controls.reading_paused = !on,
            ClientCommand::SetManualAcks(on) => attempt.session.set_manual_acks(on),
            ClientCommand::Acknowledge {
                packet_id,
                connection,
                reason_code,
            } => attempt
                .session
                .acknowledge(packet_id, connection, reason_code),
            ClientCommand::SetQoS0Reports(wanted) => attempt.outbox.set_qos0_reports(wanted),
            ClientCommand::Panic => panic!("test failpoint: panic in the client task"),
        }
        if turn == COMMANDS_PER_TURN {
            break;
        }
        match attempt.commands.try_recv() {
            Ok(command) => next = Some(command),
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Closed) => next = None,
        }
    }
    None
}

//! One network connection: connect, then shuttle bytes, commands and
//! deadlines through the session until the link ends.

use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::{sleep_until, timeout_at, Instant};

use super::mailbox::TryRecvError;
use super::read_pacer::ReadPacer;
use super::write_queue::WriteQueue;
use super::{
    ClientCommand, ClientConfig, ClientError, ClientEvent, CommandReceiver, ConnectIdentity,
    Controls, ErrorCode, EventSender,
};
use crate::codec::{self, Disconnect, Packet};
use crate::session::{Command, Session, SessionError};
use crate::transport::{self, Endpoint};

/// Read room per read: starts small (thousands of idle clients stay cheap)
/// and doubles while reads fill it, up to the large reads a busy stream wants.
const MIN_READ: usize = 1024;
const MAX_READ: usize = 64 * 1024;
/// A packet's rest is reserved in one step up to this size (beyond it, in
/// steps no larger than what has arrived).
const RESERVE_AHEAD: usize = 1024 * 1024;
/// Stop taking commands from JS, and encoding what the session has queued,
/// while this much is waiting for the socket. (Encoding a whole offline queue
/// at once grew the write buffer to its size, 64 MiB for 50,000 1 KiB
/// messages, and a `BytesMut` keeps its capacity for the connection's life.)
const WRITE_HIGH_WATER: usize = 4 * 1024 * 1024;
/// Stop reading the socket while JS has this much still to receive.
const MAX_PENDING_EVENTS: usize = 8192;
const MAX_PENDING_PAYLOAD_BYTES: usize = 16 * 1024 * 1024;
/// How long the last packets before a close (reconnect, forced end) may take to go out.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(1);
/// Commands taken from the channel per wake-up, so a flood of publishes
/// cannot starve reads and deadlines.
const COMMANDS_PER_TURN: usize = 1024;

/// How a connection ended.
#[derive(Debug)]
pub enum LinkOutcome {
    /// `end()` (or the JS handle went away).
    Ended { transport_was_open: bool },
    /// CONNACK refused the connection: no reconnect.
    Refused(ClientError),
    /// The socket failed (connect, read or write).
    TransportError(ClientError),
    /// The session gave up on the link (timeouts, protocol violations).
    SessionError(ClientError),
    /// The broker closed the connection.
    Closed,
    /// `reconnect()` asked for a fresh connection.
    ReconnectRequested { transport_was_open: bool },
}

/// Events waiting to be handed to JS, and the channel they go through.
pub struct Outbox {
    sender: EventSender,
    pending: Vec<ClientEvent>,
    pending_payload_bytes: usize,
}

impl Outbox {
    pub fn new(sender: EventSender) -> Self {
        Outbox {
            sender,
            pending: Vec::new(),
            pending_payload_bytes: 0,
        }
    }

    pub fn push(&mut self, event: ClientEvent) {
        if let Some(publish) = event.message() {
            self.pending_payload_bytes += publish.payload.len() + publish.topic.len();
        }
        self.pending.push(event);
    }

    pub fn take_session_events(&mut self, session: &mut Session) {
        while let Some(event) = session.poll_event() {
            self.push(ClientEvent::Session(event));
        }
    }

    fn is_congested(&self) -> bool {
        self.pending.len() >= MAX_PENDING_EVENTS
            || self.pending_payload_bytes >= MAX_PENDING_PAYLOAD_BYTES
    }

    fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    fn take_batch(&mut self) -> Vec<ClientEvent> {
        self.pending_payload_bytes = 0;
        std::mem::take(&mut self.pending)
    }

    fn sender(&self) -> EventSender {
        self.sender.clone()
    }

    /// Hands the pending events over; called once there is room.
    fn hand_over(&mut self) {
        let batch = self.take_batch();
        // A closed mailbox means JS is gone: nobody is left to tell.
        let _ = self.sender.send(batch);
    }

    /// Hands over what is left; used once, when the task ends.
    pub async fn close(mut self) {
        if self.has_pending() && self.sender.room().await.is_ok() {
            self.hand_over();
        }
    }
}

/// What a command taken while there is no usable connection asks for.
enum OfflineCommand {
    Handled,
    Reconnect,
    End,
}

fn handle_offline_command(
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
        } => {
            session.acknowledge(packet_id, connection);
            OfflineCommand::Handled
        }
        ClientCommand::Panic => panic!("test failpoint: panic in the client task"),
    }
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}

pub enum WaitOutcome {
    /// Time to try again (the delay passed, or `reconnect()` was called).
    Reconnect,
    /// The client was ended meanwhile.
    Ended,
}

/// JS has emitted a `reconnect`; the connect fields it sends hold for the next CONNECT
/// (a late answer, after its attempt went ahead, still holds for the one after).
fn reconnect_emitted(
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

/// One connection attempt and, if it succeeds, its life.
pub struct Link<'a> {
    pub config: &'a ClientConfig,
    pub endpoint: &'a Endpoint,
    pub session: &'a mut Session,
    pub commands: &'a mut CommandReceiver,
    pub outbox: &'a mut Outbox,
    pub controls: &'a mut Controls,
}

impl Link<'_> {
    /// Connects and runs the connection to its end. The flag says whether
    /// the broker accepted the connection (CONNACK 0) on the way.
    pub async fn run(&mut self) -> (LinkOutcome, bool) {
        let started = Instant::now();
        // Boxed: connecting (TLS handshake included) needs a large future for a
        // moment; kept inline, every client task would carry its size for life.
        let stream = match Box::pin(self.open(started)).await {
            Ok(stream) => stream,
            Err(outcome) => return (outcome, false),
        };
        let mut io = LinkIo {
            version: self.config.session.protocol,
            max_packet_size: self.config.max_incoming_packet_size,
            read_buf: BytesMut::new(),
            read_room: MIN_READ,
            write_queue: WriteQueue::default(),
            was_connected: false,
            pacer: ReadPacer::default(),
            reads_held: false,
        };
        self.session.on_transport_open(started.into_std(), now());
        let outcome = io.run(stream, self).await;
        (outcome, io.was_connected)
    }

    /// Opens the transport, handling commands meanwhile. The connect timeout
    /// covers TCP and TLS too; running out of it is a CONNACK timeout, as in MQTT.js.
    async fn open(&mut self, started: Instant) -> Result<transport::Stream, LinkOutcome> {
        let deadline = started + self.config.session.connect_timeout;
        let sender = self.outbox.sender();
        let connect = timeout_at(deadline, transport::connect(self.endpoint));
        tokio::pin!(connect);
        loop {
            tokio::select! {
                result = &mut connect => return match result {
                    Ok(Ok(stream)) => Ok(stream),
                    Ok(Err(error)) => Err(LinkOutcome::TransportError(transport_error(error))),
                    Err(_elapsed) => Err(LinkOutcome::SessionError(ClientError::new(
                        SessionError::ConnackTimeout.to_string(),
                    ))),
                },
                command = self.commands.recv() => {
                    match handle_offline_command(command, self.session, self.outbox, self.controls) {
                        OfflineCommand::End => {
                            return Err(LinkOutcome::Ended { transport_was_open: false })
                        }
                        OfflineCommand::Reconnect => {
                            return Err(LinkOutcome::ReconnectRequested { transport_was_open: false })
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

struct LinkIo {
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

impl LinkIo {
    async fn run(&mut self, stream: transport::Stream, link: &mut Link<'_>) -> LinkOutcome {
        let (mut reader, mut writer) = tokio::io::split(stream);
        let sender = link.outbox.sender();
        loop {
            if let Err(error) =
                self.encode_transmits(link.session, link.outbox, &*link.controls, WRITE_HIGH_WATER)
            {
                return LinkOutcome::SessionError(error);
            }
            link.outbox.take_session_events(link.session);
            if link.session.is_finished() && self.write_queue.is_empty() {
                let _ = writer.shutdown().await;
                return LinkOutcome::Ended {
                    transport_was_open: true,
                };
            }
            self.make_read_room();
            let reads_held = link.outbox.is_congested() || link.controls.reading_paused;
            if reads_held != self.reads_held {
                self.reads_held = reads_held;
                link.session.on_reads_held(reads_held, now());
            }
            let deadline = link.session.poll_timeout().map(Instant::from_std);
            let may_read = !reads_held && self.pacer.paused_until().is_none();
            let read_resumes_at = self.pacer.paused_until().map(Instant::from_std);

            // Polled in this order: get bytes out first, then take new work, then
            // drain the socket; events are handed to JS only when the socket has
            // nothing more right now, so JS gets few large batches, not many small ones.
            tokio::select! {
                biased;
                written = self.write_queue.write_to(&mut writer), if !self.write_queue.is_empty() => {
                    match written {
                        Ok(0) => return LinkOutcome::Closed,
                        Ok(n) => self.write_queue.advance(n),
                        Err(error) => {
                            return LinkOutcome::TransportError(transport_error(
                                transport::TransportError::write(error),
                            ))
                        }
                    }
                }
                command = link.commands.recv(), if self.write_queue.len() < WRITE_HIGH_WATER => {
                    if let Some(outcome) = handle_commands(command, link) {
                        match outcome {
                            LinkOutcome::ReconnectRequested { .. } => {
                                self.disconnect(&mut writer, link.outbox, &*link.controls).await
                            }
                            // A forced end still sends what was asked for before it, as
                            // MQTT.js has written it to the socket by then.
                            _ => self.flush(&mut writer, link.session, link.outbox, &*link.controls).await,
                        }
                        return outcome;
                    }
                }
                read = reader.read_buf(&mut self.read_buf), if may_read => {
                    match read {
                        Ok(0) => return LinkOutcome::Closed,
                        Ok(n) => {
                            self.read_room = next_read_room(self.read_room, n);
                            match self.decode_packets(link.session, link.outbox, &*link.controls) {
                                Ok(messages) => self.pacer.on_read(now(), n, messages),
                                Err(outcome) => return outcome,
                            }
                        }
                        Err(error) => {
                            return LinkOutcome::TransportError(transport_error(
                                transport::TransportError::read(error),
                            ))
                        }
                    }
                }
                room = sender.room(), if link.outbox.has_pending() => {
                    if room.is_ok() {
                        link.outbox.hand_over();
                    }
                }
                _ = sleep_until(read_resumes_at.unwrap_or_else(Instant::now)), if read_resumes_at.is_some() => {
                    self.pacer.resume();
                }
                _ = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                    if let Err(error) = link.session.handle_timeout(now()) {
                        return session_outcome(error);
                    }
                }
            }
        }
    }

    /// Leaves the connection politely (DISCONNECT, so the broker drops the will),
    /// giving what is still buffered a moment to go out.
    async fn disconnect(
        &mut self,
        writer: &mut (impl AsyncWriteExt + Unpin),
        outbox: &mut Outbox,
        controls: &Controls,
    ) {
        if self
            .write_queue
            .encode(&Packet::Disconnect(Disconnect::NORMAL), self.version)
            .is_err()
        {
            return;
        }
        if controls.packet_events {
            outbox.push(ClientEvent::PacketSent(Packet::Disconnect(
                Disconnect::NORMAL,
            )));
        }
        self.write_out(writer).await;
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
            self.write_out(writer).await;
        }
    }

    /// Writes the buffer and shuts the stream down, for a moment at most.
    async fn write_out(&mut self, writer: &mut (impl AsyncWriteExt + Unpin)) {
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
        }
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
    ) -> Result<u32, LinkOutcome> {
        let now = now();
        let mut decoded = 0;
        loop {
            match codec::decode(&mut self.read_buf, self.version, self.max_packet_size) {
                Ok(Some(packet)) => {
                    decoded += u32::from(matches!(packet, Packet::Publish(_)));
                    if controls.packet_events {
                        outbox.push(ClientEvent::PacketReceived(packet.clone()));
                    }
                    session
                        .handle_packet(packet, now)
                        .map_err(session_outcome)?;
                    if session.is_connected() {
                        self.was_connected = true;
                    }
                    if controls.packet_events {
                        // MQTT.js order: packetreceive, what it caused (message,
                        // callbacks), then the packetsend of the answer.
                        outbox.take_session_events(session);
                        self.encode_transmits(session, outbox, controls, WRITE_HIGH_WATER)
                            .map_err(LinkOutcome::SessionError)?;
                    }
                }
                Ok(None) => return Ok(decoded),
                Err(error) => {
                    return Err(LinkOutcome::SessionError(ClientError::with_code(
                        error.to_string(),
                        ErrorCode::Text("ERR_MQTT_PROTOCOL".into()),
                    )))
                }
            }
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

/// Applies the command just received and whatever else is already queued.
fn handle_commands(first: Option<ClientCommand>, link: &mut Link<'_>) -> Option<LinkOutcome> {
    let now = now();
    let mut next = first;
    for turn in 1..=COMMANDS_PER_TURN {
        let command = match next {
            None => {
                return Some(LinkOutcome::Ended {
                    transport_was_open: true,
                })
            }
            Some(command) => command,
        };
        match command {
            ClientCommand::End { force: true } => {
                return Some(LinkOutcome::Ended {
                    transport_was_open: true,
                })
            }
            ClientCommand::End { force: false } => {
                link.session.handle_command(Command::Disconnect, now)
            }
            ClientCommand::ReconnectEmitted {
                count,
                identity,
                websocket_url,
            } => reconnect_emitted(link.session, link.controls, count, identity, websocket_url),
            ClientCommand::SetEventsHeld(held) => link.controls.events_held = held,
            ClientCommand::Reconnect => {
                return Some(LinkOutcome::ReconnectRequested {
                    transport_was_open: true,
                })
            }
            ClientCommand::Session(command) => link.session.handle_command(command, now),
            ClientCommand::SetPacketEvents(on) => link.controls.packet_events = on,
            ClientCommand::SetReading(on) => link.controls.reading_paused = !on,
            ClientCommand::SetManualAcks(on) => link.session.set_manual_acks(on),
            ClientCommand::Acknowledge {
                packet_id,
                connection,
            } => link.session.acknowledge(packet_id, connection),
            ClientCommand::Panic => panic!("test failpoint: panic in the client task"),
        }
        if turn == COMMANDS_PER_TURN {
            break;
        }
        match link.commands.try_recv() {
            Ok(command) => next = Some(command),
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Closed) => next = None,
        }
    }
    None
}

fn session_outcome(error: SessionError) -> LinkOutcome {
    match error {
        SessionError::ConnectionRefused(code) => LinkOutcome::Refused(ClientError::with_code(
            error.to_string(),
            ErrorCode::Number(u32::from(code.byte())),
        )),
        SessionError::Protocol(ref violation) => {
            let code = match violation.reason_code() {
                Some(reason) => ErrorCode::Number(u32::from(reason)),
                None => ErrorCode::Text("ERR_MQTT_PROTOCOL".into()),
            };
            LinkOutcome::SessionError(ClientError::with_code(error.to_string(), code))
        }
        other => LinkOutcome::SessionError(ClientError::new(other.to_string())),
    }
}

fn transport_error(error: transport::TransportError) -> ClientError {
    let code = error.code().map(|c| ErrorCode::Text(c.to_string()));
    ClientError {
        message: error.message(),
        code,
        syscall: error.syscall_info().cloned().map(Box::new),
    }
}

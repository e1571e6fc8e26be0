//! Events waiting to be handed to JS, with the backpressure that stops the
//! socket being read while JS is behind.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{ClientEvent, EventSender};
use crate::session::{Session, Token};

/// Stop reading the socket while JS has this much still to receive.
const MAX_PENDING_EVENTS: usize = 8192;
const MAX_PENDING_PAYLOAD_BYTES: usize = 16 * 1024 * 1024;

/// Every QoS 0 publish up to this token has been written to the socket: a
/// mark any thread may read at any moment. JS reads it while it runs ahead of
/// the reports (a synchronous loop of publishes sees no event), to know how
/// much of what it handed over is still unwritten.
#[derive(Debug, Clone, Default)]
pub struct QoS0WrittenMark(Arc<AtomicU64>);

impl QoS0WrittenMark {
    pub fn get(&self) -> Token {
        // Relaxed: the token is the whole message; nothing else is read on its strength.
        self.0.load(Ordering::Relaxed)
    }

    fn advance(&self, token: Token) {
        self.0.fetch_max(token, Ordering::Relaxed);
    }
}

/// Events waiting to be handed to JS, and the channel they go through.
pub struct Outbox {
    sender: EventSender,
    pending: Vec<ClientEvent>,
    pending_payload_bytes: usize,
    /// QoS 0 publishes written through this token; reported (one event for
    /// all of them) before the next event or at the end of the batch, so that
    /// a write is reported before anything that happened after it.
    qos0_written_through: Token,
    qos0_reported_through: Token,
    qos0_written_mark: QoS0WrittenMark,
    /// JS has a QoS 0 callback waiting for a report. Otherwise nothing is
    /// reported (JS reads the mark when it needs to): a report alone would
    /// cost a call into JS after every write.
    qos0_reports_wanted: bool,
}

impl Outbox {
    pub fn new(sender: EventSender, qos0_written_mark: QoS0WrittenMark) -> Self {
        Outbox {
            sender,
            pending: Vec::new(),
            pending_payload_bytes: 0,
            qos0_written_through: 0,
            qos0_reported_through: 0,
            qos0_written_mark,
            qos0_reports_wanted: false,
        }
    }

    pub fn push(&mut self, event: ClientEvent) {
        self.report_qos0_written();
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

    /// The write queue has written every QoS 0 publish up to `token`.
    pub(super) fn qos0_written(&mut self, token: Token) {
        self.qos0_written_through = self.qos0_written_through.max(token);
        self.qos0_written_mark.advance(token);
    }

    /// JS waits for QoS 0 reports, or no longer does; turned on, what was
    /// written meanwhile is reported with the next batch.
    pub(super) fn set_qos0_reports(&mut self, wanted: bool) {
        self.qos0_reports_wanted = wanted;
    }

    fn has_qos0_report(&self) -> bool {
        self.qos0_reports_wanted && self.qos0_written_through > self.qos0_reported_through
    }

    fn report_qos0_written(&mut self) {
        if self.has_qos0_report() {
            self.qos0_reported_through = self.qos0_written_through;
            self.pending.push(ClientEvent::QoS0Written {
                through: self.qos0_written_through,
            });
        }
    }

    pub(super) fn is_congested(&self) -> bool {
        self.pending.len() >= MAX_PENDING_EVENTS
            || self.pending_payload_bytes >= MAX_PENDING_PAYLOAD_BYTES
    }

    pub(super) fn has_pending(&self) -> bool {
        !self.pending.is_empty() || self.has_qos0_report()
    }

    fn take_batch(&mut self) -> Vec<ClientEvent> {
        self.report_qos0_written();
        self.pending_payload_bytes = 0;
        std::mem::take(&mut self.pending)
    }

    pub(super) fn sender(&self) -> EventSender {
        self.sender.clone()
    }

    /// Hands the pending events over; called once there is room.
    pub(super) fn hand_over(&mut self) {
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

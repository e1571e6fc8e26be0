//! Events waiting to be handed to JS, with the backpressure that stops the
//! socket being read while JS is behind.

use super::{ClientEvent, EventSender};
use crate::session::{Session, Token};

/// Stop reading the socket while JS has this much still to receive.
const MAX_PENDING_EVENTS: usize = 8192;
const MAX_PENDING_PAYLOAD_BYTES: usize = 16 * 1024 * 1024;

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
}

impl Outbox {
    pub fn new(sender: EventSender) -> Self {
        Outbox {
            sender,
            pending: Vec::new(),
            pending_payload_bytes: 0,
            qos0_written_through: 0,
            qos0_reported_through: 0,
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
    }

    fn report_qos0_written(&mut self) {
        if self.qos0_written_through > self.qos0_reported_through {
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
        !self.pending.is_empty() || self.qos0_written_through > self.qos0_reported_through
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

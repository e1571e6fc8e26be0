//! Events waiting to be handed to JS, with the backpressure that stops the
//! socket being read while JS is behind.

use super::{ClientEvent, EventSender};
use crate::session::Session;

/// Stop reading the socket while JS has this much still to receive.
const MAX_PENDING_EVENTS: usize = 8192;
const MAX_PENDING_PAYLOAD_BYTES: usize = 16 * 1024 * 1024;

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

    pub(super) fn is_congested(&self) -> bool {
        self.pending.len() >= MAX_PENDING_EVENTS
            || self.pending_payload_bytes >= MAX_PENDING_PAYLOAD_BYTES
    }

    pub(super) fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    fn take_batch(&mut self) -> Vec<ClientEvent> {
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

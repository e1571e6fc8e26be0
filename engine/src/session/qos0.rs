//! Which QoS 0 publishes have been handed to the connection.
//!
//! A QoS 0 publish completes when its bytes are written to the socket (as
//! MQTT.js calls its callback once the packet is written), so that an app
//! that waits for each callback is paced by the network instead of filling
//! memory. The session cannot see writes; it tells the connection which
//! publishes the packets it polls carry, and the connection reports "written
//! through token N" (in a mark JS reads at any time, and as an event while a
//! callback waits for one: see `connection::QoS0WrittenMark`). Tokens grow in
//! call order and QoS 0 publishes leave in call order, so one number per
//! report covers every publish before it.

use std::collections::VecDeque;

use super::Token;

#[derive(Debug, Default)]
pub(super) struct QoS0Tracker {
    /// The tokens of the QoS 0 publishes waiting in the transmit queue, in
    /// order (0: nobody waits for that one).
    in_transmit: VecDeque<Token>,
    /// The newest token polled out of the transmit queue.
    polled_through: Token,
    /// The newest token put into the transmit queue.
    queued_through: Token,
    /// The newest token reported lost with a connection.
    dropped_through: Token,
}

impl QoS0Tracker {
    /// A QoS 0 publish went into the transmit queue.
    pub(super) fn queued(&mut self, token: Token) {
        self.in_transmit.push_back(token);
        if token != 0 {
            self.queued_through = token;
        }
    }

    /// A QoS 0 publish left the transmit queue for the connection.
    pub(super) fn polled(&mut self) {
        match self.in_transmit.pop_front() {
            Some(0) | None => {}
            Some(token) => self.polled_through = token,
        }
        super::release_if_drained(&mut self.in_transmit);
    }

    pub(super) fn polled_through(&self) -> Token {
        self.polled_through
    }

    /// The transmit queue was emptied with the connection: what it held, and
    /// what the connection had not written yet, is lost. Returns the newest
    /// token that may have been lost, unless it was reported already.
    pub(super) fn transmit_cleared(&mut self) -> Option<Token> {
        self.in_transmit.clear();
        super::release_if_drained(&mut self.in_transmit);
        (self.queued_through > self.dropped_through).then(|| {
            self.dropped_through = self.queued_through;
            self.queued_through
        })
    }
}

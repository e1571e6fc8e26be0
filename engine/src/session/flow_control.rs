//! MQTT 5 flow control (section 4.9) for what we send: the broker's CONNACK Receive Maximum bounds
//! how many of our QoS 1 and QoS 2 publishes may be unacknowledged at once (its default, and MQTT
//! 3.x's effective bound, is 65,535: every packet id). A publish beyond the quota waits, in the order
//! it was made, until an exchange completes; none is dropped or overtakes another. QoS 0 publishes,
//! subscribes and every other packet never wait ([MQTT-3.3.4-8]).
//!
//! The quota counts exchanges, not packets: a QoS 2 publish holds its place from PUBLISH until
//! PUBCOMP (or a refusing PUBREC), a withdrawn one until the broker's ack. It is set afresh on every
//! CONNACK, when the session resends what is in flight through it.

use std::collections::VecDeque;

use crate::codec::PacketId;

/// Receive Maximum when the CONNACK names none (section 3.2.2.3.3).
pub(super) const DEFAULT_RECEIVE_MAXIMUM: u16 = u16::MAX;

#[derive(Debug)]
pub(super) struct SendQuota {
    max: u16,
    /// Exchanges started on this connection and not yet complete.
    in_flight: usize,
    /// Publishes (their order and packet id) waiting for room, oldest first. An entry whose
    /// publish was withdrawn meanwhile is stale: the session skips it (see `next_waiting`).
    waiting: VecDeque<(u64, PacketId)>,
}

impl Default for SendQuota {
    fn default() -> Self {
        SendQuota {
            max: DEFAULT_RECEIVE_MAXIMUM,
            in_flight: 0,
            waiting: VecDeque::new(),
        }
    }
}

impl SendQuota {
    /// A new connection with the broker's Receive Maximum: nothing in flight or waiting yet.
    pub(super) fn reset(&mut self, max: u16) {
        self.max = max;
        self.in_flight = 0;
        self.waiting = VecDeque::new();
    }

    /// Whether a new publish may go out now: there is room and nothing older waits for it.
    pub(super) fn has_room(&self) -> bool {
        self.waiting.is_empty() && self.in_flight < usize::from(self.max)
    }

    /// An exchange has started. Also counts one that must go on whatever the quota (a PUBREL
    /// resent on a resumed session: only PUBLISH may wait).
    pub(super) fn acquire(&mut self) {
        self.in_flight += 1;
    }

    /// An exchange is complete.
    pub(super) fn release(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Puts a publish in line for room.
    pub(super) fn wait(&mut self, order: u64, id: PacketId) {
        self.waiting.push_back((order, id));
    }

    /// The oldest waiting publish, when there is room for it (the caller `acquire`s once it has
    /// checked the entry is still current).
    pub(super) fn next_waiting(&mut self) -> Option<(u64, PacketId)> {
        if self.in_flight >= usize::from(self.max) {
            return None;
        }
        let next = self.waiting.pop_front();
        if self.waiting.is_empty() && self.waiting.capacity() > super::RETAINED_QUEUE_CAPACITY {
            self.waiting = VecDeque::new();
        }
        next
    }

    #[cfg(test)]
    pub(super) fn in_flight(&self) -> usize {
        self.in_flight
    }

    #[cfg(test)]
    pub(super) fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_default_every_packet_id_may_be_in_flight() {
        let mut quota = SendQuota::default();
        for _ in 0..u16::MAX {
            assert!(quota.has_room());
            quota.acquire();
        }
        assert!(!quota.has_room());
    }

    #[test]
    fn a_publish_beyond_the_receive_maximum_waits_and_goes_in_order_as_room_frees() {
        let mut quota = SendQuota::default();
        quota.reset(2);
        quota.acquire();
        quota.acquire();
        assert!(!quota.has_room());
        quota.wait(3, 30);
        quota.wait(4, 40);
        assert_eq!(quota.next_waiting(), None);
        quota.release();
        // Room again, but older publishes wait: a new one must not overtake them.
        assert!(!quota.has_room());
        assert_eq!(quota.next_waiting(), Some((3, 30)));
        quota.acquire();
        assert_eq!(quota.next_waiting(), None);
        quota.release();
        assert_eq!(quota.next_waiting(), Some((4, 40)));
        quota.acquire();
        quota.release();
        assert!(quota.has_room());
    }

    #[test]
    fn a_new_connack_starts_the_count_afresh() {
        let mut quota = SendQuota::default();
        quota.reset(1);
        quota.acquire();
        quota.wait(1, 1);
        quota.reset(5);
        assert_eq!(quota.in_flight(), 0);
        assert_eq!(quota.waiting(), 0);
        assert!(quota.has_room());
        // A release with nothing counted (an ack after the reset) does not underflow.
        quota.release();
        assert_eq!(quota.in_flight(), 0);
    }
}

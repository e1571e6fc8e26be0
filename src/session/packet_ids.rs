//! Packet identifier allocation.
//!
//! MQTT.js hands out ids from a counter and can reuse one that is still in
//! flight once 65,535 messages are outstanding. Here an id is only ever handed
//! out when no pending exchange uses it ([MQTT-2.3.1-2]); when all 65,535 are
//! taken, allocation fails and the caller queues the request until one frees.

use std::collections::HashSet;

use crate::codec::PacketId;

const MAX_IDS: usize = u16::MAX as usize;

#[derive(Debug, Default)]
pub struct PacketIdAllocator {
    in_use: HashSet<PacketId>,
    last: PacketId,
}

impl PacketIdAllocator {
    /// The next free id after the last one handed out, wrapping 65535 -> 1.
    pub fn allocate(&mut self) -> Option<PacketId> {
        if self.in_use.len() >= MAX_IDS {
            return None;
        }
        let mut candidate = self.last;
        loop {
            candidate = if candidate == u16::MAX {
                1
            } else {
                candidate + 1
            };
            if self.in_use.insert(candidate) {
                self.last = candidate;
                return Some(candidate);
            }
        }
    }

    /// Marks an id as used by an exchange the session did not start itself
    /// (ids restored from a store). Returns false when it is already taken.
    pub fn register(&mut self, id: PacketId) -> bool {
        id != 0 && self.in_use.insert(id)
    }

    pub fn release(&mut self, id: PacketId) {
        self.in_use.remove(&id);
    }

    /// The id most recently handed out (MQTT.js `getLastMessageId()`), 0 before any.
    pub fn last_allocated(&self) -> PacketId {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_start_at_one_and_increase() {
        let mut ids = PacketIdAllocator::default();
        assert_eq!(ids.allocate(), Some(1));
        assert_eq!(ids.allocate(), Some(2));
        assert_eq!(ids.last_allocated(), 2);
    }

    #[test]
    fn an_id_in_flight_is_never_handed_out_again_after_wrapping() {
        let mut ids = PacketIdAllocator::default();
        let first = ids.allocate().unwrap();
        for _ in 1..MAX_IDS {
            let id = ids.allocate().unwrap();
            if id != 65535 && id % 2 == 0 {
                ids.release(id);
            }
        }
        // Wrapping around must skip the still-used id 1 and odd ids.
        let next = ids.allocate().unwrap();
        assert_ne!(next, first);
        assert_eq!(next % 2, 0);
    }

    #[test]
    fn allocation_fails_when_all_ids_are_in_flight_and_resumes_after_release() {
        let mut ids = PacketIdAllocator::default();
        for _ in 0..MAX_IDS {
            assert!(ids.allocate().is_some());
        }
        assert_eq!(ids.allocate(), None);
        ids.release(4242);
        assert_eq!(ids.allocate(), Some(4242));
    }

    #[test]
    fn zero_is_never_registered() {
        let mut ids = PacketIdAllocator::default();
        assert!(!ids.register(0));
        assert!(ids.register(7));
        assert!(!ids.register(7));
    }
}

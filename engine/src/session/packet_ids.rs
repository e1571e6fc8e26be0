//! Packet identifier allocation.
//!
//! MQTT.js hands out ids from a counter and can reuse one that is still in
//! flight once 65,535 messages are outstanding. Here an id is only ever handed
//! out when no pending exchange uses it ([MQTT-2.3.1-2]); when all 65,535 are
//! taken, allocation fails and the caller queues the request until one frees.

use crate::codec::PacketId;

const MAX_IDS: usize = u16::MAX as usize;
/// One bit per value of a `u16` (bit 0, id 0, is never used).
const WORDS: usize = (u16::MAX as usize + 1) / 64;

/// The ids in use as a bitmap: finding the next free id looks at 64 ids per
/// step, so even a search across 65,534 taken ids is 1,024 word reads (a
/// search of a hash set, id by id, cost up to 65,535 lookups per allocation
/// when acknowledgements came back out of order).
pub struct PacketIdAllocator {
    in_use: Box<[u64; WORDS]>,
    count: usize,
    last: PacketId,
}

impl std::fmt::Debug for PacketIdAllocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacketIdAllocator")
            .field("in_use", &self.count)
            .field("last", &self.last)
            .finish()
    }
}

impl Default for PacketIdAllocator {
    fn default() -> Self {
        PacketIdAllocator {
            in_use: Box::new([0; WORDS]),
            count: 0,
            last: 0,
        }
    }
}

impl PacketIdAllocator {
    /// The next free id after the last one handed out, wrapping 65535 -> 1.
    pub fn allocate(&mut self) -> Option<PacketId> {
        if self.count >= MAX_IDS {
            return None;
        }
        let id = self
            .first_free_in(usize::from(self.last) + 1, MAX_IDS + 1)
            .or_else(|| self.first_free_in(1, usize::from(self.last) + 1))?;
        self.mark(id);
        self.last = id;
        Some(id)
    }

    /// Marks an id as used by an exchange the session did not start itself
    /// (ids restored from a store). Returns false when it is already taken.
    pub fn register(&mut self, id: PacketId) -> bool {
        if id == 0 || self.is_used(id) {
            return false;
        }
        self.mark(id);
        true
    }

    pub fn release(&mut self, id: PacketId) {
        if id != 0 && self.is_used(id) {
            self.in_use[usize::from(id) / 64] &= !(1 << (id % 64));
            self.count -= 1;
        }
    }

    /// The id most recently handed out (MQTT.js `getLastMessageId()`), 0 before any.
    pub fn last_allocated(&self) -> PacketId {
        self.last
    }

    fn is_used(&self, id: PacketId) -> bool {
        self.in_use[usize::from(id) / 64] & (1 << (id % 64)) != 0
    }

    fn mark(&mut self, id: PacketId) {
        self.in_use[usize::from(id) / 64] |= 1 << (id % 64);
        self.count += 1;
    }

    /// The lowest free id in `from..to` (`to` at most 65,536), if any.
    fn first_free_in(&self, from: usize, to: usize) -> Option<PacketId> {
        if from >= to {
            return None;
        }
        let mut word = from / 64;
        // Bits below `from` in its word count as taken.
        let mut free = !self.in_use[word] & (u64::MAX << (from % 64));
        loop {
            if free != 0 {
                let id = word * 64 + free.trailing_zeros() as usize;
                return (id < to).then_some(id as PacketId);
            }
            word += 1;
            if word * 64 >= to {
                return None;
            }
            free = !self.in_use[word];
        }
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

    /// Acknowledgements out of order with every other id taken: each allocation
    /// must find the one free id without looking at the taken ones one by one.
    #[test]
    fn the_only_free_id_is_found_after_wrapping_and_at_both_ends() {
        let mut ids = PacketIdAllocator::default();
        for _ in 0..MAX_IDS {
            ids.allocate().unwrap();
        }
        for freed in [65535, 1, 64, 63, 65472, 30000] {
            ids.release(freed);
            assert_eq!(ids.allocate(), Some(freed));
            assert_eq!(ids.allocate(), None);
        }
        ids.release(0);
        ids.release(7);
        ids.release(7);
        assert_eq!(ids.allocate(), Some(7));
        assert_eq!(ids.allocate(), None);
    }

    #[test]
    fn after_the_last_id_allocation_wraps_to_the_lowest_free_one() {
        let mut ids = PacketIdAllocator::default();
        for _ in 0..MAX_IDS {
            ids.allocate().unwrap();
        }
        assert_eq!(ids.last_allocated(), 65535);
        ids.release(5);
        ids.release(3);
        assert_eq!(ids.allocate(), Some(3));
        assert_eq!(ids.allocate(), Some(5));
    }

    #[test]
    fn zero_is_never_registered() {
        let mut ids = PacketIdAllocator::default();
        assert!(!ids.register(0));
        assert!(ids.register(7));
        assert!(!ids.register(7));
    }
}

//! Paces socket reads under a steady trickle.
//!
//! A broker that writes one packet per TCP segment wakes the client task once
//! per message when each read finds only that packet: a thread wake-up, a
//! read and a hand-over per message. When small reads come back to back, the
//! pacer holds off reading for a moment so the kernel gathers a batch; the
//! next read then takes many packets at once. A lone packet never waits, nor
//! does a request/response exchange (reads ~100 µs apart): a pause only starts
//! after several small reads within a few microseconds of each other.

use std::time::{Duration, Instant};

/// Reads closer together than this, each small, mean a steady trickle.
const BACK_TO_BACK: Duration = Duration::from_micros(25);
/// How many such reads in a row before pausing.
const TRICKLE_READS: u32 = 4;
/// A read at least this large already carries a batch.
const SMALL_READ: usize = 4 * 1024;
/// How long to let the kernel gather (tokio's timer rounds up to its 1 ms tick).
const PAUSE: Duration = Duration::from_micros(500);

#[derive(Debug, Default)]
pub struct ReadPacer {
    last_small_read: Option<Instant>,
    quick_small_reads: u32,
    paused_until: Option<Instant>,
}

impl ReadPacer {
    pub fn on_read(&mut self, now: Instant, bytes: usize) {
        if bytes >= SMALL_READ {
            self.last_small_read = None;
            self.quick_small_reads = 0;
            return;
        }
        let quick = self
            .last_small_read
            .is_some_and(|previous| now.duration_since(previous) < BACK_TO_BACK);
        self.quick_small_reads = if quick { self.quick_small_reads + 1 } else { 0 };
        if self.quick_small_reads >= TRICKLE_READS {
            self.paused_until = Some(now + PAUSE);
        }
        self.last_small_read = Some(now);
    }

    /// When reading may resume, if it is paused.
    pub fn paused_until(&self) -> Option<Instant> {
        self.paused_until
    }

    pub fn resume(&mut self) {
        self.paused_until = None;
        self.last_small_read = None;
        self.quick_small_reads = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_small_read_never_pauses() {
        let t0 = Instant::now();
        let mut pacer = ReadPacer::default();
        pacer.on_read(t0, 10);
        assert_eq!(pacer.paused_until(), None);
        pacer.on_read(t0 + Duration::from_millis(5), 10);
        assert_eq!(pacer.paused_until(), None);
    }

    #[test]
    fn a_trickle_of_small_reads_back_to_back_pauses_reading() {
        let t0 = Instant::now();
        let mut pacer = ReadPacer::default();
        let mut at = t0;
        for _ in 0..TRICKLE_READS {
            pacer.on_read(at, 64);
            assert_eq!(pacer.paused_until(), None);
            at += Duration::from_micros(5);
        }
        pacer.on_read(at, 64);
        assert_eq!(pacer.paused_until(), Some(at + PAUSE));
        pacer.resume();
        assert_eq!(pacer.paused_until(), None);
    }

    #[test]
    fn request_response_traffic_never_pauses() {
        let t0 = Instant::now();
        let mut pacer = ReadPacer::default();
        for i in 0..100 {
            pacer.on_read(t0 + Duration::from_micros(100 * i), 64);
        }
        assert_eq!(pacer.paused_until(), None);
    }

    #[test]
    fn large_reads_never_pause() {
        let t0 = Instant::now();
        let mut pacer = ReadPacer::default();
        for i in 0..10 {
            pacer.on_read(t0 + Duration::from_micros(i), 64 * 1024);
        }
        assert_eq!(pacer.paused_until(), None);
    }
}

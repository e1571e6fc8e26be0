//! Paces socket reads under a steady stream of small TCP segments.
//!
//! A broker writes packets as they come, often a few per TCP segment; a
//! client that reads each segment as it arrives pays a thread wake-up, a read
//! and a hand-over to JS for every few messages (mosquitto relaying 170k
//! msg/s: 31k reads per 300k messages, strace). The pacer holds off reading
//! for a moment so that the kernel gathers a batch, in two cases:
//! - messages (PUBLISH) arrive at a high rate in small reads: a long pause;
//! - small reads of anything come back to back: a short one.
//!
//! Acknowledgements do not count as messages: pausing them long starved the
//! publisher's in-flight window (QoS 1 throughput fell). A lone message never
//! waits, nor does a request/response exchange (one packet per round trip).

use std::time::{Duration, Instant};

/// Events closer together than this, several in a row, are back to back: small
/// reads here (a trickle), and calls into JS in the addon's coalescer.
pub const BACK_TO_BACK: Duration = Duration::from_micros(25);
const TRICKLE_READS: u32 = 4;
const TRICKLE_PAUSE: Duration = Duration::from_micros(500);
/// The span over which the message rate is judged.
const WINDOW: Duration = Duration::from_millis(1);
/// Messages within one window, arriving in small reads, that make a stream
/// (64k messages/s).
const STREAM_MESSAGES: u32 = 64;
/// How long a message stream lets the kernel gather: at 2 ms a QoS 0 stream
/// through mosquitto cost 40 % less CPU than at 0.5 ms.
const STREAM_PAUSE: Duration = Duration::from_millis(2);
/// A read at least this large already carries a batch.
const SMALL_READ: usize = 4 * 1024;

#[derive(Debug, Default)]
pub struct ReadPacer {
    last_small_read: Option<Instant>,
    quick_small_reads: u32,
    window_start: Option<Instant>,
    window_messages: u32,
    paused_until: Option<Instant>,
}

impl ReadPacer {
    /// A read of `bytes` just completed `messages` PUBLISH packets.
    pub fn on_read(&mut self, now: Instant, bytes: usize, messages: u32) {
        if bytes >= SMALL_READ {
            self.last_small_read = None;
            self.window_start = None;
            return;
        }
        let quick = self
            .last_small_read
            .is_some_and(|previous| now.duration_since(previous) < BACK_TO_BACK);
        self.quick_small_reads = if quick { self.quick_small_reads + 1 } else { 0 };
        self.last_small_read = Some(now);
        match self.window_start {
            Some(start) if now.duration_since(start) < WINDOW => self.window_messages += messages,
            _ => {
                self.window_start = Some(now);
                self.window_messages = messages;
            }
        }
        if self.window_messages >= STREAM_MESSAGES {
            self.paused_until = Some(now + STREAM_PAUSE);
        } else if self.quick_small_reads >= TRICKLE_READS {
            self.paused_until = Some(now + TRICKLE_PAUSE);
        }
    }

    /// When reading may resume, if it is paused.
    pub fn paused_until(&self) -> Option<Instant> {
        self.paused_until
    }

    pub fn resume(&mut self) {
        self.paused_until = None;
        self.last_small_read = None;
        self.quick_small_reads = 0;
        self.window_start = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_small_read_never_pauses() {
        let t0 = Instant::now();
        let mut pacer = ReadPacer::default();
        pacer.on_read(t0, 10, 1);
        assert_eq!(pacer.paused_until(), None);
        pacer.on_read(t0 + Duration::from_millis(5), 10, 1);
        assert_eq!(pacer.paused_until(), None);
    }

    #[test]
    fn a_stream_of_small_reads_pauses_reading() {
        let t0 = Instant::now();
        let mut pacer = ReadPacer::default();
        // Ten packets per read, a read every 60 µs: mosquitto relaying ~170k msg/s.
        let mut at = t0;
        for _ in 0..(STREAM_MESSAGES / 10) {
            pacer.on_read(at, 800, 10);
            assert_eq!(pacer.paused_until(), None);
            at += Duration::from_micros(60);
        }
        pacer.on_read(at, 800, 10);
        assert_eq!(pacer.paused_until(), Some(at + STREAM_PAUSE));
        pacer.resume();
        assert_eq!(pacer.paused_until(), None);
    }

    #[test]
    fn request_response_traffic_never_pauses() {
        let t0 = Instant::now();
        let mut pacer = ReadPacer::default();
        for i in 0..1000 {
            pacer.on_read(t0 + Duration::from_micros(50 * i), 80, 1);
        }
        assert_eq!(pacer.paused_until(), None);
    }

    #[test]
    fn large_reads_never_pause() {
        let t0 = Instant::now();
        let mut pacer = ReadPacer::default();
        for i in 0..10 {
            pacer.on_read(t0 + Duration::from_micros(i), 64 * 1024, 1000);
        }
        assert_eq!(pacer.paused_until(), None);
    }

    #[test]
    fn back_to_back_small_reads_pause_briefly() {
        let t0 = Instant::now();
        let mut pacer = ReadPacer::default();
        let mut at = t0;
        for _ in 0..TRICKLE_READS {
            pacer.on_read(at, 8, 0);
            assert_eq!(pacer.paused_until(), None);
            at += Duration::from_micros(5);
        }
        pacer.on_read(at, 8, 0);
        assert_eq!(pacer.paused_until(), Some(at + TRICKLE_PAUSE));
    }
}

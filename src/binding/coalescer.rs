//! When a batch of events should wait a moment before going to JS.
//!
//! Under a steady stream every small batch would cost a JS call and two
//! thread wake-ups (context switches were most of the CPU a QoS 0 stream
//! through mosquitto cost). While calls come back to back, or messages at a
//! high rate, a batch waits for the timer so that the stream reaches JS in
//! large batches instead; a lone message or a request/response exchange never
//! waits.

use std::time::Duration;

use engine::connection::BACK_TO_BACK;
use tokio::time::Instant;

/// Calls back to back (closer than `BACK_TO_BACK`), this many in a row, mean JS
/// is handed many small batches (a stream of acknowledgements, say): worth
/// batching harder.
const STREAM_CALLS: u32 = 4;
const BACK_TO_BACK_DELAY: Duration = Duration::from_micros(500);
/// Messages handed to JS within one window that make a message stream (64k/s).
const STREAM_MESSAGES: usize = 128;
const RATE_WINDOW: Duration = Duration::from_millis(2);
/// How long a message stream waits to grow a batch: at 2 ms a QoS 0 stream
/// through mosquitto cost 40 % less CPU than at 0.5 ms (context switches).
const MESSAGE_STREAM_DELAY: Duration = Duration::from_millis(2);

/// One per client: the recent calls into JS and messages handed over.
#[derive(Debug, Default)]
pub struct Coalescer {
    last_call: Option<Instant>,
    quick_calls: u32,
    window_start: Option<Instant>,
    window_messages: usize,
}

impl Coalescer {
    /// How long the batch about to be handed over should wait first, if at all.
    pub fn wait_before_call(&mut self, now: Instant) -> Option<Duration> {
        let quick = self
            .last_call
            .is_some_and(|last| now.duration_since(last) < BACK_TO_BACK);
        self.quick_calls = if quick { self.quick_calls + 1 } else { 0 };
        if self.quick_calls >= STREAM_CALLS {
            self.quick_calls = 0;
            return Some(BACK_TO_BACK_DELAY);
        }
        let in_window = self
            .window_start
            .is_some_and(|start| now.duration_since(start) < RATE_WINDOW);
        (in_window && self.window_messages >= STREAM_MESSAGES).then_some(MESSAGE_STREAM_DELAY)
    }

    /// A batch with `messages` messages is being handed to JS now.
    pub fn on_call(&mut self, now: Instant, messages: usize) {
        self.last_call = Some(now);
        match self.window_start {
            Some(start) if now.duration_since(start) < RATE_WINDOW => {
                self.window_messages += messages
            }
            _ => {
                self.window_start = Some(now);
                self.window_messages = messages;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls at `step` intervals with `messages` each; the waits asked for.
    fn waits(step: Duration, messages: usize, calls: usize) -> Vec<Option<Duration>> {
        let mut coalescer = Coalescer::default();
        let mut now = Instant::now();
        (0..calls)
            .map(|_| {
                let wait = coalescer.wait_before_call(now);
                coalescer.on_call(now, messages);
                now += step;
                wait
            })
            .collect()
    }

    #[test]
    fn request_response_traffic_never_waits() {
        let all = waits(Duration::from_micros(100), 1, 1000);
        assert!(all.iter().all(Option::is_none));
    }

    #[test]
    fn small_batches_back_to_back_wait_briefly() {
        let all = waits(Duration::from_micros(5), 0, STREAM_CALLS as usize + 1);
        assert_eq!(all.last(), Some(&Some(BACK_TO_BACK_DELAY)));
        assert!(all[..STREAM_CALLS as usize].iter().all(Option::is_none));
    }

    #[test]
    fn a_message_stream_waits_for_larger_batches() {
        // 40 messages every 200 us: 200k messages/s.
        let all = waits(Duration::from_micros(200), 40, 5);
        assert_eq!(&all[..4], [None, None, None, None]);
        assert_eq!(all[4], Some(MESSAGE_STREAM_DELAY));
    }
}

//! Carries event batches from the client task to JS.
//!
//! One JS call per batch, and the pump waits for each call to finish before
//! the next: while JS works on a batch the next one grows, so a busy stream
//! reaches JS in few large calls, and a JS side slower than the network makes
//! the client task stop reading (bounded memory).
//!
//! Measured alternative, rejected: not waiting when the previous call had
//! already returned made every completion its own JS call under QoS 1 load
//! (65k calls of one event each for 100k messages, 3x the CPU).

use napi::bindgen_prelude::Buffer;
use napi::threadsafe_function::ThreadsafeFunction;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::event_batch;
use crate::connection::ClientEvent;
use crate::session::Event;

/// The strong reference that keeps Node alive while the client runs.
pub type EventCallback = ThreadsafeFunction<Vec<u8>, (), Buffer, napi::Status, false>;

/// Scheduler passes the pump gives the connection task before calling JS.
const COALESCE_YIELDS: usize = 4;
/// Calls closer together than this, several in a row, mean a steady stream
/// worth batching harder.
const BACK_TO_BACK: Duration = Duration::from_micros(25);
const STREAM_CALLS: u32 = 4;
/// How long such a stream may wait to grow a batch (the timer ticks every 1 ms).
const COALESCE_DELAY: Duration = Duration::from_micros(500);
/// Stop merging past this: a batch buffer this size is still reused by the
/// allocator, where multi-megabyte ones were fresh memory (page faults) each time.
const MAX_MERGED_BYTES: usize = 256 * 1024;
/// A batch this large is worth a call by itself.
const LARGE_BATCH_BYTES: usize = 32 * 1024;

pub async fn deliver_events(
    mut batches: mpsc::Receiver<Vec<ClientEvent>>,
    callback: EventCallback,
) {
    let mut last_call = Instant::now();
    let mut quick_calls = 0u32;
    while let Some(batch) = batches.recv().await {
        let mut bytes = Vec::with_capacity(size_hint(&batch));
        event_batch::encode_events(&batch, &mut bytes);
        // Let the connection task read what arrived meanwhile (yield_now runs
        // after an I/O driver poll): no added latency when nothing else is ready.
        for _ in 0..COALESCE_YIELDS {
            tokio::task::yield_now().await;
            if !merge_waiting(&mut batches, &mut bytes) {
                break;
            }
        }
        // Under a steady stream that arrives in small pieces (a broker writing one
        // packet per TCP segment), every piece would cost a JS call and two thread
        // wake-ups. When several calls in a row come back to back, wait for the
        // timer so that the stream arrives in large batches instead; a lone
        // message or a request/response exchange never waits.
        quick_calls = if last_call.elapsed() < BACK_TO_BACK {
            quick_calls + 1
        } else {
            0
        };
        if quick_calls >= STREAM_CALLS && bytes.len() < LARGE_BATCH_BYTES {
            tokio::time::sleep(COALESCE_DELAY).await;
            merge_waiting(&mut batches, &mut bytes);
            quick_calls = 0;
        }
        last_call = Instant::now();
        // A JS exception is the shim's to report; here it only must not stop delivery.
        if let Err(error) = callback.call_async_catch(bytes).await {
            if error.status == napi::Status::Closing {
                // The environment is shutting down: nobody is left to deliver to.
                return;
            }
        }
    }
    // Dropping the callback releases Node's event loop.
}

/// Appends every batch already waiting; true if there was any.
fn merge_waiting(batches: &mut mpsc::Receiver<Vec<ClientEvent>>, bytes: &mut Vec<u8>) -> bool {
    let mut merged = false;
    while bytes.len() < MAX_MERGED_BYTES {
        let Ok(more) = batches.try_recv() else {
            break;
        };
        event_batch::encode_events(&more, bytes);
        merged = true;
    }
    merged
}

fn size_hint(batch: &[ClientEvent]) -> usize {
    batch
        .iter()
        .map(|event| match event {
            ClientEvent::Session(Event::Message(p)) => {
                event_batch::message_size_hint(p.topic.len(), p.payload.len())
            }
            _ => 32,
        })
        .sum()
}

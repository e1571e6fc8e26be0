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

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{Buffer, FnArgs};
use napi::threadsafe_function::ThreadsafeFunction;

use tokio::time::Instant;

use super::event_batch::{self, EncodedBatch, ATTACH_PAYLOAD_BYTES};
use super::external_buffers::ExternalBuffers;
use crate::connection::{ClientEvent, EventReceiver};
use crate::session::Event;

/// What one call carries: the client's key, the encoded batch, and whether
/// it is the client's last.
pub type KeyedBatch = (u32, EncodedBatch, bool);
/// The same as JS receives it: `handler(key, records, payloads, last)`, where
/// `payloads` is an array of the attached payloads, or undefined.
pub type EventArgs = FnArgs<(u32, Buffer, ExternalBuffers, bool)>;
/// Shared by every client (see `EventBridge`).
pub type EventCallback = ThreadsafeFunction<KeyedBatch, (), EventArgs, napi::Status, false, true>;

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

pub async fn deliver_events(mut batches: EventReceiver, callback: Arc<EventCallback>, key: u32) {
    let mut last_call = Instant::now();
    let mut quick_calls = 0u32;
    while let Some(batch) = batches.recv().await {
        let mut encoded = EncodedBatch::with_capacity(size_hint(&batch));
        let mut last = is_last(&batch);
        event_batch::encode_events(&batch, &mut encoded);
        // Let the connection task read what arrived meanwhile (yield_now runs
        // after an I/O driver poll): no added latency when nothing else is ready.
        for _ in 0..COALESCE_YIELDS {
            tokio::task::yield_now().await;
            if !merge_waiting(&mut batches, &mut encoded, &mut last) {
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
        if quick_calls >= STREAM_CALLS
            && encoded.payloads.is_empty()
            && encoded.records.len() < LARGE_BATCH_BYTES
        {
            tokio::time::sleep(COALESCE_DELAY).await;
            merge_waiting(&mut batches, &mut encoded, &mut last);
            quick_calls = 0;
        }
        last_call = Instant::now();
        // A JS exception is the shim's to report; here it only must not stop delivery.
        if let Err(error) = callback.call_async_catch((key, encoded, last)).await {
            if error.status == napi::Status::Closing {
                // The environment is shutting down: nobody is left to deliver to.
                return;
            }
        }
    }
}

/// `Terminated` is the last event a client task sends.
fn is_last(batch: &[ClientEvent]) -> bool {
    matches!(batch.last(), Some(ClientEvent::Terminated))
}

/// Appends every batch already waiting; true if there was any.
fn merge_waiting(batches: &mut EventReceiver, encoded: &mut EncodedBatch, last: &mut bool) -> bool {
    let mut merged = false;
    while encoded.records.len() < MAX_MERGED_BYTES {
        let Ok(more) = batches.try_recv() else {
            break;
        };
        event_batch::encode_events(&more, encoded);
        *last |= is_last(&more);
        merged = true;
    }
    merged
}

fn size_hint(batch: &[ClientEvent]) -> usize {
    batch
        .iter()
        .map(|event| match event {
            ClientEvent::Session(Event::Message(p)) => {
                let copied = p.payload.len() * usize::from(p.payload.len() < ATTACH_PAYLOAD_BYTES);
                event_batch::message_size_hint(p.topic.len(), copied)
            }
            _ => 32,
        })
        .sum()
}

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
//!
//! JS's return does not wake this task: it leaves a permit (`JsDone`) that the
//! next batch takes on its way out. A request/response exchange (one message
//! in, one publish out) used to wake the engine thread twice per message, once
//! for the return and once for the publish; on one shared CPU each wake is a
//! context switch (latency-pinned: 14 switches per round trip, 4 for MQTT.js).

use std::sync::Arc;

use napi::bindgen_prelude::FnArgs;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};

use tokio::sync::Notify;
use tokio::time::Instant;

use super::coalescer::Coalescer;
use super::event_batch::{self, EncodedBatch};
use super::external_buffers::{ExternalBuffers, RecordsBuffer};
use super::PAYLOAD_BY_REFERENCE_BYTES;
use engine::connection::{ClientEvent, EventReceiver};

/// What one call carries: the client's key, the encoded batch, and whether
/// it is the client's last.
pub type KeyedBatch = (u32, EncodedBatch, bool);
/// The same as JS receives it: `handler(key, records, payloads, last)`, where
/// `payloads` is an array of the attached (large) payloads, or undefined.
pub type EventArgs = FnArgs<(u32, RecordsBuffer, ExternalBuffers, bool)>;
/// Shared by every client (see `EventBridge`).
pub type EventCallback = ThreadsafeFunction<KeyedBatch, (), EventArgs, napi::Status, false, true>;

/// Scheduler passes the pump gives the connection task before calling JS.
const COALESCE_YIELDS: usize = 4;
/// Stop merging past this: a batch buffer this size is still reused by the
/// allocator, where multi-megabyte ones were fresh memory (page faults) each time.
const MAX_MERGED_BYTES: usize = 256 * 1024;
/// A batch this large is worth a call by itself.
const LARGE_BATCH_BYTES: usize = 32 * 1024;

/// Where a client's batches go.
pub struct EventHandler {
    pub threadsafe: Arc<EventCallback>,
    /// For a client driven on the JS thread: the same handler, called at once
    /// when the pump runs from a callback of the loop.
    #[cfg(unix)]
    pub direct: Option<Arc<crate::binding::js_thread::DirectCall>>,
}

impl EventHandler {
    /// Calls JS at once if it may; otherwise hands the call back.
    fn call_now(&self, key: u32, batch: EncodedBatch, last: bool) -> Option<EncodedBatch> {
        #[cfg(unix)]
        if let Some(direct) = &self.direct {
            if crate::binding::js_thread::may_call_js() {
                direct.call(key, batch, last);
                return None;
            }
        }
        let _ = (key, last);
        Some(batch)
    }
}

pub async fn deliver_events(mut batches: EventReceiver, handler: EventHandler, key: u32) {
    let callback = &handler.threadsafe;
    let mut coalescer = Coalescer::default();
    let js_done = Arc::new(Notify::new());
    let mut js_busy = false;
    while let Some(batch) = batches.recv().await {
        let mut encoded = EncodedBatch::with_capacity(size_hint(&batch));
        let mut last = is_last(&batch);
        let mut messages = count_messages(&batch);
        event_batch::encode_events(&batch, &mut encoded);
        // Let the connection task read what arrived meanwhile (yield_now runs
        // after an I/O driver poll): no added latency when nothing else is ready.
        for _ in 0..COALESCE_YIELDS {
            tokio::task::yield_now().await;
            match merge_waiting(&mut batches, &mut encoded, &mut last) {
                None => break,
                Some(merged) => messages += merged,
            }
        }
        let wait = coalescer.wait_before_call(Instant::now());
        if let Some(wait) = wait
            .filter(|_| encoded.payloads.is_empty() && encoded.records.len() < LARGE_BATCH_BYTES)
        {
            tokio::time::sleep(wait).await;
            messages += merge_waiting(&mut batches, &mut encoded, &mut last).unwrap_or(0);
        }
        if js_busy {
            // One call at a time: what arrives while JS works joins this batch.
            js_done.notified().await;
            js_busy = false;
            messages += merge_waiting(&mut batches, &mut encoded, &mut last).unwrap_or(0);
        }
        coalescer.on_call(Instant::now(), messages);
        let Some(encoded) = handler.call_now(key, encoded, last) else {
            continue;
        };
        let done = JsDone(js_done.clone());
        // A JS exception is the shim's to report; here it only must not stop delivery.
        let status = callback.call_with_return_value(
            (key, encoded, last),
            ThreadsafeFunctionCallMode::NonBlocking,
            move |_returned, _env| {
                drop(done);
                Ok(())
            },
        );
        if status == napi::Status::Closing {
            // The environment is shutting down: nobody is left to deliver to.
            return;
        }
        js_busy = status == napi::Status::Ok;
    }
}

/// Leaves the pump its permit for the next call when JS has returned from
/// this one, or when the call is dropped without running (its data failed to
/// convert, the environment went away): either way the pump must go on.
struct JsDone(Arc<Notify>);

impl Drop for JsDone {
    fn drop(&mut self) {
        // No waiter: a stored permit, no wake-up.
        self.0.notify_one();
    }
}

/// `Terminated` is the last event a client task sends.
fn is_last(batch: &[ClientEvent]) -> bool {
    matches!(batch.last(), Some(ClientEvent::Terminated))
}

/// Appends every batch already waiting; `None` if there was none, else how
/// many messages that added.
fn merge_waiting(
    batches: &mut EventReceiver,
    encoded: &mut EncodedBatch,
    last: &mut bool,
) -> Option<usize> {
    let mut merged = None;
    while encoded.records.len() < MAX_MERGED_BYTES {
        let Ok(more) = batches.try_recv() else {
            break;
        };
        event_batch::encode_events(&more, encoded);
        *last |= is_last(&more);
        *merged.get_or_insert(0) += count_messages(&more);
    }
    merged
}

fn count_messages(batch: &[ClientEvent]) -> usize {
    batch
        .iter()
        .filter(|event| event.message().is_some())
        .count()
}

fn size_hint(batch: &[ClientEvent]) -> usize {
    batch
        .iter()
        .map(|event| match event.message() {
            Some(p) => {
                let copied = p.payload.len()
                    * usize::from(p.payload.len() < PAYLOAD_BY_REFERENCE_BYTES as usize);
                event_batch::message_size_hint(p.topic.len(), copied)
            }
            None => 32,
        })
        .sum()
}

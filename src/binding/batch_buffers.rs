//! Reused buffers for the engine's copy of each publish batch.
//!
//! A publish batch is copied once into the engine and its payloads are slices
//! of that copy until they are written. A fresh allocation per batch (up to
//! 1 MiB) was fresh memory from the kernel every time: zeroing its pages was
//! a fifth of the JS thread's time publishing 4 KiB messages (perf). Buffers
//! now go back to a small shared pool when the last slice of a batch is dropped.

use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;

/// Buffers kept for reuse (shared by all clients): enough for the batches
/// a busy client has in flight (its write buffer holds up to 4 MiB).
const POOLED_BUFFERS: usize = 8;
/// Larger buffers (a batch with one huge record) are not kept.
const MAX_POOLED_CAPACITY: usize = 2 * 1024 * 1024;

static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

fn pool() -> MutexGuard<'static, Vec<Vec<u8>>> {
    // A Vec of spare buffers stays consistent whatever panicked while holding it.
    POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A copy of `bytes` in a pooled buffer; slices of it share it.
pub fn copy_to_shared(bytes: &[u8]) -> Bytes {
    let mut buffer = pool().pop().unwrap_or_default();
    // Rounded up, so that a slightly larger batch next time fits without a
    // reallocation (pages are only touched as they are written).
    buffer.reserve(bytes.len().next_power_of_two());
    buffer.extend_from_slice(bytes);
    Bytes::from_owner(PooledBuffer(buffer))
}

struct PooledBuffer(Vec<u8>);

impl AsRef<[u8]> for PooledBuffer {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        let mut buffer = std::mem::take(&mut self.0);
        if buffer.capacity() > MAX_POOLED_CAPACITY {
            return;
        }
        let mut pool = pool();
        if pool.len() < POOLED_BUFFERS {
            buffer.clear();
            pool.push(buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_is_reused_once_every_slice_of_it_is_gone() {
        // Other tests may use the pool concurrently: look for our buffer, not a count.
        let first = copy_to_shared(&[1; 1000]);
        let address = first.as_ptr();
        let slice = first.slice(10..20);
        drop(first);
        assert_eq!(&slice[..], &[1; 10], "a slice keeps the data");
        drop(slice);
        let reused = (0..POOLED_BUFFERS)
            .map(|_| copy_to_shared(&[2; 1000]))
            .collect::<Vec<_>>();
        assert!(
            reused.iter().any(|b| b.as_ptr() == address),
            "back in the pool"
        );
        assert!(reused.iter().all(|b| b[..] == [2; 1000]));
    }

    #[test]
    fn oversized_buffers_are_not_kept() {
        let big = copy_to_shared(&vec![0; MAX_POOLED_CAPACITY + 1]);
        let address = big.as_ptr();
        drop(big);
        let next = copy_to_shared(&[3; 16]);
        assert_ne!(next.as_ptr(), address);
    }
}

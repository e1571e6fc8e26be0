//! Reused buffers for the engine's copy of each publish batch.
//!
//! A publish batch is copied once into the engine and its payloads are slices
//! of that copy until they are written. A fresh allocation per batch (up to
//! 1 MiB) was fresh memory from the kernel every time: zeroing its pages was
//! a fifth of the JS thread's time publishing 4 KiB messages (perf). Buffers
//! now go back to a small shared pool when the last slice of a batch is dropped.
//!
//! Large buffers are mapped from the kernel directly rather than taken from
//! malloc: glibc raises its mmap threshold after the first large free, so an
//! offline burst (dozens of 1 MiB batches alive at once) otherwise landed in
//! malloc's arenas, which kept up to ~20 MiB of it after the burst was sent.
//! A mapping is returned to the kernel when dropped.

use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;

/// Buffers kept for reuse (shared by all clients): enough for the batches
/// a busy client has in flight (its write buffer holds up to 4 MiB).
const POOLED_BUFFERS: usize = 8;
/// Larger buffers (a batch with one huge record) are not kept.
const MAX_POOLED_CAPACITY: usize = 2 * 1024 * 1024;
/// From this size a buffer is its own mapping (glibc's default mmap threshold).
const MAPPED_FROM: usize = 128 * 1024;

static POOL: Mutex<Vec<Buffer>> = Mutex::new(Vec::new());

fn pool() -> MutexGuard<'static, Vec<Buffer>> {
    // A Vec of spare buffers stays consistent whatever panicked while holding it.
    POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A copy of `bytes` in a pooled buffer; slices of it share it.
pub fn copy_to_shared(bytes: &[u8]) -> Bytes {
    // Rounded up, so that a slightly larger batch next time fits without a
    // new buffer (pages are only touched as they are written).
    let wanted = bytes.len().next_power_of_two();
    let mut buffer = {
        let mut pool = pool();
        match pool.iter().position(|b| b.capacity() >= bytes.len()) {
            Some(i) => pool.swap_remove(i),
            None => Buffer::with_capacity(wanted),
        }
    };
    buffer.fill(bytes);
    Bytes::from_owner(PooledBuffer(Some(buffer)))
}

/// The memory of one batch copy.
enum Buffer {
    Heap(Vec<u8>),
    Mapped(Mapping),
}

impl Buffer {
    fn with_capacity(capacity: usize) -> Self {
        if capacity >= MAPPED_FROM {
            if let Some(mapping) = Mapping::new(capacity) {
                return Buffer::Mapped(mapping);
            }
        }
        Buffer::Heap(Vec::with_capacity(capacity))
    }

    fn capacity(&self) -> usize {
        match self {
            Buffer::Heap(vec) => vec.capacity(),
            Buffer::Mapped(mapping) => mapping.capacity,
        }
    }

    /// Replaces the contents with `bytes` (growing a heap buffer if needed).
    fn fill(&mut self, bytes: &[u8]) {
        match self {
            Buffer::Heap(vec) => {
                vec.clear();
                vec.extend_from_slice(bytes);
            }
            Buffer::Mapped(mapping) if bytes.len() <= mapping.capacity => mapping.fill(bytes),
            Buffer::Mapped(_) => *self = Buffer::Heap(bytes.to_vec()),
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Buffer::Heap(vec) => vec,
            Buffer::Mapped(mapping) => mapping.as_slice(),
        }
    }
}

/// Anonymous private memory mapped for one buffer, unmapped on drop.
struct Mapping {
    ptr: NonNull<u8>,
    capacity: usize,
    len: usize,
}

// The mapping is owned memory like a Vec's: moving it between threads is fine,
// and shared access only reads it.
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

impl Mapping {
    fn new(capacity: usize) -> Option<Self> {
        // SAFETY: a fresh anonymous private mapping; no existing memory is touched.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                capacity,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        Some(Mapping {
            ptr: NonNull::new(ptr.cast())?,
            capacity,
            len: 0,
        })
    }

    fn fill(&mut self, bytes: &[u8]) {
        assert!(bytes.len() <= self.capacity);
        // SAFETY: the mapping is `capacity` writable bytes we own; `bytes` is another allocation.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.as_ptr(), bytes.len()) };
        self.len = bytes.len();
    }

    fn as_slice(&self) -> &[u8] {
        // SAFETY: the first `len` bytes were written by `fill`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `new` made; no slice of it outlives `self`.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.capacity) };
    }
}

struct PooledBuffer(Option<Buffer>);

impl AsRef<[u8]> for PooledBuffer {
    fn as_ref(&self) -> &[u8] {
        self.0.as_ref().map_or(&[], Buffer::as_slice)
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        let Some(buffer) = self.0.take() else {
            return;
        };
        if buffer.capacity() > MAX_POOLED_CAPACITY {
            return;
        }
        let mut pool = pool();
        if pool.len() < POOLED_BUFFERS {
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
    fn a_large_batch_lives_in_its_own_mapping_and_reads_back_whole() {
        let bytes: Vec<u8> = (0..MAPPED_FROM + 12_345).map(|i| (i % 251) as u8).collect();
        assert!(matches!(
            Buffer::with_capacity(bytes.len().next_power_of_two()),
            Buffer::Mapped(_)
        ));
        let copy = copy_to_shared(&bytes);
        assert_eq!(&copy[..], &bytes[..]);
        let tail = copy.slice(MAPPED_FROM..);
        drop(copy);
        assert_eq!(&tail[..], &bytes[MAPPED_FROM..]);
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

//! The few libuv calls the JS-thread driver makes, over handles it allocates
//! as opaque memory of `uv_handle_size` bytes (no struct layout is assumed).
//!
//! Node exports libuv's symbols to addons (N-API documents
//! `napi_get_uv_event_loop` for exactly this); on Unix they resolve when the
//! addon is loaded, as the N-API functions do. Every function here must be
//! called on the thread that runs the loop, except [`AsyncHandle::send`].

use std::os::raw::{c_int, c_void};

use napi::sys::uv_loop_s;

/// `uv_handle_type` values (stable across libuv 1.x).
const UV_ASYNC: c_int = 1;
const UV_POLL: c_int = 8;

/// `uv_poll_event` bits.
pub const READABLE: c_int = 1;
pub const WRITABLE: c_int = 2;
pub const DISCONNECT: c_int = 4;

pub type Loop = *mut uv_loop_s;
type AsyncCallback = unsafe extern "C" fn(handle: *mut c_void);
type PollCallback = unsafe extern "C" fn(handle: *mut c_void, status: c_int, events: c_int);
type CloseCallback = unsafe extern "C" fn(handle: *mut c_void);

extern "C" {
    fn uv_handle_size(handle_type: c_int) -> usize;
    fn uv_handle_set_data(handle: *mut c_void, data: *mut c_void);
    fn uv_handle_get_data(handle: *const c_void) -> *mut c_void;
    fn uv_unref(handle: *mut c_void);
    fn uv_close(handle: *mut c_void, close_cb: Option<CloseCallback>);
    fn uv_async_init(event_loop: Loop, handle: *mut c_void, cb: AsyncCallback) -> c_int;
    fn uv_async_send(handle: *mut c_void) -> c_int;
    fn uv_poll_init(event_loop: Loop, handle: *mut c_void, fd: c_int) -> c_int;
    fn uv_poll_start(handle: *mut c_void, events: c_int, cb: PollCallback) -> c_int;
    fn uv_poll_stop(handle: *mut c_void) -> c_int;
}

/// Handle memory: `uv_handle_size` bytes, 16-byte aligned, after one 16-byte
/// word that records the allocation's length for `free_handle`.
fn allocate(handle_type: c_int) -> *mut c_void {
    // SAFETY: a pure size query.
    let words = 1 + unsafe { uv_handle_size(handle_type) }.div_ceil(16);
    let mut memory: Box<[u128]> = vec![0u128; words].into_boxed_slice();
    memory[0] = words as u128;
    let start = Box::into_raw(memory) as *mut u128;
    // SAFETY: within the allocation (`words` >= 2).
    unsafe { start.add(1) as *mut c_void }
}

/// Frees what `allocate` made: the close callback, or a handle whose init failed.
unsafe extern "C" fn free_handle(handle: *mut c_void) {
    // SAFETY: `handle` came from `allocate`: its length word is right before it.
    unsafe {
        let start = (handle as *mut u128).sub(1);
        let words = *start as usize;
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
            start, words,
        )));
    }
}

fn close(handle: *mut c_void) {
    // SAFETY: an initialised handle, closed once; the callback frees it.
    unsafe { uv_close(handle, Some(free_handle)) };
}

/// A `uv_async_t`: wakes the loop from any thread.
pub struct AsyncHandle(*mut c_void);

// SAFETY: `uv_async_send` is documented thread-safe; the other methods are
// only called on the loop thread (see the module doc).
unsafe impl Send for AsyncHandle {}
unsafe impl Sync for AsyncHandle {}

impl AsyncHandle {
    /// An async handle that does not hold the loop open.
    pub fn new(event_loop: Loop, callback: AsyncCallback) -> std::io::Result<Self> {
        let handle = allocate(UV_ASYNC);
        // SAFETY: fresh handle memory of the right size, on the loop thread.
        let status = unsafe { uv_async_init(event_loop, handle, callback) };
        if status != 0 {
            // SAFETY: never initialised, so libuv holds no reference to it.
            unsafe { free_handle(handle) };
            return Err(uv_error(status));
        }
        // SAFETY: an initialised handle.
        unsafe { uv_unref(handle) };
        Ok(AsyncHandle(handle))
    }

    /// Wakes the loop, which then runs the callback once for any number of sends.
    pub fn send(&self) {
        // SAFETY: an initialised, not yet closed handle (the owner stops
        // sending before `close`).
        unsafe { uv_async_send(self.0) };
    }

    pub fn close(self) {
        close(self.0);
    }
}

/// A `uv_poll_t` watching one socket, with a pointer of the owner's in its data.
pub struct PollHandle(*mut c_void);

impl PollHandle {
    /// A poll handle for `fd` that does not hold the loop open.
    pub fn new(event_loop: Loop, fd: c_int, data: *mut c_void) -> std::io::Result<Self> {
        let handle = allocate(UV_POLL);
        // SAFETY: fresh handle memory of the right size, on the loop thread.
        let status = unsafe { uv_poll_init(event_loop, handle, fd) };
        if status != 0 {
            // SAFETY: never initialised, so libuv holds no reference to it.
            unsafe { free_handle(handle) };
            return Err(uv_error(status));
        }
        // SAFETY: an initialised handle.
        unsafe {
            uv_handle_set_data(handle, data);
            uv_unref(handle);
        }
        Ok(PollHandle(handle))
    }

    /// Watches for `events` (0 stops watching).
    pub fn watch(&self, events: c_int, callback: PollCallback) -> std::io::Result<()> {
        // SAFETY: an initialised, open handle, on the loop thread.
        let status = unsafe {
            if events == 0 {
                uv_poll_stop(self.0)
            } else {
                uv_poll_start(self.0, events, callback)
            }
        };
        match status {
            0 => Ok(()),
            status => Err(uv_error(status)),
        }
    }

    /// The handle a poll callback was called with (not closed by dropping it).
    ///
    /// # Safety
    /// `handle` is the handle a poll callback was called with.
    pub unsafe fn from_callback(handle: *mut c_void) -> PollHandle {
        PollHandle(handle)
    }

    /// The data pointer given to `new`, inside a poll callback.
    ///
    /// # Safety
    /// `handle` is the handle a poll callback was called with.
    pub unsafe fn data(handle: *mut c_void) -> *mut c_void {
        unsafe { uv_handle_get_data(handle) }
    }

    /// Stops watching and closes; the socket may be closed right after.
    pub fn close(self) {
        // SAFETY: an initialised, open handle, on the loop thread.
        unsafe { uv_poll_stop(self.0) };
        close(self.0);
    }
}

/// libuv's errors are negated errno values on Unix.
fn uv_error(status: c_int) -> std::io::Error {
    std::io::Error::from_raw_os_error(-status)
}

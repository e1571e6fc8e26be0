//! A plain socket (TCP or Unix) read and written by the JS-thread driver,
//! with readiness from a libuv poll handle on Node's loop.
//!
//! Reads and writes are non-blocking system calls made straight from the
//! task's poll; only a socket that would block is watched, and only for the
//! direction that blocked, as tokio's reactor does.

use std::io::{self, IoSlice, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::raw::{c_int, c_void};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::thread::{self, ThreadId};

use engine::transport::{AdoptedStream, PlainSocket};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::executor;
use super::uv::{self, PollHandle};

/// What the poll callback needs: whom to wake, what is watched, and the
/// readiness last seen (as tokio's reactor keeps it: a call that would block
/// clears it, the loop's report sets it), so that a task polled for another
/// reason makes no read or write that is bound to fail.
struct Watch {
    reader: Option<Waker>,
    writer: Option<Waker>,
    events: c_int,
    readable: bool,
    writable: bool,
}

impl Default for Watch {
    fn default() -> Self {
        Watch {
            reader: None,
            writer: None,
            events: 0,
            readable: true,
            writable: true,
        }
    }
}

pub struct LoopSocket {
    socket: PlainSocket,
    fd: RawFd,
    /// `None` only after `Drop` began.
    poll: Option<PollHandle>,
    /// Owned here, shared with the poll callback through the handle's data.
    watch: *mut Watch,
    loop_thread: ThreadId,
}

// SAFETY: a `LoopSocket` is made, used and dropped on the loop thread only: it
// lives inside a task that the JS-thread executor alone polls and drops. It
// must be `Send` because `transport::Stream` is.
unsafe impl Send for LoopSocket {}

impl std::fmt::Debug for LoopSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopSocket").field("fd", &self.fd).finish()
    }
}

impl AdoptedStream for LoopSocket {}

impl LoopSocket {
    pub fn new(socket: PlainSocket, event_loop: uv::Loop) -> io::Result<Self> {
        let fd = match &socket {
            PlainSocket::Tcp(stream) => stream.as_raw_fd(),
            PlainSocket::Unix(stream) => stream.as_raw_fd(),
        };
        let watch = Box::into_raw(Box::<Watch>::default());
        match PollHandle::new(event_loop, fd, watch as *mut c_void) {
            Ok(poll) => Ok(LoopSocket {
                socket,
                fd,
                poll: Some(poll),
                watch,
                loop_thread: thread::current().id(),
            }),
            Err(error) => {
                // SAFETY: made above, shared with nobody.
                drop(unsafe { Box::from_raw(watch) });
                Err(error)
            }
        }
    }

    fn watch(&mut self) -> &mut Watch {
        debug_assert_eq!(thread::current().id(), self.loop_thread);
        // SAFETY: owned by this socket; the callback touches it only on this
        // thread, never while this borrow is held (no callback runs inside a poll).
        unsafe { &mut *self.watch }
    }

    /// Wakes `waker` once the socket is ready for `event`.
    fn wait_for(&mut self, event: c_int, waker: &Waker) -> io::Result<()> {
        let watch = self.watch();
        let slot = if event == uv::READABLE {
            watch.readable = false;
            &mut watch.reader
        } else {
            watch.writable = false;
            &mut watch.writer
        };
        match slot {
            Some(current) if current.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
        let events = watch.events | event;
        if events != watch.events {
            watch.events = events;
            if let Some(poll) = &self.poll {
                poll.watch(events, on_ready)?;
            }
        }
        Ok(())
    }

    fn write_with(
        &mut self,
        cx: &mut Context<'_>,
        write: impl Fn(&mut PlainSocket) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        if !self.watch().writable {
            self.wait_for(uv::WRITABLE, cx.waker())?;
            return Poll::Pending;
        }
        loop {
            match write(&mut self.socket) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    self.wait_for(uv::WRITABLE, cx.waker())?;
                    return Poll::Pending;
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                result => return Poll::Ready(result),
            }
        }
    }
}

/// The poll callback: wakes the task waiting on what became ready and runs
/// the woken tasks before returning. Readable stays watched while the socket
/// is being read (no `epoll_ctl` per message); a direction nobody waits on is
/// dropped, or the level-triggered poll would call back at once again.
unsafe extern "C" fn on_ready(handle: *mut c_void, status: c_int, events: c_int) {
    // SAFETY: the data is the socket's `Watch`, alive until the handle is
    // closed (the socket closes it before freeing the `Watch`).
    let watch = unsafe { &mut *(PollHandle::data(handle) as *mut Watch) };
    let mut woken = Vec::with_capacity(2);
    let mut events_now = watch.events;
    if status < 0 {
        // The socket failed and libuv stopped watching: both sides try again
        // and meet the error.
        watch.readable = true;
        watch.writable = true;
        woken.extend(watch.reader.take());
        woken.extend(watch.writer.take());
        watch.events = 0;
        events_now = 0;
    } else {
        if events & (uv::READABLE | uv::DISCONNECT) != 0 {
            watch.readable = true;
            match watch.reader.take() {
                Some(reader) => woken.push(reader),
                None => events_now &= !uv::READABLE,
            }
        }
        if events & uv::WRITABLE != 0 {
            watch.writable = true;
            woken.extend(watch.writer.take());
            events_now &= !uv::WRITABLE;
        }
    }
    if events_now != watch.events {
        watch.events = events_now;
        // SAFETY: the handle this callback was called with.
        let poll = unsafe { PollHandle::from_callback(handle) };
        let _ = poll.watch(events_now, on_ready);
    }
    match executor::current() {
        Some(executor) => executor.run_from_loop(|| woken.into_iter().for_each(Waker::wake)),
        None => woken.into_iter().for_each(Waker::wake),
    }
}

impl AsyncRead for LoopSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.watch().readable {
            this.wait_for(uv::READABLE, cx.waker())?;
            return Poll::Pending;
        }
        loop {
            // SAFETY: `read` writes at most `unfilled.len()` bytes into the
            // buffer and reports how many; only those are marked initialised.
            let read = unsafe {
                let unfilled = buf.unfilled_mut();
                libc::read(
                    this.fd,
                    unfilled.as_mut_ptr() as *mut c_void,
                    unfilled.len(),
                )
            };
            if read >= 0 {
                let read = read as usize;
                // A short read drained the socket (a stream socket returns all
                // it has): the next read waits for the loop's report instead of
                // failing with EAGAIN first, as libuv's own streams do.
                if read > 0 && read < buf.remaining() {
                    this.watch().readable = false;
                }
                // SAFETY: the kernel initialised `read` bytes.
                unsafe { buf.assume_init(read) };
                buf.advance(read);
                return Poll::Ready(Ok(()));
            }
            let error = io::Error::last_os_error();
            match error.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => {
                    this.wait_for(uv::READABLE, cx.waker())?;
                    return Poll::Pending;
                }
                _ => return Poll::Ready(Err(error)),
            }
        }
    }
}

impl AsyncWrite for LoopSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_with(cx, |socket| match socket {
            PlainSocket::Tcp(stream) => stream.write(buf),
            PlainSocket::Unix(stream) => stream.write(buf),
        })
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().write_with(cx, |socket| match socket {
            PlainSocket::Tcp(stream) => stream.write_vectored(bufs),
            PlainSocket::Unix(stream) => stream.write_vectored(bufs),
        })
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let shutdown = match &self.socket {
            PlainSocket::Tcp(stream) => stream.shutdown(std::net::Shutdown::Write),
            PlainSocket::Unix(stream) => stream.shutdown(std::net::Shutdown::Write),
        };
        Poll::Ready(match shutdown {
            // Already closed by the peer: nothing left to shut.
            Err(error) if error.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        })
    }
}

impl Drop for LoopSocket {
    fn drop(&mut self) {
        if let Some(poll) = self.poll.take() {
            // Stops watching before the socket (a field) is closed.
            poll.close();
        }
        // SAFETY: the handle is closed, so no callback reads the `Watch` any more.
        drop(unsafe { Box::from_raw(self.watch) });
    }
}

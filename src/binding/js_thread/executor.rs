//! Runs client tasks on the JS thread, polled from Node's own event loop.
//!
//! A task here is polled when its waker fires: on this thread the task is
//! queued and run before control returns to the loop (after a socket
//! callback, or right after a method call that gave it work); from another
//! thread (a tokio timer, a DNS lookup) through one `uv_async_t` shared by
//! every task of the thread. Tokio's timers and blocking pool still serve the
//! tasks: they are polled inside the runtime's context.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::os::raw::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, ThreadId};

use super::uv::{self, AsyncHandle};

type Task = Pin<Box<dyn Future<Output = ()>>>;

thread_local! {
    /// This thread's executor, if a client was started here in this mode. A raw
    /// pointer (no destructor): it is freed by the environment's cleanup hook,
    /// while the loop still exists, never by thread-exit destructors.
    static EXECUTOR: Cell<*const Executor> = const { Cell::new(std::ptr::null()) };
}

/// Wakes that arrive from other threads, for the loop thread to pick up.
struct RemoteWakes {
    loop_thread: ThreadId,
    state: Mutex<RemoteState>,
}

struct RemoteState {
    ids: Vec<u64>,
    /// `None` once the executor is gone: later wakes are dropped.
    handle: Option<AsyncHandle>,
}

impl RemoteWakes {
    fn push(&self, id: u64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.handle.is_none() {
            return;
        }
        let first = state.ids.is_empty();
        state.ids.push(id);
        if first {
            if let Some(handle) = &state.handle {
                handle.send();
            }
        }
    }

    /// Wakes the loop without queueing anything: the id is already queued locally.
    fn push_wakeup_only(&self) {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(handle) = &state.handle {
            handle.send();
        }
    }

    fn take(&self, into: &mut VecDeque<u64>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        into.extend(state.ids.drain(..));
    }
}

struct TaskWaker {
    id: u64,
    remote: Arc<RemoteWakes>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if thread::current().id() == self.remote.loop_thread {
            let executor = EXECUTOR.with(Cell::get);
            if !executor.is_null() {
                // SAFETY: the pointer is live while set (cleared before it is freed).
                unsafe { &*executor }.wake_local(self.id);
                return;
            }
        }
        self.remote.push(self.id);
    }
}

pub struct Executor {
    runtime: tokio::runtime::Handle,
    remote: Arc<RemoteWakes>,
    tasks: RefCell<HashMap<u64, (Task, Waker)>>,
    ready: RefCell<VecDeque<u64>>,
    next_id: Cell<u64>,
    /// Inside `run_ready` (or a call that will end with it): local wakes need
    /// no loop wake-up.
    running: Cell<bool>,
    /// Running from a callback of the loop, not inside a call from JS: the
    /// tasks may call into JS directly.
    from_loop: Cell<bool>,
}

impl Executor {
    /// This thread's executor, made on first use for `event_loop`.
    pub fn for_this_thread(
        env: napi::sys::napi_env,
        event_loop: uv::Loop,
        runtime: &tokio::runtime::Handle,
    ) -> std::io::Result<&'static Executor> {
        let existing = EXECUTOR.with(Cell::get);
        if !existing.is_null() {
            // SAFETY: live while set.
            return Ok(unsafe { &*existing });
        }
        let handle = AsyncHandle::new(event_loop, on_remote_wake)?;
        let executor = Box::new(Executor {
            runtime: runtime.clone(),
            remote: Arc::new(RemoteWakes {
                loop_thread: thread::current().id(),
                state: Mutex::new(RemoteState {
                    ids: Vec::new(),
                    handle: Some(handle),
                }),
            }),
            tasks: RefCell::new(HashMap::new()),
            ready: RefCell::new(VecDeque::new()),
            next_id: Cell::new(1),
            running: Cell::new(false),
            from_loop: Cell::new(false),
        });
        let executor = Box::into_raw(executor);
        EXECUTOR.with(|cell| cell.set(executor));
        // SAFETY: a valid env on its own thread; the hook runs once, on this
        // thread, before the loop is closed.
        unsafe {
            napi::sys::napi_add_env_cleanup_hook(env, Some(on_env_cleanup), std::ptr::null_mut());
        }
        // SAFETY: just made; freed only by the cleanup hook.
        Ok(unsafe { &*executor })
    }

    /// Starts `task`; it is first polled before control returns to the loop.
    pub fn spawn(&self, task: impl Future<Output = ()> + 'static) {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let waker = Waker::from(Arc::new(TaskWaker {
            id,
            remote: self.remote.clone(),
        }));
        self.tasks.borrow_mut().insert(id, (Box::pin(task), waker));
        self.wake_local(id);
    }

    fn wake_local(&self, id: u64) {
        self.ready.borrow_mut().push_back(id);
        if !self.running.get() {
            // Nothing on this thread will run it before control returns to the
            // loop (a wake from outside any callback of ours): have the loop do it.
            self.remote.push_wakeup_only();
        }
    }

    /// Runs `work` (which may wake tasks), then every task it woke. For calls
    /// from JS; see `run_from_loop` for the loop's callbacks.
    pub fn run_after<R>(&self, work: impl FnOnce() -> R) -> R {
        let nested = self.running.replace(true);
        let result = work();
        if !nested {
            self.run_ready();
            self.running.set(false);
        }
        result
    }

    /// `run_after` for a callback of the loop: the tasks may call JS.
    pub fn run_from_loop(&self, work: impl FnOnce()) {
        if self.running.get() {
            return self.run_after(work);
        }
        self.from_loop.set(true);
        self.run_after(work);
        self.from_loop.set(false);
    }

    /// Whether a task being polled now may call into JS (see `direct_call`).
    pub fn may_call_js(&self) -> bool {
        self.from_loop.get()
    }

    /// Polls every woken task until none is left.
    fn run_ready(&self) {
        let _runtime = self.runtime.enter();
        loop {
            self.remote.take(&mut self.ready.borrow_mut());
            let Some(id) = self.ready.borrow_mut().pop_front() else {
                break;
            };
            // Out of the map while polled: the task may start or wake others.
            let Some((mut task, waker)) = self.tasks.borrow_mut().remove(&id) else {
                continue; // finished, or woken twice
            };
            let mut cx = Context::from_waker(&waker);
            // A panic ends only its own task (the connection task has its own
            // boundary that reports it; this one keeps the loop alive).
            let polled = catch_unwind(AssertUnwindSafe(|| task.as_mut().poll(&mut cx)));
            if let Ok(Poll::Pending) = polled {
                self.tasks.borrow_mut().insert(id, (task, waker));
            }
        }
    }

    /// Ends every task (their sockets close) and stops taking wakes.
    fn shut_down(&self) {
        let tasks = std::mem::take(&mut *self.tasks.borrow_mut());
        drop(tasks);
        let handle = {
            let mut state = self.remote.state.lock().unwrap_or_else(|p| p.into_inner());
            state.ids.clear();
            state.handle.take()
        };
        if let Some(handle) = handle {
            handle.close();
        }
    }
}

/// Whether this thread has an executor with tasks that may want to run now.
pub fn current() -> Option<&'static Executor> {
    let executor = EXECUTOR.with(Cell::get);
    // SAFETY: live while set.
    (!executor.is_null()).then(|| unsafe { &*executor })
}

unsafe extern "C" fn on_remote_wake(_handle: *mut c_void) {
    if let Some(executor) = current() {
        executor.run_from_loop(|| ());
    }
}

unsafe extern "C" fn on_env_cleanup(_arg: *mut c_void) {
    let executor = EXECUTOR.with(|cell| cell.replace(std::ptr::null()));
    if executor.is_null() {
        return;
    }
    // SAFETY: made by `for_this_thread` with Box::into_raw, no longer reachable.
    let executor = unsafe { Box::from_raw(executor as *mut Executor) };
    executor.shut_down();
}

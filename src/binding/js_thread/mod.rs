//! The JS-thread driver: a client's tasks (connection and event pump) polled
//! on Node's own thread, its plain socket watched by Node's event loop.
//!
//! With the engine thread, every message crosses threads twice: a publish goes
//! JS → engine thread → socket, a received message socket → engine thread →
//! JS. On one CPU each crossing is a context switch (`latency-pinned`: 14 per
//! round trip against MQTT.js's 4). Here a publish is written to the socket
//! before `publish()` returns and a message reaches JS from the loop's own
//! poll of the socket; what stays on tokio's threads is what is rare (timers,
//! DNS lookups) and what is secured or framed (TLS and WebSocket streams keep
//! tokio's reactor).

mod direct_call;
mod executor;
mod socket;
mod uv;

use std::future::Future;

use engine::transport::StreamAdopter;
use napi::Env;

pub use direct_call::DirectCall;
pub use executor::current;

/// Whether the task being polled on this thread may call into JS now.
pub fn may_call_js() -> bool {
    current().is_some_and(|executor| executor.may_call_js())
}

/// Runs `tasks` on this thread's loop; returns the adopter that moves the
/// client's plain sockets onto it.
pub fn start(
    env: &Env,
    runtime: &tokio::runtime::Handle,
    tasks: Vec<std::pin::Pin<Box<dyn Future<Output = ()>>>>,
) -> napi::Result<()> {
    let event_loop = event_loop(env)?;
    let executor = executor::Executor::for_this_thread(env.raw(), event_loop, runtime)
        .map_err(|error| napi::Error::from_reason(format!("mqtt-napi: {error}")))?;
    executor.run_after(|| tasks.into_iter().for_each(|task| executor.spawn(task)));
    Ok(())
}

/// The adopter for clients driven on this thread's loop.
pub fn stream_adopter(env: &Env) -> napi::Result<StreamAdopter> {
    let event_loop = SendLoop(event_loop(env)?);
    Ok(StreamAdopter::new(move |socket| {
        let event_loop = &event_loop;
        socket::LoopSocket::new(socket, event_loop.0).map(|s| Box::new(s) as _)
    }))
}

/// The loop pointer, carried into the adopter (which runs on the loop's thread:
/// the task that connects is polled there).
struct SendLoop(uv::Loop);
// SAFETY: only dereferenced by libuv on the loop's own thread.
unsafe impl Send for SendLoop {}
unsafe impl Sync for SendLoop {}

fn event_loop(env: &Env) -> napi::Result<uv::Loop> {
    let mut event_loop = std::ptr::null_mut();
    // SAFETY: a valid env, on its thread.
    let status = unsafe { napi::sys::napi_get_uv_event_loop(env.raw(), &mut event_loop) };
    if status != napi::sys::Status::napi_ok || event_loop.is_null() {
        return Err(napi::Error::from_reason(
            "mqtt-napi: no libuv loop for this thread",
        ));
    }
    Ok(event_loop)
}

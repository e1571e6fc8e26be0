//! Calls the event handler straight from a loop callback, for clients driven
//! on the JS thread: a threadsafe function would queue the call behind one
//! more trip through the loop (an eventfd write and read, one more
//! `epoll_wait`) for every batch.
//!
//! Only from a loop callback (a socket became ready, a timer fired): never
//! inside a call from JS, where MQTT.js emits nothing synchronously. The call
//! is made as Node makes its own callbacks (`napi_make_callback`), so
//! `process.nextTick` work and promise reactions run right after it, and an
//! exception reaches `uncaughtException`.

use std::ptr;

use napi::bindgen_prelude::{Function, JsValue, ToNapiValue};
use napi::sys;

use crate::binding::event_batch::EncodedBatch;
use crate::binding::event_pump::EventArgs;
use crate::binding::external_buffers::{ExternalBuffers, RecordsBuffer};

pub struct DirectCall {
    env: sys::napi_env,
    /// The handler. Never released: the bridge is made once per module
    /// instance, and a reference may only be deleted on its own thread.
    handler: sys::napi_ref,
    context: sys::napi_async_context,
}

// SAFETY: made on the JS thread; `call` is only made there (the JS-thread
// driver's tasks run nowhere else). Elsewhere it is only moved and dropped,
// which touches no N-API state.
unsafe impl Send for DirectCall {}
unsafe impl Sync for DirectCall {}

impl DirectCall {
    pub fn new(env: sys::napi_env, handler: &Function<'_, EventArgs, ()>) -> napi::Result<Self> {
        let mut reference = ptr::null_mut();
        let mut context = ptr::null_mut();
        // SAFETY: a valid env and function, on the JS thread.
        unsafe {
            check(sys::napi_create_reference(
                env,
                handler.raw(),
                1,
                &mut reference,
            ))?;
            let mut name = ptr::null_mut();
            let text = "mqtt-napi events";
            check(sys::napi_create_string_utf8(
                env,
                text.as_ptr().cast(),
                text.len() as isize,
                &mut name,
            ))?;
            let mut resource = ptr::null_mut();
            check(sys::napi_create_object(env, &mut resource))?;
            check(sys::napi_async_init(env, resource, name, &mut context))?;
        }
        Ok(DirectCall {
            env,
            handler: reference,
            context,
        })
    }

    /// `handler(key, records, payloads, last)`, now, on the JS thread.
    pub fn call(&self, key: u32, batch: EncodedBatch, last: bool) {
        let env = self.env;
        // SAFETY: on the JS thread of `env` (see the type's note), inside a
        // handle scope closed before returning.
        unsafe {
            let mut scope = ptr::null_mut();
            if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
                return;
            }
            if let Ok(args) = arguments(env, key, batch, last) {
                let mut handler = ptr::null_mut();
                let mut receiver = ptr::null_mut();
                let mut result = ptr::null_mut();
                sys::napi_get_reference_value(env, self.handler, &mut handler);
                // `napi_make_callback` wants an object receiver (undefined throws).
                sys::napi_get_global(env, &mut receiver);
                let status = sys::napi_make_callback(
                    env,
                    self.context,
                    receiver,
                    handler,
                    args.len(),
                    args.as_ptr(),
                    &mut result,
                );
                if status == sys::Status::napi_pending_exception {
                    // As for an exception in any callback of Node's loop.
                    let mut error = ptr::null_mut();
                    sys::napi_get_and_clear_last_exception(env, &mut error);
                    sys::napi_fatal_exception(env, error);
                }
            }
            sys::napi_close_handle_scope(env, scope);
        }
    }
}

unsafe fn arguments(
    env: sys::napi_env,
    key: u32,
    batch: EncodedBatch,
    last: bool,
) -> napi::Result<[sys::napi_value; 4]> {
    // SAFETY: on the JS thread, inside the caller's handle scope.
    unsafe {
        Ok([
            u32::to_napi_value(env, key)?,
            RecordsBuffer::to_napi_value(env, RecordsBuffer(batch.records))?,
            ExternalBuffers::to_napi_value(env, ExternalBuffers(batch.payloads))?,
            bool::to_napi_value(env, last)?,
        ])
    }
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    match status {
        sys::Status::napi_ok => Ok(()),
        status => Err(napi::Error::new(
            napi::Status::from(status),
            "mqtt-napi: cannot set up the direct event call",
        )),
    }
}

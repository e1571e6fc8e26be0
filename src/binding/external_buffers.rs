//! Large message payloads handed to JS without a copy: each becomes a Buffer
//! over the engine's own memory, which stays allocated until JS lets go of it.

use bytes::Bytes;
use napi::bindgen_prelude::{Array, Buffer, BufferSlice, ToNapiValue};
use napi::{sys, Env};

/// A batch's records up to this size are copied into a fresh Buffer; larger
/// ones are handed over as they are.
const COPY_RECORDS_UP_TO: usize = 4 * 1024;

/// A batch's records as a JS Buffer. A small batch is copied: an external
/// Buffer costs a backing store with its own deleter and a finalizer the GC
/// runs later, more than copying the records of a few messages (about 100
/// bytes each). A large one becomes an external Buffer that frees the Vec
/// when collected, with no copy.
pub struct RecordsBuffer(pub Vec<u8>);

impl ToNapiValue for RecordsBuffer {
    unsafe fn to_napi_value(raw_env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        let records = value.0;
        if records.len() > COPY_RECORDS_UP_TO {
            // SAFETY: the caller's env, on its thread.
            return unsafe { Buffer::to_napi_value(raw_env, Buffer::from(records)) };
        }
        let mut buffer = std::ptr::null_mut();
        // SAFETY: the caller's env, on its thread; `records` outlives the copy.
        let status = unsafe {
            sys::napi_create_buffer_copy(
                raw_env,
                records.len(),
                records.as_ptr().cast(),
                std::ptr::null_mut(),
                &mut buffer,
            )
        };
        match status {
            sys::Status::napi_ok => Ok(buffer),
            status => Err(napi::Error::new(
                napi::Status::from(status),
                "mqtt-napi: cannot make the event batch's Buffer",
            )),
        }
    }
}

/// Converts to a JS array of Buffers, or `undefined` when there are none (the
/// usual case: no array is made for batches of small messages).
pub struct ExternalBuffers(pub Vec<Bytes>);

impl ToNapiValue for ExternalBuffers {
    unsafe fn to_napi_value(raw_env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        if value.0.is_empty() {
            return <()>::to_napi_value(raw_env, ());
        }
        let env = Env::from_raw(raw_env);
        let mut array = env.create_array(value.0.len() as u32)?;
        for (index, payload) in value.0.into_iter().enumerate() {
            array.set(index as u32, &external_buffer(&env, payload)?)?;
        }
        <Array>::to_napi_value(raw_env, array)
    }
}

fn external_buffer(env: &Env, payload: Bytes) -> napi::Result<BufferSlice<'_>> {
    let data = payload.as_ptr().cast_mut();
    let len = payload.len();
    // SAFETY: `data..data + len` stays allocated while the Buffer lives: the
    // `Bytes` that owns it moves into the finalizer and is dropped there. No
    // Rust code reads this region after the hand-over (the Bytes is only held),
    // so JS writing into the Buffer races with nothing. Payloads handed out
    // are disjoint regions, so no two live Buffers share a start address
    // (which V8 forbids).
    unsafe { BufferSlice::from_external(env, data, len, payload, |_, payload| drop(payload)) }
}

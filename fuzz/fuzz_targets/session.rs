//! cargo fuzz run session: the session state machine driven by decoded packets, commands and
//! timeouts taken from the input (see `mqtt_napi_fuzz::session`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mqtt_napi_fuzz::session(data);
});

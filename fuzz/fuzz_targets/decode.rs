//! cargo fuzz run decode: arbitrary bytes into the decoder (see `mqtt_napi_fuzz::decode`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mqtt_napi_fuzz::decode(data);
});

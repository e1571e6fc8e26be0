//! cargo fuzz run properties: arbitrary bytes into the MQTT 5 property decoder (see
//! `mqtt_napi_fuzz::properties`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mqtt_napi_fuzz::properties(data);
});

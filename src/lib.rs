//! mqtt-napi: an MQTT client engine for Node.js.

pub mod codec;

#[napi_derive::napi]
pub fn ping() -> u32 {
    1
}

#[cfg(test)]
mod tests {
    #[test]
    fn it_links() {
        assert_eq!(super::ping(), 1);
    }
}

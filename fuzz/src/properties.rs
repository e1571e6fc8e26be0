//! The `properties` target: arbitrary bytes into `Properties::decode` (MQTT 5 property lists).
//!
//! Input: byte 0 picks the list's context (CONNECT, will, CONNACK, ... AUTH), the rest is the packet body
//! from the Property Length on. Invariants: no panic; an error names a Malformed Packet, Protocol Error or
//! Topic Alias invalid reason code; a decoded list passes `validate` for its context (we could have sent
//! it), `encoded_len` equals the bytes it was decoded from (only shortest-form integers are accepted, so
//! the canonical encoding has the same size), and it encodes and decodes back to itself.

use bytes::{Bytes, BytesMut};
use mqtt_napi_engine::codec::v5::{Properties, PropertyContext, PropertyId, ReasonCode, WireType};

use crate::{Input, Rng};

pub fn properties(data: &[u8]) {
    let mut input = Input::new(data);
    let context = PropertyContext::ALL[usize::from(input.byte()) % PropertyContext::ALL.len()];
    let rest = input.take(data.len());
    let mut body = Bytes::copy_from_slice(rest);
    let before = body.len();
    match Properties::decode(&mut body, context) {
        Ok(decoded) => {
            if let Err(error) = decoded.validate(context) {
                panic!("decoded {context} fail validation: {error}: {decoded:?}");
            }
            assert_eq!(
                decoded.encoded_len(),
                before - body.len(),
                "{context}: {decoded:?}"
            );
            let mut wire = BytesMut::new();
            decoded.encode(&mut wire);
            assert_eq!(wire.len(), decoded.encoded_len());
            let again = Properties::decode(&mut wire.freeze(), context)
                .unwrap_or_else(|e| panic!("re-encoded {context} do not decode: {e}: {decoded:?}"));
            assert_eq!(again, decoded);
        }
        Err(error) => {
            let _ = error.to_string();
            assert!(
                [
                    ReasonCode::MALFORMED_PACKET,
                    ReasonCode::PROTOCOL_ERROR,
                    ReasonCode::TOPIC_ALIAS_INVALID
                ]
                .contains(&error.reason_code()),
                "{error}"
            );
        }
    }
}

fn put_var_int(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let low = (value & 0x7F) as u8;
        value >>= 7;
        if value == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// Input for [`properties`]: a list of properties mostly allowed in the chosen context, with values of the
/// right wire type (sometimes out of range), sometimes corrupted, cut or padded.
pub fn properties_input(rng: &mut Rng) -> Vec<u8> {
    let context_byte = rng.byte();
    let context = PropertyContext::ALL[usize::from(context_byte) % PropertyContext::ALL.len()];
    let mut list = Vec::new();
    for _ in 0..rng.below(8) {
        let property = if rng.below(8) == 0 {
            PropertyId::ALL[rng.below(PropertyId::ALL.len())]
        } else {
            let allowed: Vec<_> = PropertyId::ALL
                .into_iter()
                .filter(|p| p.allowed_in(context))
                .collect();
            allowed[rng.below(allowed.len())]
        };
        list.push(property.wire() as u8);
        let small = |rng: &mut Rng| {
            if rng.below(8) == 0 {
                rng.byte()
            } else {
                rng.byte() % 2
            }
        };
        let text = |rng: &mut Rng| -> Vec<u8> {
            match rng.below(6) {
                0 => rng.bytes(6).to_vec(),
                1 => "é/🙂".into(),
                2 => "a/+".into(),
                _ => format!("t{}", rng.below(100)).into_bytes(),
            }
        };
        let prefixed = |out: &mut Vec<u8>, bytes: Vec<u8>| {
            out.extend((bytes.len() as u16).to_be_bytes());
            out.extend(bytes);
        };
        match property.wire_type() {
            WireType::Byte => list.push(small(rng)),
            WireType::TwoByteInteger => list.extend([small(rng), rng.byte()]),
            WireType::FourByteInteger => list.extend(rng.next_u64().to_be_bytes()[..4].iter()),
            WireType::VariableByteInteger => {
                let bits = 7 * (1 + rng.below(4));
                put_var_int(&mut list, rng.below(1 << bits))
            }
            WireType::Utf8String => prefixed(&mut list, text(rng)),
            WireType::BinaryData => prefixed(&mut list, rng.bytes(8).to_vec()),
            WireType::Utf8StringPair => {
                prefixed(&mut list, text(rng));
                prefixed(&mut list, text(rng));
            }
        }
    }
    let mut out = vec![context_byte];
    put_var_int(&mut out, list.len());
    out.extend(list);
    match rng.below(6) {
        0 if out.len() > 1 => {
            let i = 1 + rng.below(out.len() - 1);
            out[i] = rng.byte();
        }
        1 => out.truncate(1 + rng.below(out.len())),
        2 => out.extend(rng.bytes(4)),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_target_smoke() {
        let mut rng = Rng::new(11);
        let mut decoded = 0;
        for _ in 0..30_000 {
            let input = properties_input(&mut rng);
            properties(&input);
            let context = PropertyContext::ALL[usize::from(input[0]) % PropertyContext::ALL.len()];
            decoded += usize::from(
                Properties::decode(&mut Bytes::from(input[1..].to_vec()), context).is_ok(),
            );
        }
        // The generator reaches the success path, not only the error paths.
        assert!(decoded > 3_000, "only {decoded} inputs decoded");
    }
}

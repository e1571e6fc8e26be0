//! The fixed header: type, flags and the variable-length "remaining length" (MQTT 3.1.1 section 2.2).
//!
//! Everything the decoder can reject without the body is rejected here, so a bad or oversized packet fails
//! as soon as its first few bytes arrive instead of after the peer has sent (and we have buffered) the rest.

use bytes::BufMut;

use super::error::{DecodeError, MAX_REMAINING_LEN};
use super::packet::ProtocolVersion;
use super::packet_type::{PacketType, RemainingLen};

/// A remaining length occupies at most 4 bytes.
const MAX_REMAINING_LEN_BYTES: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FixedHeader {
    pub packet_type: PacketType,
    /// Low nibble of the first byte; only PUBLISH gives it meaning (DUP, QoS, RETAIN).
    pub flags: u8,
    pub remaining_len: usize,
    /// First byte plus the remaining-length bytes.
    pub header_len: usize,
}

impl FixedHeader {
    pub fn packet_len(&self) -> usize {
        self.header_len + self.remaining_len
    }
}

/// Parses the fixed header at the start of `buf` without consuming it. `Ok(None)` means more bytes are needed.
pub(crate) fn parse_fixed_header(
    buf: &[u8],
    version: ProtocolVersion,
) -> Result<Option<FixedHeader>, DecodeError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let packet_type = PacketType::from_wire(first >> 4)
        .filter(|packet_type| packet_type.exists_in(version))
        .ok_or(DecodeError::ReservedPacketType(first >> 4))?;
    let flags = first & 0x0F;
    check_flags(packet_type, flags)?;

    let Some((remaining_len, len_bytes)) = parse_remaining_length(&buf[1..])? else {
        return Ok(None);
    };
    if let Some(rule) = packet_type.remaining_len_rule(version) {
        match rule {
            _ if rule.admits(remaining_len) => {}
            RemainingLen::Exactly(expected) => {
                return Err(DecodeError::InvalidRemainingLength {
                    packet: packet_type,
                    expected,
                    actual: remaining_len,
                })
            }
            RemainingLen::AtLeast(minimum) => {
                return Err(DecodeError::RemainingLengthTooShort {
                    packet: packet_type,
                    minimum,
                    actual: remaining_len,
                })
            }
        }
    }
    Ok(Some(FixedHeader {
        packet_type,
        flags,
        remaining_len,
        header_len: 1 + len_bytes,
    }))
}

fn check_flags(packet_type: PacketType, flags: u8) -> Result<(), DecodeError> {
    match packet_type.required_flags() {
        Some(required) if flags != required => Err(DecodeError::InvalidFlags {
            packet: packet_type,
            flags,
        }),
        Some(_) => Ok(()),
        None => {
            // PUBLISH: bit 3 DUP, bits 2-1 QoS, bit 0 RETAIN.
            let qos = (flags >> 1) & 0b11;
            let dup = flags & 0b1000 != 0;
            if qos == 3 {
                Err(DecodeError::InvalidQoS {
                    packet: PacketType::Publish,
                    qos,
                })
            } else if dup && qos == 0 {
                Err(DecodeError::DupOnQoS0)
            } else {
                Ok(())
            }
        }
    }
}

/// Decodes a remaining length: 7 bits per byte, least significant first, high bit = "more bytes follow".
/// Returns the value and how many bytes it took, or `Ok(None)` if `bytes` ends mid-encoding.
/// Non-minimal encodings (e.g. `0x80 0x00` for 0) are accepted: MQTT 3.1.1 does not forbid them.
pub(crate) fn parse_remaining_length(bytes: &[u8]) -> Result<Option<(usize, usize)>, DecodeError> {
    let mut value = 0usize;
    for (index, &byte) in bytes.iter().take(MAX_REMAINING_LEN_BYTES).enumerate() {
        value |= usize::from(byte & 0x7F) << (7 * index);
        if byte & 0x80 == 0 {
            return Ok(Some((value, index + 1)));
        }
    }
    if bytes.len() >= MAX_REMAINING_LEN_BYTES {
        Err(DecodeError::MalformedRemainingLength)
    } else {
        Ok(None)
    }
}

/// How many bytes `put_remaining_length` writes for `len` (which must be at most `MAX_REMAINING_LEN`).
pub(crate) fn remaining_length_len(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// Writes `len` as a remaining length. The caller has checked `len <= MAX_REMAINING_LEN`.
pub(crate) fn put_remaining_length(out: &mut impl BufMut, mut len: usize) {
    debug_assert!(len <= MAX_REMAINING_LEN);
    loop {
        let low_bits = (len & 0x7F) as u8;
        len >>= 7;
        if len == 0 {
            out.put_u8(low_bits);
            return;
        }
        out.put_u8(low_bits | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_fixed_header_v311(buf: &[u8]) -> Result<Option<FixedHeader>, DecodeError> {
        parse_fixed_header(buf, ProtocolVersion::V311)
    }

    /// (value, its minimal encoding) at every boundary where the encoding grows.
    const BOUNDARIES: [(usize, &[u8]); 9] = [
        (0, &[0x00]),
        (127, &[0x7F]),
        (128, &[0x80, 0x01]),
        (16_383, &[0xFF, 0x7F]),
        (16_384, &[0x80, 0x80, 0x01]),
        (2_097_151, &[0xFF, 0xFF, 0x7F]),
        (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
        (268_435_455, &[0xFF, 0xFF, 0xFF, 0x7F]),
        (321, &[0xC1, 0x02]), // the specification's worked example
    ];

    #[test]
    fn remaining_length_encodes_each_boundary_in_the_minimal_number_of_bytes() {
        for (value, wire) in BOUNDARIES {
            let mut out = Vec::new();
            put_remaining_length(&mut out, value);
            assert_eq!(out, wire, "{value}");
            assert_eq!(remaining_length_len(value), wire.len(), "{value}");
        }
    }

    #[test]
    fn remaining_length_decodes_each_boundary_and_reports_its_size() {
        for (value, wire) in BOUNDARIES {
            assert_eq!(
                parse_remaining_length(wire),
                Ok(Some((value, wire.len()))),
                "{value}"
            );
        }
    }

    #[test]
    fn remaining_length_cut_short_asks_for_more_bytes() {
        assert_eq!(parse_remaining_length(&[]), Ok(None));
        assert_eq!(parse_remaining_length(&[0x80]), Ok(None));
        assert_eq!(parse_remaining_length(&[0xFF, 0xFF, 0xFF]), Ok(None));
    }

    #[test]
    fn remaining_length_with_a_fifth_byte_is_malformed() {
        assert_eq!(
            parse_remaining_length(&[0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
            Err(DecodeError::MalformedRemainingLength)
        );
        // Malformed as soon as the fourth byte says "more follows", without waiting for a fifth.
        assert_eq!(
            parse_remaining_length(&[0x80, 0x80, 0x80, 0x80]),
            Err(DecodeError::MalformedRemainingLength)
        );
    }

    #[test]
    fn remaining_length_accepts_non_minimal_encodings() {
        assert_eq!(parse_remaining_length(&[0x80, 0x00]), Ok(Some((0, 2))));
    }

    #[test]
    fn fixed_header_reports_type_flags_and_lengths() {
        let header = parse_fixed_header_v311(&[0x3D, 0x80, 0x01])
            .unwrap()
            .unwrap();
        assert_eq!(
            header,
            FixedHeader {
                packet_type: PacketType::Publish,
                flags: 0x0D,
                remaining_len: 128,
                header_len: 3
            }
        );
        assert_eq!(header.packet_len(), 131);
    }

    #[test]
    fn fixed_header_rejects_the_first_byte_before_the_length_arrives() {
        assert_eq!(
            parse_fixed_header_v311(&[0x00]),
            Err(DecodeError::ReservedPacketType(0))
        );
        assert_eq!(
            parse_fixed_header_v311(&[0xF0]),
            Err(DecodeError::ReservedPacketType(15))
        );
        assert_eq!(
            parse_fixed_header_v311(&[0x90 | 0x01]),
            Err(DecodeError::InvalidFlags {
                packet: PacketType::SubAck,
                flags: 1
            })
        );
        assert_eq!(
            parse_fixed_header_v311(&[0x36]),
            Err(DecodeError::InvalidQoS {
                packet: PacketType::Publish,
                qos: 3
            })
        );
        assert_eq!(
            parse_fixed_header_v311(&[0x38]),
            Err(DecodeError::DupOnQoS0)
        );
    }
}

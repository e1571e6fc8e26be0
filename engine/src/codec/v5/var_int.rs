//! Variable byte integers inside a packet body (property lengths, property identifiers, Subscription
//! Identifiers). MQTT 5 requires the shortest encoding [MQTT-1.5.5-1], so unlike the fixed header's
//! remaining length (which 3.1.1 let be padded) a padded one here is an error. Encoding reuses the fixed
//! header's writer, which always writes the shortest form.

use bytes::{Buf, Bytes};

use super::super::error::MAX_REMAINING_LEN;
use super::super::fixed_header::{parse_remaining_length, remaining_length_len};

pub(crate) use super::super::fixed_header::put_remaining_length as put;

/// The largest value four bytes can hold.
pub const MAX: u32 = MAX_REMAINING_LEN as u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VarIntError {
    /// The bytes end before the last byte (one without the continuation bit).
    Truncated,
    /// The fourth byte has its continuation bit set.
    TooLong,
    /// Padded with continuation bytes that add nothing [MQTT-1.5.5-1].
    NotShortest,
}

/// Takes a variable byte integer from the front of `buf`; on error `buf` is left as it was.
pub(crate) fn read(buf: &mut Bytes) -> Result<u32, VarIntError> {
    let (value, len) = parse_remaining_length(buf)
        .map_err(|_| VarIntError::TooLong)?
        .ok_or(VarIntError::Truncated)?;
    if len != remaining_length_len(value) {
        return Err(VarIntError::NotShortest);
    }
    buf.advance(len);
    // Cannot truncate: four 7-bit groups.
    Ok(value as u32)
}

/// How many bytes `put` writes for `value`.
pub(crate) fn len(value: u32) -> usize {
    remaining_length_len(value as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_specification_boundaries_and_consumes_only_the_integer() {
        // Table 1-1 of the specification: the smallest and largest value of each length.
        for (value, wire) in [
            (0, &[0x00][..]),
            (127, &[0x7F]),
            (128, &[0x80, 0x01]),
            (16_383, &[0xFF, 0x7F]),
            (16_384, &[0x80, 0x80, 0x01]),
            (2_097_151, &[0xFF, 0xFF, 0x7F]),
            (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
            (MAX, &[0xFF, 0xFF, 0xFF, 0x7F]),
        ] {
            let mut buf = Bytes::from([wire, &[0xAA]].concat());
            assert_eq!(read(&mut buf), Ok(value), "{wire:02x?}");
            assert_eq!(&buf[..], &[0xAA]);
            let mut out = Vec::new();
            put(&mut out, value as usize);
            assert_eq!(out, wire);
            assert_eq!(len(value), wire.len());
        }
    }

    #[test]
    fn rejects_cut_short_overlong_and_padded_encodings_without_consuming() {
        for (wire, error) in [
            (&[][..], VarIntError::Truncated),
            (&[0x80], VarIntError::Truncated),
            (&[0xFF, 0xFF, 0xFF], VarIntError::Truncated),
            (&[0xFF, 0xFF, 0xFF, 0xFF, 0x01], VarIntError::TooLong),
            (&[0x80, 0x00], VarIntError::NotShortest),
            (&[0x81, 0x80, 0x00], VarIntError::NotShortest),
        ] {
            let mut buf = Bytes::copy_from_slice(wire);
            assert_eq!(read(&mut buf), Err(error), "{wire:02x?}");
            assert_eq!(buf.len(), wire.len());
        }
    }
}

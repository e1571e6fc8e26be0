//! Bounds-checked reads from one packet's body. Every read checks the bytes left inside the declared
//! remaining length first, so a lying length is a `Truncated` error, never an out-of-bounds read or a panic.

use bytes::{Buf, Bytes};

use super::error::{DecodeError, Field};
use super::packet::PacketId;
use super::packet_type::PacketType;
use super::shared_str::SharedStr;
use super::v5::{Properties, PropertyContext};

pub(crate) struct Reader {
    /// The unread part of the body: a slice of the caller's read buffer, so byte fields are taken from it
    /// without copying.
    body: Bytes,
    packet: PacketType,
}

impl Reader {
    pub fn new(body: Bytes, packet: PacketType) -> Self {
        Reader { body, packet }
    }

    pub fn is_empty(&self) -> bool {
        self.body.is_empty()
    }

    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        self.ensure(1)?;
        Ok(self.body.get_u8())
    }

    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        self.ensure(2)?;
        Ok(self.body.get_u16())
    }

    /// A packet identifier, which is never 0 on the wire [MQTT-2.3.1-1].
    pub fn packet_id(&mut self) -> Result<PacketId, DecodeError> {
        match self.u16()? {
            0 => Err(DecodeError::PacketIdZero {
                packet: self.packet,
            }),
            id => Ok(id),
        }
    }

    /// Length-prefixed binary data, zero-copy.
    pub fn binary(&mut self) -> Result<Bytes, DecodeError> {
        let len = self.prefixed_len()?;
        Ok(self.body.split_to(len))
    }

    /// A length-prefixed UTF-8 string kept as bytes (zero-copy), validated like `string`.
    pub fn string_bytes(&mut self, field: Field) -> Result<Bytes, DecodeError> {
        let len = self.prefixed_len()?;
        check_mqtt_string(&self.body[..len], field)?;
        Ok(self.body.split_to(len))
    }

    /// Like `string`, sharing the packet's bytes instead of copying them.
    pub fn shared_string(&mut self, field: Field) -> Result<SharedStr, DecodeError> {
        let bytes = self.string_bytes(field)?;
        // Cannot fail: `string_bytes` checked the UTF-8.
        SharedStr::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8 { field })
    }

    /// A length-prefixed UTF-8 string: well-formed [MQTT-1.5.3-1] and without U+0000 [MQTT-1.5.3-2].
    pub fn string(&mut self, field: Field) -> Result<String, DecodeError> {
        let len = self.prefixed_len()?;
        let text = check_mqtt_string(&self.body[..len], field)?.to_owned();
        self.body.advance(len);
        Ok(text)
    }

    /// An MQTT 5 property list (its length, then the properties), checked by the `v5` codec's rules for
    /// where it sits; byte values share the packet's memory.
    pub fn properties(&mut self, context: PropertyContext) -> Result<Properties, DecodeError> {
        Ok(Properties::decode(&mut self.body, context)?)
    }

    /// Everything left in the body (the PUBLISH payload), zero-copy.
    pub fn rest(&mut self) -> Bytes {
        std::mem::take(&mut self.body)
    }

    /// Fails if the remaining length declared more bytes than the packet's fields used.
    pub fn finish(self) -> Result<(), DecodeError> {
        match self.body.len() {
            0 => Ok(()),
            count => Err(DecodeError::TrailingBytes {
                packet: self.packet,
                count,
            }),
        }
    }

    /// Reads a two-byte length and checks that many bytes follow it.
    fn prefixed_len(&mut self) -> Result<usize, DecodeError> {
        let len = usize::from(self.u16()?);
        self.ensure(len)?;
        Ok(len)
    }

    fn ensure(&self, len: usize) -> Result<(), DecodeError> {
        if self.body.len() < len {
            Err(DecodeError::Truncated {
                packet: self.packet,
            })
        } else {
            Ok(())
        }
    }
}

fn check_mqtt_string(bytes: &[u8], field: Field) -> Result<&str, DecodeError> {
    let text = std::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8 { field })?;
    if bytes.contains(&0) {
        return Err(DecodeError::NullCharacter { field });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(bytes: &'static [u8]) -> Reader {
        Reader::new(Bytes::from_static(bytes), PacketType::Publish)
    }

    #[test]
    fn reads_past_the_body_are_truncation_errors() {
        let truncated = DecodeError::Truncated {
            packet: PacketType::Publish,
        };
        assert_eq!(reader(&[]).u8(), Err(truncated.clone()));
        assert_eq!(reader(&[1]).u16(), Err(truncated.clone()));
        // Declares 5 bytes, has 2.
        assert_eq!(reader(&[0, 5, b'a', b'b']).binary(), Err(truncated.clone()));
        assert_eq!(
            reader(&[0, 5, b'a', b'b']).string(Field::PublishTopic),
            Err(truncated)
        );
    }

    #[test]
    fn strings_must_be_well_formed_utf8_without_null() {
        assert_eq!(
            reader(&[0, 2, 0xC3, 0x28]).string(Field::PublishTopic),
            Err(DecodeError::InvalidUtf8 {
                field: Field::PublishTopic
            })
        );
        // U+D800 encoded as if it were a scalar value (CESU-style): ill-formed per RFC 3629.
        assert_eq!(
            reader(&[0, 3, 0xED, 0xA0, 0x80]).string(Field::PublishTopic),
            Err(DecodeError::InvalidUtf8 {
                field: Field::PublishTopic
            })
        );
        assert_eq!(
            reader(&[0, 3, b'a', 0, b'b']).string_bytes(Field::Username),
            Err(DecodeError::NullCharacter {
                field: Field::Username
            })
        );
        assert_eq!(
            reader(&[0, 2, 0xC3, 0xA9]).string(Field::PublishTopic),
            Ok("é".into())
        );
    }

    #[test]
    fn binary_fields_are_slices_of_the_body_not_copies() {
        let body = Bytes::from_static(&[0, 3, 1, 2, 3, 9]);
        let start = body.as_ptr() as usize;
        let mut reader = Reader::new(body, PacketType::Connect);
        let field = reader.binary().unwrap();
        assert_eq!(&field[..], &[1, 2, 3]);
        assert_eq!(field.as_ptr() as usize, start + 2);
        assert_eq!(
            reader.finish(),
            Err(DecodeError::TrailingBytes {
                packet: PacketType::Connect,
                count: 1
            })
        );
    }
}

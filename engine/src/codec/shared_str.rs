//! `SharedStr`: a UTF-8 string over shared bytes. A topic decoded from a
//! PUBLISH is a slice of the read buffer, and a topic from a publish batch a
//! slice of the batch: no allocation and no copy per message (a `String` per
//! topic was the largest allocator cost of receiving 64-byte messages).

use std::fmt;
use std::ops::Deref;
use std::str::Utf8Error;

use bytes::Bytes;

/// Always valid UTF-8 (every constructor checks or starts from a `str`).
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SharedStr(Bytes);

impl SharedStr {
    pub fn from_utf8(bytes: Bytes) -> Result<Self, Utf8Error> {
        std::str::from_utf8(&bytes)?;
        Ok(SharedStr(bytes))
    }

    pub fn as_str(&self) -> &str {
        // SAFETY: the bytes were checked (`from_utf8`) or came from a `str`,
        // and `Bytes` is immutable.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }
}

impl Deref for SharedStr {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for SharedStr {
    fn from(text: String) -> Self {
        SharedStr(Bytes::from(text))
    }
}

impl From<&str> for SharedStr {
    fn from(text: &str) -> Self {
        SharedStr(Bytes::copy_from_slice(text.as_bytes()))
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_the_bytes_it_was_made_from() {
        let buffer = Bytes::from_static(b"a/b/c");
        let topic = SharedStr::from_utf8(buffer.slice(2..)).unwrap();
        assert_eq!(topic, "b/c");
        assert_eq!(topic.as_ptr(), buffer[2..].as_ptr(), "no copy");
        assert_eq!(format!("{topic:?} {topic}"), "\"b/c\" b/c");
    }

    #[test]
    fn refuses_ill_formed_utf8() {
        assert!(SharedStr::from_utf8(Bytes::from_static(&[0xC3, 0x28])).is_err());
        assert_eq!(SharedStr::from(String::from("é")).len(), 2);
    }
}

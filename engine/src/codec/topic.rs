//! Topic name and topic filter rules (MQTT 3.1.1 section 4.7). The decoder applies them to inbound
//! packets; the session and the JS binding call them before sending, because `encode` does not.

use super::error::TopicError;

/// Strings are length-prefixed with two bytes on the wire.
const MAX_TOPIC_LEN: usize = u16::MAX as usize;

/// A topic name, as in PUBLISH and the CONNECT will: non-empty, at most 65535 bytes, no U+0000, no wildcards.
/// UTF-8 validity is given by `&str`.
pub fn validate_topic_name(topic: &str) -> Result<(), TopicError> {
    check_length(topic)?;
    // One pass over the bytes: all three characters are ASCII, so they cannot occur inside a multi-byte
    // UTF-8 sequence. This runs for every inbound PUBLISH.
    for &byte in topic.as_bytes() {
        match byte {
            b'+' | b'#' => return Err(TopicError::WildcardInName),
            0 => return Err(TopicError::NullCharacter),
            _ => {}
        }
    }
    Ok(())
}

/// A topic filter, as in SUBSCRIBE and UNSUBSCRIBE: non-empty, at most 65535 bytes, no U+0000, '#' only as
/// the whole last level, '+' only as a whole level.
pub fn validate_topic_filter(filter: &str) -> Result<(), TopicError> {
    check_length(filter)?;
    if filter.as_bytes().contains(&0) {
        return Err(TopicError::NullCharacter);
    }
    let mut levels = filter.split('/').peekable();
    while let Some(level) = levels.next() {
        let is_last = levels.peek().is_none();
        if level.contains('#') && (level != "#" || !is_last) {
            return Err(TopicError::MisplacedMultiLevelWildcard);
        }
        if level.contains('+') && level != "+" {
            return Err(TopicError::MisplacedSingleLevelWildcard);
        }
    }
    Ok(())
}

fn check_length(topic: &str) -> Result<(), TopicError> {
    match topic.len() {
        0 => Err(TopicError::Empty),
        len if len > MAX_TOPIC_LEN => Err(TopicError::TooLong { len }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_accept_ordinary_levels_including_empty_ones_and_unicode() {
        for topic in [
            "a",
            "a/b/c",
            "/",
            "/a",
            "a/",
            "a//b",
            "$SYS/broker",
            "température/°C",
            " ",
        ] {
            assert_eq!(validate_topic_name(topic), Ok(()), "{topic:?}");
        }
    }

    #[test]
    fn topic_names_reject_empty_wildcards_null_and_overlong() {
        assert_eq!(validate_topic_name(""), Err(TopicError::Empty));
        assert_eq!(validate_topic_name("a/+"), Err(TopicError::WildcardInName));
        assert_eq!(validate_topic_name("a/#"), Err(TopicError::WildcardInName));
        assert_eq!(validate_topic_name("a+b"), Err(TopicError::WildcardInName));
        assert_eq!(validate_topic_name("a\0b"), Err(TopicError::NullCharacter));
        let longest = "x".repeat(65535);
        assert_eq!(validate_topic_name(&longest), Ok(()));
        assert_eq!(
            validate_topic_name(&"x".repeat(65536)),
            Err(TopicError::TooLong { len: 65536 })
        );
    }

    #[test]
    fn topic_filters_accept_wildcards_that_occupy_whole_levels() {
        for filter in [
            "#",
            "+",
            "a/#",
            "a/+/b",
            "+/+",
            "/+",
            "+/",
            "/#",
            "a//#",
            "sport/tennis/+",
            "a",
        ] {
            assert_eq!(validate_topic_filter(filter), Ok(()), "{filter:?}");
        }
    }

    #[test]
    fn topic_filters_reject_hash_that_is_not_the_whole_last_level() {
        for filter in ["a#", "#/a", "a/#/b", "a/b#", "##", "#+"] {
            assert_eq!(
                validate_topic_filter(filter),
                Err(TopicError::MisplacedMultiLevelWildcard),
                "{filter:?}"
            );
        }
    }

    #[test]
    fn topic_filters_reject_plus_sharing_a_level() {
        for filter in ["a+", "+a", "a/b+/c", "++"] {
            assert_eq!(
                validate_topic_filter(filter),
                Err(TopicError::MisplacedSingleLevelWildcard),
                "{filter:?}"
            );
        }
    }

    #[test]
    fn topic_filters_reject_empty_null_and_overlong() {
        assert_eq!(validate_topic_filter(""), Err(TopicError::Empty));
        assert_eq!(
            validate_topic_filter("a/\0"),
            Err(TopicError::NullCharacter)
        );
        assert_eq!(
            validate_topic_filter(&"x".repeat(65536)),
            Err(TopicError::TooLong { len: 65536 })
        );
    }
}

//! MQTT 5 Topic Aliases (section 3.3.2.3.4): a number that stands for a topic name on one network
//! connection, in each direction separately. Both maps start empty on every connection
//! ([MQTT-3.3.2-7]): the session replaces them on each CONNACK and never resends a stored publish
//! with an alias (the stored copy keeps its whole topic), so nothing relies on an old connection's map.
//!
//! Inbound, the broker may use aliases 1..=our Topic Alias Maximum (CONNECT property, 0 = none); a
//! PUBLISH with a topic and an alias sets the alias, one with an empty topic uses it. Outbound, the
//! broker's CONNACK Topic Alias Maximum bounds ours; besides aliases the application names itself,
//! MQTT.js's `autoUseTopicAlias` (send an alias already set for the topic) and `autoAssignTopicAlias`
//! (also set one: the lowest never-used alias, then the least recently used) are applied here.

use std::collections::{BTreeMap, HashMap};

use super::error::{CommandError, ProtocolViolation};
use crate::codec::SharedStr;

/// The aliases the broker set on this connection.
#[derive(Debug, Default)]
pub(super) struct InboundAliases {
    /// Our Topic Alias Maximum, as sent in CONNECT.
    max: u16,
    topics: HashMap<u16, SharedStr>,
}

impl InboundAliases {
    pub(super) fn new(max: u16) -> Self {
        InboundAliases {
            max,
            topics: HashMap::new(),
        }
    }

    /// Forgets every alias: a new connection starts with none.
    pub(super) fn clear(&mut self) {
        self.topics = HashMap::new();
    }

    /// Applies a received PUBLISH's alias: an empty `topic` becomes the one the alias stands for, a
    /// non-empty one (re)defines the alias. MQTT.js's wording and reason codes.
    pub(super) fn resolve(
        &mut self,
        topic: &mut SharedStr,
        alias: u16,
    ) -> Result<(), ProtocolViolation> {
        if self.max == 0 {
            return Err(ProtocolViolation::TopicAliasNotAllowed { alias });
        }
        if alias == 0 || alias > self.max {
            return Err(ProtocolViolation::TopicAliasOutOfRange {
                alias,
                max: self.max,
            });
        }
        if topic.is_empty() {
            match self.topics.get(&alias) {
                Some(known) => *topic = known.clone(),
                None => return Err(ProtocolViolation::UnknownTopicAlias { alias }),
            }
        } else {
            self.topics.insert(alias, topic.clone());
        }
        Ok(())
    }
}

/// How a publish goes out under the outbound alias rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Aliased {
    /// No alias: the topic as it is.
    No,
    /// The topic and this alias, which now stands for it.
    Set(u16),
    /// An empty topic and this alias, already standing for the topic.
    Use(u16),
}

/// The aliases we set on this connection, capped by the broker's Topic Alias Maximum.
#[derive(Debug, Default)]
pub(super) struct OutboundAliases {
    /// The broker's Topic Alias Maximum from the CONNACK (0: we may send none).
    max: u16,
    auto_use: bool,
    auto_assign: bool,
    /// Index = alias - 1; grown as aliases are used (a broker may allow 65,535).
    slots: Vec<Option<Slot>>,
    by_topic: HashMap<SharedStr, u16>,
    /// Last use → alias, oldest first: the alias `auto_assign` takes over once all are set.
    recency: BTreeMap<u64, u16>,
    clock: u64,
    /// No alias below this is unset (slots are only ever filled, never emptied).
    first_unset: u16,
}

#[derive(Debug)]
struct Slot {
    topic: SharedStr,
    last_used: u64,
}

impl OutboundAliases {
    pub(super) fn new(max: u16, auto_use: bool, auto_assign: bool) -> Self {
        OutboundAliases {
            max,
            auto_use,
            auto_assign,
            first_unset: 1,
            ..OutboundAliases::default()
        }
    }

    /// Whether any publish could go out with an alias: the cheap test the hot path makes.
    pub(super) fn is_active(&self) -> bool {
        self.max > 0
    }

    /// The topic an alias the application names stands for, checking the alias is one we may send.
    /// `topic` empty: the alias must be set already ("Unregistered Topic Alias", as MQTT.js).
    pub(super) fn check_explicit(
        &self,
        topic: &SharedStr,
        alias: u16,
    ) -> Result<SharedStr, CommandError> {
        if alias == 0 || alias > self.max {
            return Err(CommandError::TopicAliasOutOfRange {
                alias,
                max: self.max,
            });
        }
        if !topic.is_empty() {
            return Ok(topic.clone());
        }
        self.slot(alias)
            .map(|slot| slot.topic.clone())
            .ok_or(CommandError::UnregisteredTopicAlias { alias })
    }

    /// Decides how a publish goes out: with the application's alias (`explicit`, checked by
    /// `check_explicit`), or per `autoAssignTopicAlias` / `autoUseTopicAlias`. `topic` is the
    /// whole topic; `explicit_topic_empty` says the application sent an empty topic with its alias.
    pub(super) fn apply(
        &mut self,
        topic: &SharedStr,
        explicit: Option<u16>,
        explicit_topic_empty: bool,
    ) -> Aliased {
        if let Some(alias) = explicit {
            if alias == 0 || alias > self.max {
                return Aliased::No;
            }
            if explicit_topic_empty {
                self.touch(alias);
                return Aliased::Use(alias);
            }
            self.set(alias, topic.clone());
            return Aliased::Set(alias);
        }
        if self.max == 0 || topic.is_empty() || !(self.auto_use || self.auto_assign) {
            return Aliased::No;
        }
        if let Some(&alias) = self.by_topic.get(topic) {
            self.touch(alias);
            return Aliased::Use(alias);
        }
        if !self.auto_assign {
            return Aliased::No;
        }
        let alias = self.next_to_assign();
        self.set(alias, topic.clone());
        Aliased::Set(alias)
    }

    /// The lowest alias never set, or else the least recently used one.
    fn next_to_assign(&mut self) -> u16 {
        while self.first_unset <= self.max && self.slot(self.first_unset).is_some() {
            self.first_unset += 1;
        }
        if self.first_unset <= self.max {
            return self.first_unset;
        }
        // Every alias is set (max > 0), so `recency` holds them all.
        self.recency
            .first_key_value()
            .map(|(_, alias)| *alias)
            .unwrap_or(1)
    }

    fn slot(&self, alias: u16) -> Option<&Slot> {
        self.slots
            .get(usize::from(alias).wrapping_sub(1))
            .and_then(Option::as_ref)
    }

    fn set(&mut self, alias: u16, topic: SharedStr) {
        let index = usize::from(alias) - 1;
        if self.slots.len() <= index {
            self.slots.resize_with(index + 1, || None);
        }
        self.clock += 1;
        let slot = Slot {
            topic: topic.clone(),
            last_used: self.clock,
        };
        if let Some(old) = self.slots[index].replace(slot) {
            self.recency.remove(&old.last_used);
            // The old topic loses its alias, unless it has since been given another one.
            if self.by_topic.get(&old.topic) == Some(&alias) {
                self.by_topic.remove(&old.topic);
            }
        }
        // A topic given a new alias keeps its old one on the broker's side, but we pick the new one.
        self.by_topic.insert(topic, alias);
        self.recency.insert(self.clock, alias);
    }

    fn touch(&mut self, alias: u16) {
        let Some(Some(slot)) = self.slots.get_mut(usize::from(alias) - 1) else {
            return;
        };
        self.clock += 1;
        self.recency.remove(&slot.last_used);
        slot.last_used = self.clock;
        self.recency.insert(self.clock, alias);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(s: &str) -> SharedStr {
        SharedStr::from(s)
    }

    #[test]
    fn inbound_alias_set_by_a_topic_stands_for_it_in_a_later_empty_topic() {
        let mut aliases = InboundAliases::new(10);
        let mut first = topic("a/b");
        aliases.resolve(&mut first, 3).unwrap();
        assert_eq!(first, "a/b");
        let mut later = topic("");
        aliases.resolve(&mut later, 3).unwrap();
        assert_eq!(later, "a/b");
        // Redefined: the alias now stands for the new topic.
        aliases.resolve(&mut topic("c"), 3).unwrap();
        let mut again = topic("");
        aliases.resolve(&mut again, 3).unwrap();
        assert_eq!(again, "c");
    }

    #[test]
    fn inbound_alias_misuse_is_a_protocol_violation_with_mqtt_5_reason_codes() {
        let mut none_allowed = InboundAliases::new(0);
        let error = none_allowed.resolve(&mut topic("a"), 1).unwrap_err();
        assert_eq!(error, ProtocolViolation::TopicAliasNotAllowed { alias: 1 });
        assert_eq!(error.disconnect_reason_code().0, 0x94);

        let mut aliases = InboundAliases::new(5);
        let error = aliases.resolve(&mut topic("a"), 6).unwrap_err();
        assert_eq!(
            error,
            ProtocolViolation::TopicAliasOutOfRange { alias: 6, max: 5 }
        );
        assert_eq!(error.disconnect_reason_code().0, 0x94);
        assert_eq!(
            aliases
                .resolve(&mut topic(""), 0)
                .unwrap_err()
                .disconnect_reason_code()
                .0,
            0x94
        );

        let error = aliases.resolve(&mut topic(""), 2).unwrap_err();
        assert_eq!(error, ProtocolViolation::UnknownTopicAlias { alias: 2 });
        assert_eq!(error.disconnect_reason_code().0, 0x82);
    }

    #[test]
    fn inbound_aliases_are_forgotten_on_clear() {
        let mut aliases = InboundAliases::new(5);
        aliases.resolve(&mut topic("a"), 1).unwrap();
        aliases.clear();
        assert!(aliases.resolve(&mut topic(""), 1).is_err());
    }

    #[test]
    fn outbound_without_a_broker_maximum_never_aliases_and_refuses_explicit_aliases() {
        let mut aliases = OutboundAliases::new(0, true, true);
        assert!(!aliases.is_active());
        assert_eq!(aliases.apply(&topic("a"), None, false), Aliased::No);
        assert_eq!(
            aliases.check_explicit(&topic("a"), 1),
            Err(CommandError::TopicAliasOutOfRange { alias: 1, max: 0 })
        );
    }

    #[test]
    fn outbound_explicit_alias_is_checked_against_the_broker_maximum_and_its_registration() {
        let mut aliases = OutboundAliases::new(3, false, false);
        assert_eq!(
            aliases.check_explicit(&topic("a"), 4),
            Err(CommandError::TopicAliasOutOfRange { alias: 4, max: 3 })
        );
        assert_eq!(
            aliases.check_explicit(&topic(""), 2),
            Err(CommandError::UnregisteredTopicAlias { alias: 2 })
        );
        assert_eq!(aliases.check_explicit(&topic("a"), 2), Ok(topic("a")));
        assert_eq!(aliases.apply(&topic("a"), Some(2), false), Aliased::Set(2));
        assert_eq!(aliases.check_explicit(&topic(""), 2), Ok(topic("a")));
        assert_eq!(aliases.apply(&topic("a"), Some(2), true), Aliased::Use(2));
        // Neither auto option: a topic with an alias set still goes out whole.
        assert_eq!(aliases.apply(&topic("a"), None, false), Aliased::No);
    }

    #[test]
    fn auto_use_sends_an_alias_already_set_and_never_sets_one() {
        let mut aliases = OutboundAliases::new(3, true, false);
        assert_eq!(aliases.apply(&topic("a"), None, false), Aliased::No);
        assert_eq!(aliases.apply(&topic("a"), Some(1), false), Aliased::Set(1));
        assert_eq!(aliases.apply(&topic("a"), None, false), Aliased::Use(1));
        assert_eq!(aliases.apply(&topic("b"), None, false), Aliased::No);
    }

    #[test]
    fn auto_assign_takes_the_lowest_unset_alias_then_the_least_recently_used() {
        let mut aliases = OutboundAliases::new(3, false, true);
        // An alias the application set is skipped.
        assert_eq!(aliases.apply(&topic("x"), Some(2), false), Aliased::Set(2));
        assert_eq!(aliases.apply(&topic("a"), None, false), Aliased::Set(1));
        assert_eq!(aliases.apply(&topic("b"), None, false), Aliased::Set(3));
        assert_eq!(aliases.apply(&topic("a"), None, false), Aliased::Use(1));
        // All set; "x" (2) is the least recently used, then "b" (3).
        assert_eq!(aliases.apply(&topic("c"), None, false), Aliased::Set(2));
        assert_eq!(aliases.apply(&topic("x"), None, false), Aliased::Set(3));
        assert_eq!(aliases.apply(&topic("b"), None, false), Aliased::Set(1));
        // The evicted topics have no alias any more; the new ones do.
        assert_eq!(aliases.apply(&topic("c"), None, false), Aliased::Use(2));
        assert_eq!(aliases.apply(&topic("x"), None, false), Aliased::Use(3));
        assert_eq!(aliases.apply(&topic("b"), None, false), Aliased::Use(1));
    }

    #[test]
    fn auto_assign_with_the_largest_maximum_grows_only_as_far_as_used() {
        let mut aliases = OutboundAliases::new(u16::MAX, false, true);
        for i in 0..100u16 {
            assert_eq!(
                aliases.apply(&topic(&format!("t/{i}")), None, false),
                Aliased::Set(i + 1)
            );
        }
        assert_eq!(aliases.slots.len(), 100);
    }
}

//! The subscriptions to send again after reconnecting to a broker that kept
//! no session.
//!
//! They go out in the order they were first subscribed; subscribing a known
//! filter again changes its QoS and keeps its place (as MQTT.js's
//! `_resubscribeTopics` object does), and takes the new options and MQTT 5
//! properties too (MQTT.js sends them again: nl/rap/rh, a subscription
//! identifier, user properties). A client may hold 100,000 filters or
//! more, and every subscribe, unsubscribe and refused SUBACK touches this set
//! filter by filter: each of those operations must cost O(log n), never a
//! search through the whole set.

use std::collections::{BTreeMap, HashMap};

use crate::codec::{PacketProperties, QoS, SubscribeFilter, SubscriptionOptions};

#[derive(Debug, Default)]
pub struct ResubscribeSet {
    /// Each filter's subscription and its key in `in_order`.
    by_filter: HashMap<String, Entry>,
    /// The filters by the order they were first subscribed in.
    in_order: BTreeMap<u64, String>,
    next_order: u64,
}

#[derive(Debug, Clone)]
struct Entry {
    order: u64,
    qos: QoS,
    options: SubscriptionOptions,
    /// The properties of the SUBSCRIBE that made it (`NONE` in 3.x: no allocation).
    properties: PacketProperties,
}

impl ResubscribeSet {
    pub fn is_empty(&self) -> bool {
        self.by_filter.is_empty()
    }

    /// Adds new filters at the end; a known filter takes the new QoS, options and
    /// properties in place.
    pub fn remember(&mut self, filters: &[SubscribeFilter], properties: &PacketProperties) {
        for filter in filters {
            if let Some(entry) = self.by_filter.get_mut(filter.filter.as_str()) {
                entry.qos = filter.qos;
                entry.options = filter.options;
                entry.properties = properties.clone();
                continue;
            }
            let order = self.next_order;
            self.next_order += 1;
            self.in_order.insert(order, filter.filter.clone());
            self.by_filter.insert(
                filter.filter.clone(),
                Entry {
                    order,
                    qos: filter.qos,
                    options: filter.options,
                    properties: properties.clone(),
                },
            );
        }
    }

    /// Forgets `filter` (unsubscribed, or refused by the broker); unknown ones are ignored.
    pub fn forget(&mut self, filter: &str) {
        if let Some(entry) = self.by_filter.remove(filter) {
            self.in_order.remove(&entry.order);
        }
    }

    /// Every filter with its QoS and options, and the properties it was subscribed
    /// with, in the order they were first subscribed.
    pub fn subscriptions(&self) -> Vec<(SubscribeFilter, PacketProperties)> {
        self.in_order
            .values()
            .map(|filter| {
                let entry = &self.by_filter[filter.as_str()];
                let subscription = SubscribeFilter {
                    filter: filter.clone(),
                    qos: entry.qos,
                    options: entry.options,
                };
                (subscription, entry.properties.clone())
            })
            .collect()
    }

    /// Every filter with its QoS and options, in the order they were first subscribed.
    #[cfg(test)]
    pub fn filters(&self) -> Vec<SubscribeFilter> {
        self.subscriptions()
            .into_iter()
            .map(|(filter, _)| filter)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(filter: &str, qos: QoS) -> SubscribeFilter {
        SubscribeFilter::new(filter, qos)
    }

    #[test]
    fn filters_come_back_in_first_subscribed_order_and_a_repeat_only_changes_the_qos() {
        let mut set = ResubscribeSet::default();
        set.remember(
            &[sub("a", QoS::AtMostOnce), sub("b", QoS::AtLeastOnce)],
            &PacketProperties::NONE,
        );
        set.remember(
            &[sub("c", QoS::AtMostOnce), sub("a", QoS::ExactlyOnce)],
            &PacketProperties::NONE,
        );
        assert_eq!(
            set.filters(),
            vec![
                sub("a", QoS::ExactlyOnce),
                sub("b", QoS::AtLeastOnce),
                sub("c", QoS::AtMostOnce)
            ]
        );
    }

    #[test]
    fn a_forgotten_filter_subscribed_again_goes_to_the_end() {
        let mut set = ResubscribeSet::default();
        set.remember(
            &[sub("a", QoS::AtMostOnce), sub("b", QoS::AtMostOnce)],
            &PacketProperties::NONE,
        );
        set.forget("a");
        set.forget("never-subscribed");
        assert_eq!(set.filters(), vec![sub("b", QoS::AtMostOnce)]);
        set.remember(&[sub("a", QoS::AtLeastOnce)], &PacketProperties::NONE);
        assert_eq!(
            set.filters(),
            vec![sub("b", QoS::AtMostOnce), sub("a", QoS::AtLeastOnce)]
        );
        assert_eq!(set.filters().len(), 2);
    }

    /// 200,000 filters in, half of them out one by one, the rest re-subscribed:
    /// a search of the whole set per filter (the old `Vec`) takes minutes here.
    #[test]
    fn two_hundred_thousand_filters_are_remembered_and_forgotten_without_a_search_per_filter() {
        const N: usize = 200_000;
        let filters: Vec<SubscribeFilter> = (0..N)
            .map(|i| sub(&format!("sensors/{i}/temperature"), QoS::AtLeastOnce))
            .collect();
        let mut set = ResubscribeSet::default();
        for chunk in filters.chunks(1000) {
            set.remember(chunk, &PacketProperties::NONE);
        }
        set.remember(&filters, &PacketProperties::NONE);
        assert_eq!(set.filters().len(), N);
        for filter in filters.iter().step_by(2) {
            set.forget(&filter.filter);
        }
        let left = set.filters();
        assert_eq!(left.len(), N / 2);
        assert_eq!(left[0].filter, "sensors/1/temperature");
        assert_eq!(
            left[N / 2 - 1].filter,
            format!("sensors/{}/temperature", N - 1)
        );
    }
}

//! Inbound QoS 1/2 messages whose acknowledgement waits for the application
//! (manual acks: JS overrode `handleMessage`, and MQTT.js acknowledges only
//! once it calls back; or MQTT 5's `customHandleAcks`, which picks the reason
//! code of a QoS 2 message's PUBREC). Until then the broker still owns the packet id.
//!
//! Each held message remembers the connection it was delivered on: an ack
//! names that connection too, so a late ack can never complete a different
//! message that the broker sent later under the same packet id.

use std::collections::HashMap;

use crate::codec::PacketId;

/// The acknowledgement a held message waits to send.
// Named after the packets, as the protocol names them.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HeldAnswer {
    /// A QoS 1 message.
    PubAck,
    /// A QoS 2 message whose PUBREC carries the application's reason code (MQTT 5).
    PubRec,
    /// A QoS 2 message released by PUBREL.
    PubComp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeldAck {
    answer: HeldAnswer,
    /// The connection (counted from 1 by accepted CONNACKs) the message was delivered on.
    connection: u32,
    /// Deliveries not yet acknowledged: a broker may resend an id we hold on
    /// the same connection (allowed by MQTT 3.1.1), and the ack goes out only
    /// once every copy is handled.
    copies: u32,
}

#[derive(Debug, Default)]
pub(super) struct HeldAcks {
    entries: HashMap<PacketId, HeldAck>,
}

impl HeldAcks {
    /// Records one more delivery of `id` on `connection`. A delivery on a new
    /// connection replaces what was held for an earlier one: that copy's ack
    /// can no longer complete anything.
    pub(super) fn hold(&mut self, id: PacketId, answer: HeldAnswer, connection: u32) {
        let entry = self.entries.entry(id).or_insert(HeldAck {
            answer,
            connection,
            copies: 0,
        });
        if entry.connection != connection {
            *entry = HeldAck {
                answer,
                connection,
                copies: 0,
            };
        }
        entry.answer = answer;
        entry.copies = entry.copies.saturating_add(1);
    }

    /// Messages whose ack waits for the application (each counts against our Receive Maximum).
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(super) fn contains(&self, id: PacketId) -> bool {
        self.entries.contains_key(&id)
    }

    /// The application handled one delivery of `id` made on `connection`.
    /// Returns the answer the message waits for when this was its last copy (it
    /// is due now); `None` when the ack is stale or other copies are still held.
    pub(super) fn release(&mut self, id: PacketId, connection: u32) -> Option<HeldAnswer> {
        let entry = self.entries.get_mut(&id)?;
        if entry.connection != connection {
            return None;
        }
        entry.copies -= 1;
        if entry.copies > 0 {
            return None;
        }
        let answer = entry.answer;
        self.entries.remove(&id);
        Some(answer)
    }

    /// The connection is gone. A QoS 1 message not acknowledged on it is the
    /// broker's to resend (resumed session) or is forgotten (new session):
    /// its PUBACK must not go out on another connection. QoS 2 messages stay:
    /// the broker resends the same PUBLISH (its id stays that message's until
    /// our PUBREC) or PUBREL, our PUBREC or PUBCOMP still answers it, and the
    /// application is not given the message twice.
    pub(super) fn forget_qos1(&mut self) {
        self.entries
            .retain(|_, held| held.answer != HeldAnswer::PubAck);
    }

    /// The broker did not keep the session: nothing held can be acknowledged.
    pub(super) fn clear(&mut self) {
        self.entries.clear();
    }
}

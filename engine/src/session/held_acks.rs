//! Inbound QoS 1/2 messages whose acknowledgement waits for the application
//! (manual acks: JS overrode `handleMessage`, and MQTT.js acknowledges only
//! once it calls back). Until then the broker still owns the packet id.
//!
//! Each held message remembers the connection it was delivered on: an ack
//! names that connection too, so a late ack can never complete a different
//! message that the broker sent later under the same packet id.

use std::collections::HashMap;

use crate::codec::{PacketId, QoS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeldAck {
    qos: QoS,
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
    pub(super) fn hold(&mut self, id: PacketId, qos: QoS, connection: u32) {
        let entry = self.entries.entry(id).or_insert(HeldAck {
            qos,
            connection,
            copies: 0,
        });
        if entry.connection != connection {
            *entry = HeldAck {
                qos,
                connection,
                copies: 0,
            };
        }
        entry.qos = qos;
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
    /// Returns the QoS of the message when this was its last copy (its ack is
    /// due now); `None` when the ack is stale or other copies are still held.
    pub(super) fn release(&mut self, id: PacketId, connection: u32) -> Option<QoS> {
        let entry = self.entries.get_mut(&id)?;
        if entry.connection != connection {
            return None;
        }
        entry.copies -= 1;
        if entry.copies > 0 {
            return None;
        }
        let qos = entry.qos;
        self.entries.remove(&id);
        Some(qos)
    }

    /// The connection is gone. A QoS 1 message not acknowledged on it is the
    /// broker's to resend (resumed session) or is forgotten (new session):
    /// its PUBACK must not go out on another connection. QoS 2 messages stay:
    /// the broker resends only PUBREL, and our PUBCOMP still completes them.
    pub(super) fn forget_qos1(&mut self) {
        self.entries.retain(|_, held| held.qos == QoS::ExactlyOnce);
    }

    /// The broker did not keep the session: nothing held can be acknowledged.
    pub(super) fn clear(&mut self) {
        self.entries.clear();
    }
}

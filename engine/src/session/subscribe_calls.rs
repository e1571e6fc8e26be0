//! Subscribe calls, split into SUBSCRIBE packets and joined back into one
//! completion.
//!
//! MQTT.js's `subscribeBatchSize` sends the filters of one `subscribe()` call
//! as SUBSCRIBE packets of at most that many filters, each with its own packet
//! id, and calls back once:
//! - when every packet is answered: with the QoS granted to each filter, in
//!   the order asked, and the SUBACK of the call's last packet;
//! - or at the first failure, at once: a SUBACK that refuses a filter (it is
//!   reported), or the connection lost with a packet unanswered. Filters whose
//!   SUBACK accepted them before that report their grant, the others the QoS
//!   asked for (what MQTT.js's callback sees).
//!
//! A failed call's other packets are not withdrawn (MQTT.js has sent them all
//! by then): their answers still free their ids and forget refused filters
//! (see `acks`), but report nothing more. The session's own resubscribe after
//! a reconnect is a call like any other, with token 0.
//!
//! This table is the one place a call is split and joined; the session owns
//! the ids, the packets and the events.

use std::collections::HashMap;

use super::{Event, Token};
use crate::codec::{PacketProperties, QoS, SubAck, SubscribeFilter};
use crate::session::CommandError;

/// Names a subscribe call while its packets are out.
pub(super) type CallId = u64;

/// Where a SUBSCRIBE packet's filters sit in its call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CallPart {
    call: CallId,
    /// Index in the call of the packet's first filter.
    offset: usize,
    /// The call's last packet (by filter order, not by answer order): its
    /// SUBACK is the one a successful call reports.
    last: bool,
}

#[derive(Debug, Default)]
pub(super) struct SubscribeCalls {
    calls: HashMap<CallId, Call>,
    next_id: CallId,
}

#[derive(Debug)]
struct Call {
    token: Token,
    /// Most filters per packet.
    batch_size: usize,
    /// Filters not yet in a packet, in call order.
    unsent: std::vec::IntoIter<SubscribeFilter>,
    /// The call's MQTT 5 properties, sent with each of its packets (as MQTT.js does).
    properties: PacketProperties,
    /// Index in the call of the first unsent filter.
    next_offset: usize,
    /// What the callback reports for each filter: the QoS asked, replaced by
    /// the grant when an accepting SUBACK answers it.
    granted: Vec<QoS>,
    /// Packets made and not yet answered or failed.
    unanswered: usize,
    /// The last packet's SUBACK, once it accepted every filter.
    last_suback: Option<SubAck>,
    /// The completion has been reported (a failure): later answers report nothing.
    reported: bool,
}

impl Call {
    fn is_finished(&self) -> bool {
        self.unanswered == 0 && self.unsent.len() == 0
    }

    fn completion(&self, result: Result<SubAck, CommandError>) -> Event {
        Event::Subscribed {
            token: self.token,
            granted: self.granted.clone(),
            result,
        }
    }
}

impl SubscribeCalls {
    /// Registers a call of `filters` (at least one), to go out in packets of
    /// at most `batch_size` filters (`None` or 0: all in one packet).
    pub(super) fn open(
        &mut self,
        token: Token,
        filters: Vec<SubscribeFilter>,
        properties: PacketProperties,
        batch_size: Option<usize>,
    ) -> CallId {
        let id = self.next_id;
        self.next_id += 1;
        let batch_size = batch_size
            .filter(|size| *size > 0)
            .unwrap_or(filters.len())
            .max(1);
        let granted = filters.iter().map(|filter| filter.qos).collect();
        self.calls.insert(
            id,
            Call {
                token,
                batch_size,
                unsent: filters.into_iter(),
                properties,
                next_offset: 0,
                granted,
                unanswered: 0,
                last_suback: None,
                reported: false,
            },
        );
        id
    }

    /// No call is open (every one has settled and let go of its packets).
    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// True while `call` has filters not yet in a packet.
    pub(super) fn has_unsent(&self, call: CallId) -> bool {
        self.calls
            .get(&call)
            .is_some_and(|call| call.unsent.len() > 0)
    }

    /// The next packet's filters and properties (the caller has a packet id
    /// for it), and its place in the call; `None` once every filter has gone.
    pub(super) fn next_packet(
        &mut self,
        call_id: CallId,
    ) -> Option<(CallPart, Vec<SubscribeFilter>, PacketProperties)> {
        let call = self.calls.get_mut(&call_id)?;
        let filters: Vec<SubscribeFilter> = call.unsent.by_ref().take(call.batch_size).collect();
        if filters.is_empty() {
            return None;
        }
        let part = CallPart {
            call: call_id,
            offset: call.next_offset,
            last: call.unsent.len() == 0,
        };
        call.next_offset += filters.len();
        call.unanswered += 1;
        if call.unsent.len() == 0 {
            // Give back the call's filter buffer now, not when its last answer comes.
            call.unsent = Vec::new().into_iter();
        }
        Some((part, filters, call.properties.clone()))
    }

    /// A SUBACK (as many codes as `part` has filters) answered `part`.
    /// Returns the call's completion when this answer settles it.
    pub(super) fn answered(&mut self, part: CallPart, suback: SubAck) -> Option<Event> {
        let call = self.calls.get_mut(&part.call)?;
        call.unanswered -= 1;
        let mut completion = None;
        if !call.reported {
            let refused = suback
                .reason_codes
                .iter()
                .any(|code| code.granted_qos().is_none());
            if refused {
                call.reported = true;
                completion = Some(call.completion(Ok(suback)));
            } else {
                let granted = suback.reason_codes.iter().map(|code| code.granted_qos());
                for (slot, qos) in call.granted[part.offset..].iter_mut().zip(granted) {
                    *slot = qos.unwrap_or(*slot);
                }
                if part.last {
                    call.last_suback = Some(suback);
                }
            }
        }
        self.settle_if_finished(part.call, completion)
    }

    /// `part` will not be answered (the connection closed, or the client did).
    pub(super) fn failed(&mut self, part: CallPart, error: CommandError) -> Option<Event> {
        let call = self.calls.get_mut(&part.call)?;
        call.unanswered -= 1;
        let completion = Self::fail(call, error);
        self.settle_if_finished(part.call, completion)
    }

    /// The client closed for good: what `call` had not sent yet never will be.
    pub(super) fn drop_unsent(&mut self, call_id: CallId, error: CommandError) -> Option<Event> {
        let call = self.calls.get_mut(&call_id)?;
        call.unsent = Vec::new().into_iter();
        let completion = Self::fail(call, error);
        self.settle_if_finished(call_id, completion)
    }

    /// The call's failure, unless it has already reported.
    fn fail(call: &mut Call, error: CommandError) -> Option<Event> {
        if call.reported {
            return None;
        }
        call.reported = true;
        Some(call.completion(Err(error)))
    }

    /// Forgets a call with nothing left out; a call not yet reported reports
    /// its success now, with the last packet's SUBACK.
    fn settle_if_finished(&mut self, call_id: CallId, completion: Option<Event>) -> Option<Event> {
        if !self.calls.get(&call_id)?.is_finished() {
            return completion;
        }
        let call = self.calls.remove(&call_id)?;
        if call.reported {
            return completion;
        }
        match call.last_suback {
            Some(suback) => Some(Event::Subscribed {
                token: call.token,
                granted: call.granted,
                result: Ok(suback),
            }),
            // Not reached: every packet of an unreported call was accepted, the
            // last one included. Were it, the callback would still run, once.
            None => {
                debug_assert!(false, "a subscribe call settled without its last SUBACK");
                Some(call.completion(Err(CommandError::ConnectionClosed)))
            }
        }
    }
}

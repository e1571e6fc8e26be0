//! Keepalive deadlines, as a pure function of the times it is told about.
//!
//! A PINGREQ is due one keepalive interval after the later of the last packet
//! sent and the last packet received stops moving: the broker needs to hear from
//! us within the interval ([MQTT-3.1.2-23]), and a client that only publishes
//! QoS 0 would otherwise never notice a half-open connection. Once a PINGREQ is
//! out, any packet from the broker proves the link alive; nothing within half
//! an interval more (1.5 × keepalive in all, as MQTT.js) is a timeout.
//!
//! While the client itself has stopped reading (JS has a full backlog, or an
//! overridden `handleMessage` holds a message), the broker's answer may be
//! sitting unread in the socket behind the messages that filled the backlog:
//! that silence is ours, so the answer's deadline waits until reading resumes
//! and then gives the broker half an interval again. PINGREQs are still sent
//! on time meanwhile, so the broker keeps hearing from us.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepaliveAction {
    Nothing,
    SendPing,
    TimedOut,
}

#[derive(Debug)]
pub struct Keepalive {
    interval: Option<Duration>,
    last_sent: Instant,
    last_received: Instant,
    ping_sent_at: Option<Instant>,
    reads_held: bool,
}

impl Keepalive {
    /// `interval` of zero disables keepalive.
    pub fn new(interval: Duration, now: Instant) -> Self {
        Keepalive {
            interval: (!interval.is_zero()).then_some(interval),
            last_sent: now,
            last_received: now,
            ping_sent_at: None,
            reads_held: false,
        }
    }

    /// Replaces the interval (MQTT 5's Server Keep Alive from the CONNACK); zero disables keepalive.
    pub fn set_interval(&mut self, interval: Duration) {
        self.interval = (!interval.is_zero()).then_some(interval);
    }

    pub fn restart(&mut self, now: Instant) {
        self.last_sent = now;
        self.last_received = now;
        self.ping_sent_at = None;
        self.reads_held = false;
    }

    /// The client has stopped (`true`) or resumed (`false`) reading the socket.
    pub fn on_reads_held(&mut self, held: bool, now: Instant) {
        if self.reads_held && !held {
            if let Some(sent) = self.ping_sent_at.as_mut() {
                *sent = (*sent).max(now);
            }
        }
        self.reads_held = held;
    }

    pub fn on_packet_sent(&mut self, now: Instant) {
        self.last_sent = now;
    }

    pub fn on_packet_received(&mut self, now: Instant) {
        self.last_received = now;
        self.ping_sent_at = None;
    }

    pub fn on_ping_sent(&mut self, now: Instant) {
        self.last_sent = now;
        self.ping_sent_at = Some(now);
    }

    pub fn deadline(&self) -> Option<Instant> {
        let interval = self.interval?;
        match self.ping_sent_at {
            Some(_) if self.reads_held => None,
            Some(sent) => Some(sent + interval / 2),
            None => Some(self.last_sent.min(self.last_received) + interval),
        }
    }

    pub fn poll(&self, now: Instant) -> KeepaliveAction {
        match self.deadline() {
            Some(deadline) if now >= deadline => {
                if self.ping_sent_at.is_some() {
                    KeepaliveAction::TimedOut
                } else {
                    KeepaliveAction::SendPing
                }
            }
            _ => KeepaliveAction::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn disabled_keepalive_has_no_deadline() {
        let t0 = Instant::now();
        let keepalive = Keepalive::new(Duration::ZERO, t0);
        assert_eq!(keepalive.deadline(), None);
        assert_eq!(keepalive.poll(t0 + 1000 * SECOND), KeepaliveAction::Nothing);
    }

    #[test]
    fn a_new_interval_moves_the_next_ping_and_zero_turns_keepalive_off() {
        let t0 = Instant::now();
        let mut keepalive = Keepalive::new(60 * SECOND, t0);
        keepalive.set_interval(5 * SECOND);
        assert_eq!(keepalive.deadline(), Some(t0 + 5 * SECOND));
        assert_eq!(keepalive.poll(t0 + 5 * SECOND), KeepaliveAction::SendPing);
        keepalive.set_interval(Duration::ZERO);
        assert_eq!(keepalive.deadline(), None);
        // And on again: an interval from a keepalive that started disabled.
        let mut keepalive = Keepalive::new(Duration::ZERO, t0);
        keepalive.set_interval(2 * SECOND);
        assert_eq!(keepalive.deadline(), Some(t0 + 2 * SECOND));
    }

    #[test]
    fn ping_is_due_one_interval_after_the_link_went_quiet() {
        let t0 = Instant::now();
        let mut keepalive = Keepalive::new(10 * SECOND, t0);
        keepalive.on_packet_sent(t0 + 4 * SECOND);
        keepalive.on_packet_received(t0 + 6 * SECOND);
        assert_eq!(keepalive.deadline(), Some(t0 + 14 * SECOND));
        assert_eq!(keepalive.poll(t0 + 13 * SECOND), KeepaliveAction::Nothing);
        assert_eq!(keepalive.poll(t0 + 14 * SECOND), KeepaliveAction::SendPing);
    }

    #[test]
    fn a_publisher_that_never_hears_back_still_pings() {
        let t0 = Instant::now();
        let mut keepalive = Keepalive::new(10 * SECOND, t0);
        for s in 1..20 {
            keepalive.on_packet_sent(t0 + s * SECOND);
        }
        assert_eq!(keepalive.poll(t0 + 10 * SECOND), KeepaliveAction::SendPing);
    }

    #[test]
    fn unanswered_ping_times_out_at_one_and_a_half_intervals() {
        let t0 = Instant::now();
        let mut keepalive = Keepalive::new(10 * SECOND, t0);
        keepalive.on_ping_sent(t0 + 10 * SECOND);
        assert_eq!(keepalive.poll(t0 + 14 * SECOND), KeepaliveAction::Nothing);
        assert_eq!(keepalive.poll(t0 + 15 * SECOND), KeepaliveAction::TimedOut);
    }

    #[test]
    fn any_packet_after_a_ping_counts_as_an_answer() {
        let t0 = Instant::now();
        let mut keepalive = Keepalive::new(10 * SECOND, t0);
        keepalive.on_ping_sent(t0 + 10 * SECOND);
        keepalive.on_packet_received(t0 + 12 * SECOND);
        assert_eq!(keepalive.poll(t0 + 15 * SECOND), KeepaliveAction::Nothing);
        assert_eq!(keepalive.deadline(), Some(t0 + 20 * SECOND));
    }

    #[test]
    fn no_timeout_while_reads_are_held_and_half_an_interval_after_they_resume() {
        let t0 = Instant::now();
        let mut keepalive = Keepalive::new(10 * SECOND, t0);
        keepalive.on_reads_held(true, t0 + SECOND);
        // Held reads do not stop the PINGREQ: the broker must still hear from us.
        assert_eq!(keepalive.poll(t0 + 10 * SECOND), KeepaliveAction::SendPing);
        keepalive.on_ping_sent(t0 + 10 * SECOND);
        assert_eq!(keepalive.deadline(), None);
        assert_eq!(keepalive.poll(t0 + 60 * SECOND), KeepaliveAction::Nothing);
        keepalive.on_reads_held(false, t0 + 60 * SECOND);
        assert_eq!(keepalive.deadline(), Some(t0 + 65 * SECOND));
        assert_eq!(keepalive.poll(t0 + 64 * SECOND), KeepaliveAction::Nothing);
        assert_eq!(keepalive.poll(t0 + 65 * SECOND), KeepaliveAction::TimedOut);
    }

    #[test]
    fn resumed_reads_give_the_answer_half_an_interval_from_then() {
        let t0 = Instant::now();
        let mut keepalive = Keepalive::new(10 * SECOND, t0);
        keepalive.on_ping_sent(t0 + 10 * SECOND);
        keepalive.on_reads_held(true, t0 + 11 * SECOND);
        keepalive.on_reads_held(false, t0 + 12 * SECOND);
        // The answer may still be behind what JS had not taken: half an interval from now on.
        assert_eq!(keepalive.deadline(), Some(t0 + 17 * SECOND));
        keepalive.on_packet_received(t0 + 13 * SECOND);
        assert_eq!(keepalive.deadline(), Some(t0 + 20 * SECOND));
    }
}

//! When to try again after a connection ends.

use std::time::Duration;

/// Optional exponential backoff on top of MQTT.js's fixed `reconnectPeriod`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Upper bound on the delay.
    pub max: Duration,
    /// Each failed attempt multiplies the delay by this (>= 1).
    pub factor: f64,
    /// Fraction (0..=1) of the delay that is randomised away, so that many
    /// clients dropped together do not come back together.
    pub jitter: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReconnectPolicy {
    /// Zero: never reconnect on its own (MQTT.js `reconnectPeriod: 0`).
    pub period: Duration,
    pub backoff: Option<Backoff>,
    /// MQTT.js `reconnectOnConnackError`: retry even after a refused CONNACK.
    pub on_connack_error: bool,
}

impl ReconnectPolicy {
    pub fn enabled(&self) -> bool {
        !self.period.is_zero()
    }

    /// The wait before attempt number `failures + 1` since the last successful
    /// connection; `random` is uniform in [0, 1).
    pub fn delay(&self, failures: u32, random: f64) -> Duration {
        let Some(backoff) = self.backoff else {
            return self.period;
        };
        let grown =
            self.period.as_secs_f64() * backoff.factor.max(1.0).powi(failures.min(64) as i32);
        let capped = grown.min(backoff.max.as_secs_f64()).max(0.0);
        let jitter = backoff.jitter.clamp(0.0, 1.0);
        Duration::from_secs_f64(capped * (1.0 - jitter * random))
    }
}

/// A small xorshift generator for jitter: no need for a crypto-grade source.
#[derive(Debug)]
pub struct Jitter(u64);

impl Jitter {
    pub fn seeded() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        Jitter(nanos | 1)
    }

    pub fn next_unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(backoff: Option<Backoff>) -> ReconnectPolicy {
        ReconnectPolicy {
            period: Duration::from_millis(1000),
            backoff,
            on_connack_error: false,
        }
    }

    #[test]
    fn without_backoff_the_delay_is_always_the_period() {
        let p = policy(None);
        assert_eq!(p.delay(0, 0.5), Duration::from_millis(1000));
        assert_eq!(p.delay(10, 0.5), Duration::from_millis(1000));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = policy(Some(Backoff {
            max: Duration::from_secs(5),
            factor: 2.0,
            jitter: 0.0,
        }));
        assert_eq!(p.delay(0, 0.9), Duration::from_millis(1000));
        assert_eq!(p.delay(1, 0.9), Duration::from_millis(2000));
        assert_eq!(p.delay(2, 0.9), Duration::from_millis(4000));
        assert_eq!(p.delay(3, 0.9), Duration::from_millis(5000));
        assert_eq!(p.delay(1000, 0.9), Duration::from_millis(5000));
    }

    #[test]
    fn jitter_shortens_the_delay_by_at_most_its_fraction() {
        let p = policy(Some(Backoff {
            max: Duration::from_secs(60),
            factor: 1.0,
            jitter: 0.5,
        }));
        assert_eq!(p.delay(0, 0.0), Duration::from_millis(1000));
        assert_eq!(p.delay(0, 0.999_999), Duration::from_secs_f64(0.5000005));
        let mut rng = Jitter::seeded();
        for _ in 0..1000 {
            let unit = rng.next_unit();
            assert!((0.0..1.0).contains(&unit));
        }
    }
}

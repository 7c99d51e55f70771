//! Adaptive slow-down when ECS answers with throttling, and recovery after.
//!
//! The configured limits are what the account is *allowed*; ECS may still throttle (other tools
//! share the account's quota, quotas differ per region). Each throttling answer halves the
//! fraction of the configured account rate the gateway uses (multiplicative decrease, at most
//! once per [`AdaptiveConfig::decrease_cooldown`] so that one burst of answers counts once), and
//! every second without throttling gives back [`AdaptiveConfig::recovery_per_second`] of it
//! (additive increase), until the full rate is reached again.

use std::time::{Duration, Instant};

/// Tuning of the slow-down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptiveConfig {
    /// Lowest fraction of the account rate the gateway falls to, in (0, 1].
    pub min_fraction: f64,
    /// Factor applied on throttling, in (0, 1).
    pub decrease_factor: f64,
    /// Fraction of the account rate regained per second without throttling.
    pub recovery_per_second: f64,
    /// Throttling answers within this time of the last decrease do not decrease again.
    pub decrease_cooldown: Duration,
}

impl Default for AdaptiveConfig {
    fn default() -> Self {
        Self {
            min_fraction: 0.05,
            decrease_factor: 0.5,
            recovery_per_second: 0.1,
            decrease_cooldown: Duration::from_millis(500),
        }
    }
}

/// The current fraction of the account rate, with its history.
#[derive(Debug, Clone)]
pub struct AdaptiveRate {
    config: AdaptiveConfig,
    fraction: f64,
    updated_at: Instant,
    last_decrease: Option<Instant>,
}

impl AdaptiveRate {
    /// Starts at the full rate.
    pub fn new(config: AdaptiveConfig, now: Instant) -> Self {
        Self {
            config,
            fraction: 1.0,
            updated_at: now,
            last_decrease: None,
        }
    }

    /// The fraction in force at `now`, after recovery since the last update.
    pub fn fraction(&mut self, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(self.updated_at).as_secs_f64();
        self.fraction = (self.fraction + elapsed * self.config.recovery_per_second).min(1.0);
        self.updated_at = now;
        self.fraction
    }

    /// Records a throttling answer; returns whether the rate was lowered.
    pub fn on_throttled(&mut self, now: Instant) -> bool {
        let cooling = self
            .last_decrease
            .is_some_and(|at| now.saturating_duration_since(at) < self.config.decrease_cooldown);
        if cooling {
            return false;
        }

        let current = self.fraction(now);
        self.fraction = (current * self.config.decrease_factor).max(self.config.min_fraction);
        self.last_decrease = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_halves_and_quiet_time_recovers() {
        let start = Instant::now();
        let mut rate = AdaptiveRate::new(AdaptiveConfig::default(), start);

        assert!(rate.on_throttled(start));
        assert!((rate.fraction(start) - 0.5).abs() < 1e-9);

        let later = start + Duration::from_secs(2);
        assert!((rate.fraction(later) - 0.7).abs() < 1e-9);
        assert!((rate.fraction(later + Duration::from_secs(60)) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn one_burst_of_throttling_decreases_once() {
        let start = Instant::now();
        let mut rate = AdaptiveRate::new(AdaptiveConfig::default(), start);

        assert!(rate.on_throttled(start));
        assert!(!rate.on_throttled(start + Duration::from_millis(100)));
        assert!(rate.on_throttled(start + Duration::from_millis(600)));

        let fraction = rate.fraction(start + Duration::from_millis(600));
        // 0.5 recovered by 0.6 s x 0.1/s, then halved.
        assert!((fraction - 0.28).abs() < 1e-9, "{fraction}");
    }

    #[test]
    fn never_falls_below_the_floor() {
        let start = Instant::now();
        let mut rate = AdaptiveRate::new(AdaptiveConfig::default(), start);

        for step in 0..20 {
            rate.on_throttled(start + Duration::from_secs(step));
        }

        assert!(rate.fraction(start + Duration::from_secs(19)) >= 0.05);
    }
}

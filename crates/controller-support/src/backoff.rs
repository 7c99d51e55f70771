//! Per-object backoff for kube-runtime's `error_policy`: each object that keeps failing waits
//! longer, independently of the others, and starts over once it reconciles cleanly.
//!
//! Delays grow exponentially with jitter (backon's exponential backoff), from a floor that
//! depends on the [`RetryClass`]: seconds for transient failures, half a minute for throttling
//! and busy resources, and the slow resync period for permanent ones. Jitter spreads out the
//! retries of many objects that failed together (a gateway outage), so they do not return as
//! one burst.

use std::{collections::HashMap, hash::Hash, sync::Mutex, time::Duration};

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};

use crate::gateway_error::RetryClass;

/// Floors and ceiling of the delays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffConfig {
    /// First delay after a [`RetryClass::Soon`] failure.
    pub soon: Duration,
    /// First delay after a [`RetryClass::Later`] failure.
    pub later: Duration,
    /// Delay after a [`RetryClass::Permanent`] failure (no growth: the object must change).
    pub permanent: Duration,
    /// No delay exceeds this.
    pub max: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            soon: Duration::from_secs(1),
            later: Duration::from_secs(30),
            permanent: Duration::from_secs(600),
            max: Duration::from_secs(600),
        }
    }
}

/// Backoff state per object key (an object's name or uid).
#[derive(Debug)]
pub struct PerObjectBackoff<K> {
    config: BackoffConfig,
    state: Mutex<HashMap<K, Entry>>,
}

#[derive(Debug)]
struct Entry {
    class: RetryClass,
    delays: ExponentialBackoff,
}

impl<K: Hash + Eq + Clone> PerObjectBackoff<K> {
    pub fn new(config: BackoffConfig) -> Self {
        Self {
            config,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// The delay before `key` is tried again after a failure of `class`.
    ///
    /// A failure of a different class than the previous one starts that class's sequence anew;
    /// a server hint (`retry_after`) is honoured when it is longer.
    pub fn next_delay(
        &self,
        key: &K,
        class: RetryClass,
        retry_after: Option<Duration>,
    ) -> Duration {
        let floor = match class {
            RetryClass::Soon => self.config.soon,
            RetryClass::Later => self.config.later,
            RetryClass::Permanent => return self.config.permanent,
        };

        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let entry = state
            .entry(key.clone())
            .or_insert_with(|| self.entry(class, floor));
        if entry.class != class {
            *entry = self.entry(class, floor);
        }
        let delay = entry.delays.next().unwrap_or(self.config.max);
        delay
            .max(retry_after.unwrap_or_default())
            .min(self.config.max)
    }

    /// Forgets `key`'s failures (call after a clean reconcile and when the object is deleted).
    pub fn reset(&self, key: &K) {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    /// Number of objects currently backing off (for tests and metrics).
    pub fn len(&self) -> usize {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn entry(&self, class: RetryClass, floor: Duration) -> Entry {
        let delays = ExponentialBuilder::new()
            .with_min_delay(floor)
            .with_max_delay(self.config.max)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times()
            .build();
        Entry { class, delays }
    }
}

impl<K: Hash + Eq + Clone> Default for PerObjectBackoff<K> {
    fn default() -> Self {
        Self::new(BackoffConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff() -> PerObjectBackoff<&'static str> {
        PerObjectBackoff::new(BackoffConfig {
            soon: Duration::from_secs(1),
            later: Duration::from_secs(10),
            permanent: Duration::from_secs(300),
            max: Duration::from_secs(60),
        })
    }

    #[test]
    fn delays_grow_per_object_and_reset_after_success() {
        let b = backoff();
        let first = b.next_delay(&"a", RetryClass::Soon, None);
        let _ = b.next_delay(&"a", RetryClass::Soon, None);
        let third = b.next_delay(&"a", RetryClass::Soon, None);
        assert!(
            first >= Duration::from_secs(1) && first < Duration::from_secs(3),
            "{first:?}"
        );
        assert!(third >= Duration::from_secs(4), "{third:?}");

        let other = b.next_delay(&"b", RetryClass::Soon, None);
        assert!(
            other < Duration::from_secs(3),
            "objects back off independently: {other:?}"
        );

        b.reset(&"a");
        assert!(b.next_delay(&"a", RetryClass::Soon, None) < Duration::from_secs(3));
    }

    #[test]
    fn classes_have_their_own_floor_and_everything_is_capped() {
        let b = backoff();
        assert!(b.next_delay(&"a", RetryClass::Later, None) >= Duration::from_secs(10));
        assert_eq!(
            b.next_delay(&"a", RetryClass::Permanent, None),
            Duration::from_secs(300)
        );
        for _ in 0..20 {
            assert!(b.next_delay(&"c", RetryClass::Later, None) <= Duration::from_secs(60));
        }
        let hinted = b.next_delay(&"d", RetryClass::Soon, Some(Duration::from_secs(20)));
        assert_eq!(hinted, Duration::from_secs(20));
    }
}

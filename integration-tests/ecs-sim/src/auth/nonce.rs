//! Memory of recently used signature nonces.

use std::collections::HashMap;

use jiff::Timestamp;

/// Nonces seen within twice the timestamp window; older ones cannot be replayed anyway because
/// their timestamps would be rejected.
#[derive(Default)]
pub struct NonceCache {
    seen: HashMap<String, Timestamp>,
}

impl NonceCache {
    /// Records a nonce; `false` when it was already used.
    pub fn insert(&mut self, nonce: &str, now: Timestamp, window_seconds: u64) -> bool {
        let keep = i64::try_from(window_seconds.saturating_mul(2)).unwrap_or(i64::MAX);
        let fresh = |at: &Timestamp| at.as_second().saturating_add(keep) > now.as_second();
        if self.seen.len() > 10_000 {
            self.seen.retain(|_, at| fresh(at));
        }
        match self.seen.get(nonce) {
            Some(at) if fresh(at) => false,
            _ => {
                self.seen.insert(nonce.to_owned(), now);
                true
            }
        }
    }
}

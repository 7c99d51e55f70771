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
        let keep = jiff::SignedDuration::from_secs((window_seconds.saturating_mul(2)) as i64);
        if self.seen.len() > 10_000 {
            self.seen.retain(|_, at| *at + keep > now);
        }
        match self.seen.get(nonce) {
            Some(at) if *at + keep > now => false,
            _ => {
                self.seen.insert(nonce.to_owned(), now);
                true
            }
        }
    }
}

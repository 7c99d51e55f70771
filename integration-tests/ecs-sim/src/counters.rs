//! Calls per action and result code, for tests that count ECS calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The result code recorded for a successful call.
pub const SUCCESS: &str = "Success";
/// The result code recorded for a call whose connection was dropped by a fault.
pub const DROPPED: &str = "ConnectionDropped";

/// action → code → count. Codes are ECS error codes, [`SUCCESS`] or [`DROPPED`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CallCounters {
    pub calls: BTreeMap<String, BTreeMap<String, u64>>,
}

impl CallCounters {
    pub fn record(&mut self, action: &str, code: &str) {
        *self
            .calls
            .entry(action.to_owned())
            .or_default()
            .entry(code.to_owned())
            .or_default() += 1;
    }

    /// Calls of one action with one code.
    pub fn get(&self, action: &str, code: &str) -> u64 {
        self.calls
            .get(action)
            .and_then(|codes| codes.get(code))
            .copied()
            .unwrap_or(0)
    }

    /// Calls of one action, whatever their outcome.
    pub fn total(&self, action: &str) -> u64 {
        self.calls
            .get(action)
            .map(|codes| codes.values().sum())
            .unwrap_or(0)
    }
}

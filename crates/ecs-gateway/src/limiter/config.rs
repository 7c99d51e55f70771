//! Rate-limit settings: account-wide and per-action rates, the wait queue and the adaptive
//! slow-down. Defaults are conservative for one Alibaba Cloud account shared with other tools;
//! raise them to the quotas the account actually has (Quota Center, "API Rate Limits").

use std::collections::HashMap;
use std::time::Duration;

use super::adaptive::AdaptiveConfig;

/// Default account-wide rate, requests per second.
pub const DEFAULT_ACCOUNT_RATE: f64 = 20.0;
/// Default account-wide burst.
pub const DEFAULT_ACCOUNT_BURST: u32 = 20;
/// Default rate of any one action, requests per second.
pub const DEFAULT_ACTION_RATE: f64 = 10.0;
/// Default per-action rates that differ from [`DEFAULT_ACTION_RATE`]: creating snapshots and
/// policies is slower on ECS's side and has lower quotas.
pub const DEFAULT_ACTION_RATES: &[(&str, f64)] = &[
    ("CreateSnapshot", 5.0),
    ("CreateSnapshotGroup", 2.0),
    ("CreateAutoSnapshotPolicy", 2.0),
    ("DeleteAutoSnapshotPolicy", 2.0),
];
/// Default capacity of the wait queue (all callers together).
pub const DEFAULT_QUEUE_CAPACITY: usize = 500;
/// Default number of requests one caller may have waiting: half the queue, so that a caller
/// that floods cannot fill the queue and lock the others out.
pub const DEFAULT_CALLER_QUEUE_CAPACITY: usize = 250;

/// All rate-limit settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitsConfig {
    /// Account-wide requests per second to ECS.
    pub account_rate: f64,
    /// Requests that may go out at once after a quiet period.
    pub account_burst: u32,
    /// Requests per second of an action without an entry in `action_rates`.
    pub default_action_rate: f64,
    /// Requests per second per ECS action name.
    pub action_rates: HashMap<String, f64>,
    /// Requests that may wait at once, all callers together.
    pub queue_capacity: usize,
    /// Requests one caller may have waiting at once.
    pub caller_queue_capacity: usize,
    /// Slow-down on throttling.
    pub adaptive: AdaptiveConfig,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let action_rates = DEFAULT_ACTION_RATES
            .iter()
            .map(|(action, rate)| ((*action).to_string(), *rate))
            .collect();
        Self {
            account_rate: DEFAULT_ACCOUNT_RATE,
            account_burst: DEFAULT_ACCOUNT_BURST,
            default_action_rate: DEFAULT_ACTION_RATE,
            action_rates,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            caller_queue_capacity: DEFAULT_CALLER_QUEUE_CAPACITY,
            adaptive: AdaptiveConfig::default(),
        }
    }
}

impl LimitsConfig {
    /// The rate of `action`.
    pub fn action_rate(&self, action: &str) -> f64 {
        self.action_rates
            .get(action)
            .copied()
            .unwrap_or(self.default_action_rate)
    }

    /// Checks that every rate is positive and finite and the queue can hold something.
    pub fn validate(&self) -> Result<(), String> {
        check_rate("account rate", self.account_rate)?;
        check_rate("default action rate", self.default_action_rate)?;
        for (action, rate) in &self.action_rates {
            check_rate(&format!("rate of action {action}"), *rate)?;
        }
        if self.account_burst == 0 {
            return Err("account burst must be at least 1".into());
        }
        if self.queue_capacity == 0 || self.caller_queue_capacity == 0 {
            return Err("queue capacities must be at least 1".into());
        }
        Ok(())
    }
}

fn check_rate(what: &str, rate: f64) -> Result<(), String> {
    if rate.is_finite() && rate > 0.0 && rate <= 1_000_000.0 {
        Ok(())
    } else {
        Err(format!(
            "{what} must be a positive number of requests per second, got {rate}"
        ))
    }
}

/// The period of one request at `rate` per second.
pub fn period(rate: f64) -> Duration {
    Duration::from_secs_f64(1.0 / rate)
}

/// Parses `Action=rate` (requests per second), as given on the command line.
pub fn parse_action_rate(text: &str) -> Result<(String, f64), String> {
    let (action, rate) = text
        .split_once('=')
        .ok_or_else(|| format!("expected ACTION=RATE (e.g. CreateSnapshot=5), got {text:?}"))?;
    let action = action.trim();
    if action.is_empty() || !action.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "{action:?} is not an ECS action name (letters and digits only)"
        ));
    }

    let rate: f64 = rate
        .trim()
        .parse()
        .map_err(|_| format!("rate {rate:?} of {action} is not a number"))?;
    check_rate(&format!("rate of action {action}"), rate)?;
    Ok((action.to_string(), rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_action_rates_and_names_the_bad_part() {
        assert_eq!(
            parse_action_rate("CreateSnapshot=2.5"),
            Ok(("CreateSnapshot".into(), 2.5))
        );
        assert!(
            parse_action_rate("CreateSnapshot")
                .unwrap_err()
                .contains("ACTION=RATE")
        );
        assert!(
            parse_action_rate("Create-Snapshot=1")
                .unwrap_err()
                .contains("Create-Snapshot")
        );
        assert!(
            parse_action_rate("CreateSnapshot=fast")
                .unwrap_err()
                .contains("fast")
        );
        assert!(
            parse_action_rate("CreateSnapshot=0")
                .unwrap_err()
                .contains("positive")
        );
    }

    #[test]
    fn defaults_are_valid_and_per_action_rates_apply() {
        let config = LimitsConfig::default();

        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.action_rate("CreateSnapshot"), 5.0);
        assert_eq!(config.action_rate("DescribeDisks"), DEFAULT_ACTION_RATE);
    }

    #[test]
    fn rejects_nonsense_limits() {
        let config = LimitsConfig {
            account_rate: f64::NAN,
            ..LimitsConfig::default()
        };

        assert!(config.validate().unwrap_err().contains("account rate"));
    }
}

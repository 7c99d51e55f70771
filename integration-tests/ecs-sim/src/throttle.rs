//! ECS flow control: an account-wide token bucket (`Throttling.User`) and one per action
//! (`Throttling.Api`), both on real time because rates are about real request bursts.

use std::collections::HashMap;
use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::api_error::ApiError;
use crate::config::{Rate, Throttling};

pub struct Throttler {
    config: Throttling,
    account: Option<DefaultDirectRateLimiter>,
    actions: HashMap<String, DefaultDirectRateLimiter>,
}

impl Throttler {
    pub fn new(config: Throttling) -> Self {
        let account = config.account.map(limiter);
        let actions = config
            .actions
            .iter()
            .map(|(a, r)| (a.clone(), limiter(*r)))
            .collect();
        Self {
            config,
            account,
            actions,
        }
    }

    pub fn config(&self) -> &Throttling {
        &self.config
    }

    /// Takes one token from the action's bucket, then from the account's.
    pub fn admit(&self, action: &str) -> Result<(), ApiError> {
        if let Some(limiter) = self.actions.get(action) {
            limiter
                .check()
                .map_err(|_| ApiError::throttled_api(action))?;
        }
        if let Some(limiter) = &self.account {
            limiter.check().map_err(|_| ApiError::throttled_user())?;
        }
        Ok(())
    }
}

fn limiter(rate: Rate) -> DefaultDirectRateLimiter {
    let per_second = NonZeroU32::new(rate.per_second).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(rate.burst).unwrap_or(NonZeroU32::MIN);
    RateLimiter::direct(Quota::per_second(per_second).allow_burst(burst))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_action_bucket_answers_throttling_api() {
        let mut config = Throttling::default();
        config.actions.insert(
            "DescribeDisks".into(),
            Rate {
                per_second: 1,
                burst: 2,
            },
        );
        let throttler = Throttler::new(config);
        assert!(throttler.admit("DescribeDisks").is_ok());
        assert!(throttler.admit("DescribeDisks").is_ok());
        let error = throttler.admit("DescribeDisks").unwrap_err();
        assert_eq!((error.status, error.code.as_str()), (400, "Throttling.Api"));
        assert!(throttler.admit("DescribeSnapshots").is_ok());
    }

    #[test]
    fn account_bucket_answers_throttling_user() {
        let config = Throttling {
            account: Some(Rate {
                per_second: 1,
                burst: 3,
            }),
            ..Default::default()
        };
        let throttler = Throttler::new(config);
        for action in ["A", "B", "C"] {
            assert!(throttler.admit(action).is_ok());
        }
        let error = throttler.admit("D").unwrap_err();
        assert_eq!(
            (error.status, error.code.as_str()),
            (400, "Throttling.User")
        );
    }
}

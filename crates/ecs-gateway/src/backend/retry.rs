//! Which failures are repeated, and how fast.
//!
//! Exponential backoff with full jitter (backon), starting at [`RetryConfig::min_delay`],
//! doubling up to [`RetryConfig::max_delay`], at most [`RetryConfig::max_retries`] repeats, and
//! never past the caller's deadline. A throttling answer waits at least what ECS asked for
//! (`x-acs-retry-after`) and at least [`RetryConfig::throttled_min_delay`].

use std::time::Duration;

use backon::ExponentialBuilder;
#[cfg(test)]
use ecs_client::Action;
use ecs_client::RetrySafety;

use super::Repeat;

/// Retry tuning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryConfig {
    /// Repeats after the first attempt.
    pub max_retries: usize,
    /// First backoff.
    pub min_delay: Duration,
    /// Longest backoff.
    pub max_delay: Duration,
    /// Shortest backoff after a throttling answer.
    pub throttled_min_delay: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_retries: 4,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            throttled_min_delay: Duration::from_millis(500),
        }
    }
}

impl RetryConfig {
    /// The backon backoff for one call.
    pub fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .with_factor(2.0)
            .with_jitter()
    }
}

/// What a failed attempt means for the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Repeat after backoff.
    Retry,
    /// Give up and report this error.
    GiveUp,
}

/// Decides whether `error` may be repeated for an action of `safety` under `repeat`.
pub fn classify(error: &ecs_client::Error, safety: &RetrySafety, repeat: Repeat) -> Verdict {
    // ECS refused before doing anything (the credentials cache refreshes an expired token).
    if error.is_throttling() || error.is_credentials_expired() {
        return Verdict::Retry;
    }
    if !error.is_transient() {
        return Verdict::GiveUp;
    }
    if !error.request_may_have_reached_ecs() {
        return Verdict::Retry;
    }

    if safety.is_retry_safe() || repeat == Repeat::Converges {
        Verdict::Retry
    } else {
        Verdict::GiveUp
    }
}

/// Whether `error` leaves the outcome of a mutating attempt unknown.
pub fn is_ambiguous(error: &ecs_client::Error) -> bool {
    error.is_transient() && error.request_may_have_reached_ecs()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad_gateway() -> ecs_client::Error {
        ecs_client::Error::UnexpectedResponse {
            action: "CreateAutoSnapshotPolicy",
            status: 502,
            detail: "html".into(),
        }
    }

    #[test]
    fn reads_and_converging_writes_repeat_ambiguous_failures() {
        let error = bad_gateway();

        assert_eq!(
            classify(&error, &RetrySafety::ReadOnly, Repeat::AsDeclared),
            Verdict::Retry
        );
        assert_eq!(
            classify(&error, &RetrySafety::Mutating, Repeat::Converges),
            Verdict::Retry
        );
        let token = RetrySafety::Idempotent {
            client_token: "t".into(),
        };
        assert_eq!(classify(&error, &token, Repeat::AsDeclared), Verdict::Retry);
        assert!(is_ambiguous(&error));
    }

    #[test]
    fn a_blind_mutation_is_not_repeated_after_an_ambiguous_failure() {
        let verdict = classify(&bad_gateway(), &RetrySafety::Mutating, Repeat::AsDeclared);

        assert_eq!(verdict, Verdict::GiveUp);
    }

    #[test]
    fn local_rejections_are_never_repeated() {
        let error = ecs_client::Error::InvalidRequest {
            action: "CreateSnapshot",
            parameter: "DiskId".into(),
            reason: "empty".into(),
        };

        assert_eq!(
            classify(&error, &RetrySafety::ReadOnly, Repeat::Converges),
            Verdict::GiveUp
        );
        assert!(!is_ambiguous(&error));
    }

    #[test]
    fn a_delete_by_id_is_repeated_after_an_ambiguous_failure() {
        let delete = ecs_client::actions::DeleteSnapshot::new("s-1");

        let verdict = classify(&bad_gateway(), &delete.safety(), Repeat::AsDeclared);

        assert_eq!(verdict, Verdict::Retry);
    }
}

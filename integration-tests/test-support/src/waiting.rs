//! Bounded waiting: every wait has a deadline and fails with what it last saw.

use std::{fmt::Debug, future::Future, ops::ControlFlow, time::Duration};

/// How often and how long [`eventually`] polls.
#[derive(Debug, Clone, Copy)]
pub struct Poll {
    /// Pause between two probes.
    pub every: Duration,
    /// Total time before giving up.
    pub for_at_most: Duration,
}

impl Poll {
    /// Polls every `every` for at most `for_at_most`.
    pub const fn new(every: Duration, for_at_most: Duration) -> Self {
        Self { every, for_at_most }
    }

    fn attempts(self) -> u128 {
        let every = self.every.as_millis().max(1);
        self.for_at_most.as_millis().div_ceil(every).max(1)
    }
}

/// Runs `f` with a deadline of `seconds`, so a hung chain fails the test instead of CI.
///
/// Panics with "test took too long" when the deadline passes.
pub async fn within<F: Future>(seconds: u64, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(seconds), f)
        .await
        .expect("test took too long")
}

/// Probes until `probe` answers `Break(value)` and returns the value.
///
/// `Continue(seen)` means "not yet"; when `poll` runs out, this panics with `what` and the last
/// `seen`, so the failure shows the state the test was waiting on.
pub async fn eventually<T, S: Debug>(
    what: &str,
    poll: Poll,
    mut probe: impl AsyncFnMut() -> ControlFlow<T, S>,
) -> T {
    let mut last = None;
    for _ in 0..poll.attempts() {
        match probe().await {
            ControlFlow::Break(value) => return value,
            ControlFlow::Continue(seen) => last = Some(seen),
        }
        tokio::time::sleep(poll.every).await;
    }
    panic!("timed out waiting for {what}; last seen: {last:#?}");
}

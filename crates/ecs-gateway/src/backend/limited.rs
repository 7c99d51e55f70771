//! The production backend: every attempt waits for admission, then makes exactly one ECS call;
//! failures are repeated as [`super::retry`] decides, within the caller's deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use backon::Retryable;
use ecs_client::{Action, EcsClient, EcsResponse, RetrySafety};

use super::retry::{self, RetryConfig, Verdict};
use super::{BackendError, CallContext, EcsBackend, Executed};
use crate::limiter::{Scheduler, Ticket};
use crate::metrics::Metrics;

/// Rate limiting and retries around one [`EcsClient`].
#[derive(Debug, Clone)]
pub struct LimitedEcs {
    client: EcsClient,
    scheduler: Arc<Scheduler>,
    retry: RetryConfig,
    metrics: Metrics,
}

/// One attempt's failure, before it becomes a [`BackendError`].
#[derive(Debug)]
enum Failure {
    Rejected(crate::limiter::Rejection),
    Ecs(ecs_client::Error),
}

impl LimitedEcs {
    /// A backend sending through `client`, admitted by `scheduler`.
    pub fn new(
        client: EcsClient,
        scheduler: Arc<Scheduler>,
        retry: RetryConfig,
        metrics: Metrics,
    ) -> Self {
        Self {
            client,
            scheduler,
            retry,
            metrics,
        }
    }

    async fn attempt<A: Action>(
        &self,
        call: &CallContext,
        action: &A,
    ) -> Result<A::Response, Failure> {
        let ticket = Ticket {
            caller: call.caller.clone(),
            weight: call.weight,
            action: A::NAME,
            deadline: call.deadline,
        };
        self.scheduler
            .acquire(&ticket)
            .await
            .map_err(Failure::Rejected)?;

        let started = Instant::now();
        let result = self.client.execute(action).await;
        let seconds = started.elapsed().as_secs_f64();
        match &result {
            Ok(response) => {
                self.metrics.ecs_request(A::NAME, "ok", seconds);
                log_success(call, A::NAME, action.safety(), response.request_id());
            }
            Err(error) => self.record_failure(call, A::NAME, error, seconds),
        }
        result.map_err(Failure::Ecs)
    }

    fn record_failure(
        &self,
        call: &CallContext,
        action: &'static str,
        error: &ecs_client::Error,
        seconds: f64,
    ) {
        self.metrics
            .ecs_request(action, error.kind().as_str(), seconds);
        if error.is_throttling() {
            self.scheduler.on_throttled(action);
        }
        tracing::info!(
            rpc = call.rpc,
            caller = %call.caller,
            action,
            ecs_request_id = error.request_id().unwrap_or(""),
            ecs_code = error.code().unwrap_or(""),
            http_status = error.http_status().unwrap_or(0),
            kind = error.kind().as_str(),
            "ECS call failed"
        );
    }

    /// The backoff before the next attempt, or `None` to stop: never past the deadline, and
    /// at least what ECS asked for when throttling.
    fn next_delay(
        &self,
        call: &CallContext,
        failure: &Failure,
        planned: Option<Duration>,
    ) -> Option<Duration> {
        let mut delay = planned?;
        if let Failure::Ecs(error) = failure
            && error.is_throttling()
        {
            let asked = error
                .api()
                .and_then(|api| api.retry_after())
                .unwrap_or_default();
            delay = delay.max(self.retry.throttled_min_delay).max(asked);
        }

        match call.deadline {
            Some(deadline) if Instant::now() + delay >= deadline => None,
            _ => Some(delay),
        }
    }
}

/// Changes to the cloud are logged at info (an operator's audit trail, with the ECS request
/// ID for support); reads only at debug.
fn log_success(call: &CallContext, action: &'static str, safety: RetrySafety, request_id: &str) {
    let caller = call.caller.as_str();
    if safety == RetrySafety::ReadOnly {
        tracing::debug!(
            rpc = call.rpc,
            caller,
            action,
            ecs_request_id = request_id,
            "ECS read"
        );
    } else {
        tracing::info!(
            rpc = call.rpc,
            caller,
            action,
            ecs_request_id = request_id,
            "ECS change"
        );
    }
}

impl EcsBackend for LimitedEcs {
    async fn execute<A>(
        &self,
        call: &CallContext,
        action: A,
    ) -> Result<Executed<A::Response>, BackendError>
    where
        A: Action + 'static,
    {
        let safety = action.safety();
        let attempts = AtomicU32::new(0);
        let ambiguous = AtomicBool::new(false);

        let run = || async {
            attempts.fetch_add(1, Ordering::Relaxed);
            self.attempt(call, &action).await
        };
        let result = run
            .retry(self.retry.backoff())
            .sleep(tokio::time::sleep)
            .when(|failure| match failure {
                Failure::Rejected(_) => false,
                Failure::Ecs(error) => {
                    retry::classify(error, &safety, call.repeat) == Verdict::Retry
                }
            })
            .adjust(|failure, planned| self.next_delay(call, failure, planned))
            .notify(|failure, delay| {
                if let Failure::Ecs(error) = failure {
                    ambiguous.fetch_or(retry::is_ambiguous(error), Ordering::Relaxed);
                }
                self.metrics.retried(A::NAME);
                tracing::debug!(
                    rpc = call.rpc,
                    action = A::NAME,
                    ?delay,
                    "repeating an ECS call"
                );
            })
            .await;

        let attempts = attempts.load(Ordering::Relaxed);
        match result {
            Ok(response) => Ok(Executed { response, attempts }),
            Err(Failure::Rejected(rejection)) => Err(BackendError::Rejected(rejection)),
            Err(Failure::Ecs(error)) => Err(BackendError::Ecs {
                error,
                attempts,
                earlier_ambiguous: ambiguous.load(Ordering::Relaxed),
            }),
        }
    }
}

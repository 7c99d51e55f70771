//! The seam between the gRPC handlers and ECS.
//!
//! Handlers build a typed `ecs_client` action and hand it to an [`EcsBackend`]; they never see
//! rate limits or retries. Production uses [`limited::LimitedEcs`] (admission by the
//! [`crate::limiter::Scheduler`], retries by [`retry::RetryPolicy`], one [`ecs_client::EcsClient`]
//! call per attempt); handler tests use a fake that answers with canned ECS bodies.

pub mod limited;
pub mod retry;

use std::future::Future;
use std::time::Instant;

use ecs_client::Action;

use crate::limiter::Rejection;

/// Who calls and under which constraints; one per RPC.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// RPC name, for logs and metrics.
    pub rpc: &'static str,
    /// Caller identity (fairness key).
    pub caller: String,
    /// Caller's fairness weight.
    pub weight: u32,
    /// The caller's gRPC deadline, if it sent one.
    pub deadline: Option<Instant>,
    /// Whether repeating the action after an ambiguous failure is safe beyond what its
    /// [`ecs_client::RetrySafety`] says.
    pub repeat: Repeat,
}

/// How the gateway may repeat a mutating action whose outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Only as the action's own [`ecs_client::RetrySafety`] allows: reads and client-token
    /// calls on any transient failure; other mutations only when ECS certainly did not act
    /// (throttling, connection never made).
    AsDeclared,
    /// The action sets a target state (apply, cancel, modify with absolute values, tag,
    /// delete), so a repeat converges on the same state; the handler interprets a "not found"
    /// after an ambiguous attempt as the earlier attempt having worked.
    Converges,
}

/// A successful ECS call and what it took.
#[derive(Debug, Clone)]
pub struct Executed<R> {
    /// ECS's answer.
    pub response: R,
    /// ECS requests sent, including the successful one.
    pub attempts: u32,
}

/// Why an action did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The rate limiter refused the call (nothing was sent, or no more retries were admitted).
    #[error(transparent)]
    Rejected(Rejection),
    /// ECS (or the way to it) failed, after `attempts` requests.
    #[error("{error} (after {attempts} attempt(s))")]
    Ecs {
        /// The last attempt's error.
        error: ecs_client::Error,
        /// ECS requests sent.
        attempts: u32,
        /// Whether an earlier attempt failed in a way that may have taken effect.
        earlier_ambiguous: bool,
    },
}

/// Runs ECS actions for the handlers.
pub trait EcsBackend: Send + Sync + 'static {
    /// Runs `action` for `call`: admission, attempts, retries.
    fn execute<A>(
        &self,
        call: &CallContext,
        action: A,
    ) -> impl Future<Output = Result<Executed<A::Response>, BackendError>> + Send
    where
        A: Action + 'static;
}

//! Graceful shutdown: SIGTERM or SIGINT cancels one token; work then has a bounded time to
//! finish.
//!
//! # Flow
//! 1. `main` creates a [`Shutdown`] with [`Shutdown::on_signals`] and hands
//!    [`Shutdown::token`] (or child tokens) to every task.
//! 2. A signal (or [`Shutdown::trigger`]) cancels the token; tasks stop taking new work.
//! 3. [`Shutdown::drain`] gives the service's main future the drain timeout to return, so
//!    the process exits before Kubernetes' `terminationGracePeriodSeconds` sends SIGKILL.

use std::{future::Future, time::Duration};

use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::RuntimeError;

/// The shutdown signal of one process and its drain timeout.
#[derive(Debug, Clone)]
pub struct Shutdown {
    token: CancellationToken,
    drain_timeout: Duration,
}

impl Shutdown {
    /// A shutdown that only [`Shutdown::trigger`] starts (tests, embedded use).
    pub fn new(drain_timeout: Duration) -> Self {
        Self {
            token: CancellationToken::new(),
            drain_timeout,
        }
    }

    /// A shutdown started by SIGTERM or SIGINT. Must be called inside a tokio runtime.
    ///
    /// # Errors
    /// [`RuntimeError::Signal`] when the handlers cannot be installed.
    pub fn on_signals(drain_timeout: Duration) -> Result<Self, RuntimeError> {
        use tokio::signal::unix::{SignalKind, signal};

        let shutdown = Self::new(drain_timeout);
        let mut term = signal(SignalKind::terminate()).map_err(RuntimeError::Signal)?;
        let mut int = signal(SignalKind::interrupt()).map_err(RuntimeError::Signal)?;
        let token = shutdown.token.clone();
        tokio::spawn(async move {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
                _ = token.cancelled() => return,
            };
            info!(signal = name, "shutdown requested");
            token.cancel();
        });
        Ok(shutdown)
    }

    /// The token every task watches; cancelled when shutdown begins.
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// Begins shutdown as a signal would.
    pub fn trigger(&self) {
        self.token.cancel();
    }

    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves when shutdown begins.
    pub async fn triggered(&self) {
        self.token.cancelled().await
    }

    /// Runs `work` to completion, but once shutdown begins allows it only the drain timeout.
    ///
    /// # Errors
    /// [`RuntimeError::DrainTimeout`] when `work` is still running when the timeout expires;
    /// `work` is dropped (cancelled) then.
    pub async fn drain<F: Future>(&self, work: F) -> Result<F::Output, RuntimeError> {
        tokio::pin!(work);
        tokio::select! {
            output = &mut work => return Ok(output),
            _ = self.token.cancelled() => {}
        }
        tokio::time::timeout(self.drain_timeout, work)
            .await
            .map_err(|_| RuntimeError::DrainTimeout(self.drain_timeout))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_that_stops_on_cancel_drains_cleanly() {
        let shutdown = Shutdown::new(Duration::from_secs(5));
        let token = shutdown.token();
        let work = async move {
            token.cancelled().await;
            "stopped"
        };
        shutdown.trigger();
        assert_eq!(shutdown.drain(work).await.unwrap(), "stopped");
    }

    #[tokio::test]
    async fn work_that_ignores_cancel_is_cut_at_the_drain_timeout() {
        let shutdown = Shutdown::new(Duration::from_millis(50));
        shutdown.trigger();
        let started = std::time::Instant::now();
        let err = shutdown
            .drain(std::future::pending::<()>())
            .await
            .unwrap_err();
        assert!(matches!(err, RuntimeError::DrainTimeout(d) if d == Duration::from_millis(50)));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn work_that_finishes_first_needs_no_shutdown() {
        let shutdown = Shutdown::new(Duration::from_millis(1));
        assert_eq!(shutdown.drain(async { 7 }).await.unwrap(), 7);
        assert!(!shutdown.is_triggered());
    }

    #[tokio::test]
    async fn sigterm_cancels_the_token() {
        let shutdown = Shutdown::on_signals(Duration::from_secs(1)).unwrap();
        let pid = std::process::id().to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::time::timeout(Duration::from_secs(5), shutdown.triggered())
            .await
            .expect("SIGTERM reaches the handler");
    }
}

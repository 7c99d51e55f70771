//! Running a controller only while this replica leads.
//!
//! # Flow
//! [`run_while_leader`] waits for the leadership watch (from `service_runtime::leader`) to turn
//! `true`, starts the controller with a fresh cancellation token, and cancels that token as
//! soon as leadership is lost or shutdown begins, waiting for the controller to stop. When
//! leadership comes back, the controller starts again from scratch (new watches, full relist),
//! so a standby that takes over works from the API server's state, not from stale caches.
//!
//! # Guarantees
//! - At most one run of the controller exists at a time within the process; it is never started
//!   after `shutdown` is cancelled.
//! - A closed leadership watch keeps its last value: `service_runtime`'s election with
//!   `--leader-elect=false` is such a watch, closed at `true`, and means "lead until shutdown".
//! - A controller that returns on its own while still leading is started again after
//!   [`RESTART_DELAY`], never in a tight loop.

use std::{future::Future, time::Duration};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// The pause before a controller that returned by itself while leading is started again.
pub const RESTART_DELAY: Duration = Duration::from_secs(1);

/// Runs `controller(token)` during each period of leadership until `shutdown`.
///
/// `controller` must return once its token is cancelled (kube's
/// `Controller::graceful_shutdown_on(token.cancelled_owned())` does).
pub async fn run_while_leader<F, Fut>(
    mut leader: watch::Receiver<bool>,
    shutdown: CancellationToken,
    mut controller: F,
) where
    F: FnMut(CancellationToken) -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        if !wait_for(&mut leader, true, &shutdown).await {
            return;
        }

        info!("leading: controller starting");
        let token = shutdown.child_token();
        let run = controller(token.clone());
        tokio::pin!(run);
        let returned_by_itself = tokio::select! {
            () = &mut run => true,
            _ = wait_for(&mut leader, false, &shutdown) => {
                token.cancel();
                run.await;
                false
            }
        };
        token.cancel();
        info!("controller stopped");
        if shutdown.is_cancelled() {
            return;
        }

        if returned_by_itself {
            warn!(delay = ?RESTART_DELAY, "controller returned while leading; restarting");
            tokio::select! {
                () = tokio::time::sleep(RESTART_DELAY) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }
}

/// Waits until the watch shows `want`; `false` when shutdown came first.
///
/// A closed watch keeps its last value for good: when that is not `want`, this waits for
/// shutdown instead of reporting a change that will never come.
async fn wait_for(
    leader: &mut watch::Receiver<bool>,
    want: bool,
    shutdown: &CancellationToken,
) -> bool {
    let seen = tokio::select! {
        result = leader.wait_for(|v| *v == want) => result.is_ok(),
        _ = shutdown.cancelled() => return false,
    };
    if !seen {
        shutdown.cancelled().await;
    }
    seen
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{
            Arc,
            atomic::{AtomicUsize, Ordering},
        },
        time::Duration,
    };

    use super::*;

    #[tokio::test]
    async fn controller_runs_only_while_leading_and_restarts_on_regain() {
        let (tx, rx) = watch::channel(false);
        let shutdown = CancellationToken::new();
        let starts = Arc::new(AtomicUsize::new(0));
        let running = Arc::new(AtomicUsize::new(0));

        let (s, r) = (starts.clone(), running.clone());
        let task = tokio::spawn(run_while_leader(rx, shutdown.clone(), move |token| {
            let (s, r) = (s.clone(), r.clone());
            async move {
                s.fetch_add(1, Ordering::SeqCst);
                r.fetch_add(1, Ordering::SeqCst);
                token.cancelled().await;
                r.fetch_sub(1, Ordering::SeqCst);
            }
        }));

        let settle = || tokio::time::sleep(Duration::from_millis(30));
        settle().await;
        assert_eq!(starts.load(Ordering::SeqCst), 0, "standby does not run");

        tx.send_replace(true);
        settle().await;
        assert_eq!(running.load(Ordering::SeqCst), 1);

        tx.send_replace(false);
        settle().await;
        assert_eq!(
            running.load(Ordering::SeqCst),
            0,
            "stops when leadership is lost"
        );

        tx.send_replace(true);
        settle().await;
        assert_eq!(starts.load(Ordering::SeqCst), 2);

        shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(2), task)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(running.load(Ordering::SeqCst), 0);
    }

    /// What `--leader-elect=false` hands over: a watch whose sender is gone, left at `true`.
    fn closed_watch(value: bool) -> watch::Receiver<bool> {
        watch::channel(value).1
    }

    #[tokio::test]
    async fn a_closed_watch_at_true_runs_one_controller_until_shutdown() {
        let shutdown = CancellationToken::new();
        let starts = Arc::new(AtomicUsize::new(0));
        let s = starts.clone();
        let task = tokio::spawn(run_while_leader(
            closed_watch(true),
            shutdown.clone(),
            move |token| {
                s.fetch_add(1, Ordering::SeqCst);
                async move { token.cancelled().await }
            },
        ));

        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            starts.load(Ordering::SeqCst),
            1,
            "started once, never cancelled"
        );
        shutdown.cancel();
        task.await.unwrap();
        assert_eq!(starts.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_closed_watch_at_false_stands_by_until_shutdown() {
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(run_while_leader(
            closed_watch(false),
            shutdown.clone(),
            |_token| async { panic!("a standby must not run the controller") },
        ));

        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!task.is_finished(), "waits for shutdown, not for a change");
        shutdown.cancel();
        task.await.unwrap();
    }

    #[tokio::test]
    async fn a_controller_that_returns_while_leading_restarts_after_a_pause() {
        let shutdown = CancellationToken::new();
        let starts = Arc::new(AtomicUsize::new(0));
        let s = starts.clone();
        let task = tokio::spawn(run_while_leader(
            closed_watch(true),
            shutdown.clone(),
            move |_token| {
                s.fetch_add(1, Ordering::SeqCst);
                async {}
            },
        ));

        tokio::time::sleep(RESTART_DELAY + RESTART_DELAY / 2).await;
        assert_eq!(
            starts.load(Ordering::SeqCst),
            2,
            "one restart per delay, no tight loop"
        );
        shutdown.cancel();
        task.await.unwrap();
    }
}

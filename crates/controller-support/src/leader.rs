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
//! At most one run of the controller exists at a time within the process; it is never started
//! after `shutdown` is cancelled.

use std::future::Future;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::info;

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
        tokio::select! {
            () = &mut run => {}
            _ = wait_for(&mut leader, false, &shutdown) => {
                token.cancel();
                run.await;
            }
        }
        token.cancel();
        info!("controller stopped");
        if shutdown.is_cancelled() {
            return;
        }
    }
}

/// Waits until the watch shows `want`; `false` when shutdown came first or the sender is gone.
async fn wait_for(
    leader: &mut watch::Receiver<bool>,
    want: bool,
    shutdown: &CancellationToken,
) -> bool {
    tokio::select! {
        result = leader.wait_for(|v| *v == want) => result.is_ok(),
        _ = shutdown.cancelled() => false,
    }
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
}

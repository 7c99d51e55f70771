//! The order of a graceful stop, so Kubernetes neither sends new calls to a draining gateway
//! nor kills it mid-drain.
//!
//! On shutdown: readiness turns false at once (the Service stops routing new calls here), the
//! gRPC server stops accepting and finishes calls in flight within the drain timeout, and only
//! then does the admin server stop. Liveness (`/healthz`) and `/metrics` therefore answer for
//! the whole drain.

use std::future::Future;

use prometheus_client::registry::Registry;
use service_runtime::Readiness;
use service_runtime::admin::AdminServer;
use service_runtime::shutdown::Shutdown;
use tokio_util::sync::CancellationToken;

/// Resolves when `shutdown` begins, after marking the process not ready. Give it to the gRPC
/// server as its shutdown signal.
pub fn not_ready_on_shutdown(
    shutdown: &Shutdown,
    readiness: Readiness,
) -> impl Future<Output = ()> + Send + 'static {
    let token = shutdown.token();
    async move {
        token.cancelled().await;
        readiness.set(false);
        tracing::info!("shutting down: not ready, refusing new connections, finishing calls");
    }
}

/// Serves the admin endpoints while `grpc` runs and drains, then stops them.
///
/// `grpc` must stop accepting when `shutdown` begins (see [`not_ready_on_shutdown`]); it gets
/// the drain timeout to finish. The admin server outlives it either way.
///
/// # Errors
/// The gRPC server's error, a drain timeout, or the admin server's error, in that order.
pub async fn serve_until_drained<E>(
    admin: AdminServer,
    registry: Registry,
    readiness: Readiness,
    shutdown: &Shutdown,
    grpc: impl Future<Output = Result<(), E>>,
) -> anyhow::Result<()>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let admin_stop = CancellationToken::new();
    let admin_task = tokio::spawn(admin.serve(registry, readiness, admin_stop.clone()));

    let drained = shutdown.drain(grpc).await;
    tracing::info!("gRPC drained; stopping the admin server");
    admin_stop.cancel();
    let admin_result = admin_task.await;

    drained??;
    admin_result.map_err(|e| anyhow::anyhow!("admin server task failed: {e}"))??;
    Ok(())
}

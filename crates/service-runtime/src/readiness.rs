//! The readiness flag a service flips, seen by `/readyz` and by the gRPC health protocol.

use std::sync::Arc;

use tokio::sync::watch;
use tonic_health::{
    ServingStatus,
    pb::health_server::{Health, HealthServer},
    server::HealthReporter,
};

/// A cloneable readiness flag. Starts not ready; the service sets it once it can do its work
/// (caches synced, dependencies reachable) and clears it when it cannot.
///
/// Liveness is separate: `/healthz` answers as long as the process serves HTTP.
#[derive(Debug, Clone)]
pub struct Readiness {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for Readiness {
    fn default() -> Self {
        Self::new()
    }
}

impl Readiness {
    pub fn new() -> Self {
        Self {
            tx: Arc::new(watch::Sender::new(false)),
        }
    }

    /// Marks the service ready (`true`) or not ready (`false`).
    pub fn set(&self, ready: bool) {
        self.tx.send_replace(ready);
    }

    pub fn is_ready(&self) -> bool {
        *self.tx.borrow()
    }

    /// A receiver that sees every change, for code that waits on readiness.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.tx.subscribe()
    }

    /// A `grpc.health.v1.Health` service whose overall status (service name `""`) follows this
    /// flag: `SERVING` when ready, `NOT_SERVING` otherwise.
    ///
    /// gRPC servers (the gateway) add it to their own tonic server; the admin server mounts one
    /// for the others. Must be called inside a tokio runtime: a task mirrors the flag and ends
    /// when the last [`Readiness`] clone is dropped.
    pub async fn grpc_health_service(&self) -> HealthServer<impl Health> {
        let (reporter, service) = tonic_health::server::health_reporter();
        let mut rx = self.subscribe();
        let ready = *rx.borrow_and_update();
        report(&reporter, ready).await;

        tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                let ready = *rx.borrow_and_update();
                report(&reporter, ready).await;
            }
        });
        service
    }
}

async fn report(reporter: &HealthReporter, ready: bool) {
    let status = if ready {
        ServingStatus::Serving
    } else {
        ServingStatus::NotServing
    };
    reporter.set_service_status("", status).await;
}

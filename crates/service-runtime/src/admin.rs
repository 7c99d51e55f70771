//! The admin server: one port for everything the platform asks a service about itself.
//!
//! | path | answers |
//! |---|---|
//! | `GET /metrics` | the [`Registry`] in Prometheus/OpenMetrics text |
//! | `GET /healthz` | `200 ok` while the process serves HTTP (liveness) |
//! | `GET /readyz` | `200 ready` or `503 not ready`, from the [`Readiness`] handle |
//! | `grpc.health.v1.Health/Check`, `/Watch` | the same readiness over gRPC (h2c) |
//!
//! HTTP/1.1 and cleartext HTTP/2 are both served, so Kubernetes `httpGet` and `grpc` probes
//! can point at the same port.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::get,
};
use prometheus_client::{encoding::text::encode, registry::Registry};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::{Readiness, RuntimeError};

/// Only the health service's own methods go to gRPC; other paths stay plain 404s.
const GRPC_HEALTH_PATH: &str = "/grpc.health.v1.Health/{*method}";
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A bound, not yet serving, admin server. Binding first lets tests use port 0 and read the
/// chosen address, and lets `main` fail fast on a taken port before starting any work.
#[derive(Debug)]
pub struct AdminServer {
    listener: TcpListener,
    addr: SocketAddr,
}

#[derive(Clone)]
struct AppState {
    registry: Arc<Registry>,
    readiness: Readiness,
}

impl AdminServer {
    /// # Errors
    /// [`RuntimeError::Bind`] when the address cannot be bound.
    pub async fn bind(addr: SocketAddr) -> Result<Self, RuntimeError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| RuntimeError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| RuntimeError::Bind { addr, source })?;
        Ok(Self { listener, addr })
    }

    /// The address actually bound (resolves port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` is cancelled, then stops accepting and finishes open requests.
    ///
    /// The registry is taken by value: metrics are registered before serving starts, and the
    /// registered metric handles stay with the components that update them.
    pub async fn serve(
        self,
        registry: Registry,
        readiness: Readiness,
        shutdown: CancellationToken,
    ) -> Result<(), RuntimeError> {
        let grpc_health = readiness.grpc_health_service().await;
        let state = AppState {
            registry: Arc::new(registry),
            readiness,
        };
        let app = Router::new()
            .route("/metrics", get(metrics))
            .route("/healthz", get(|| async { "ok" }))
            .route("/readyz", get(readyz))
            .route_service(GRPC_HEALTH_PATH, grpc_health)
            .with_state(state);

        info!(addr = %self.addr, "admin server listening");
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .map_err(RuntimeError::Serve)?;
        info!(addr = %self.addr, "admin server stopped");
        Ok(())
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut body = String::new();
    match encode(&mut body, &state.registry) {
        Ok(()) => (StatusCode::OK, [(header::CONTENT_TYPE, OPENMETRICS)], body).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "metrics encoding failed").into_response(),
    }
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.readiness.is_ready() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}

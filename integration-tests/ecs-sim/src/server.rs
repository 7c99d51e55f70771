//! The listener: one HTTP/1.1 port serving ECS and STS at `/`, instance metadata at `/latest/`
//! and the admin API under `/_sim/`.
//!
//! hyper is used directly (not through axum's server) because a dropped-connection fault must
//! close the socket without answering, which a service can only do by failing the request.

use std::net::SocketAddr;
use std::sync::Arc;

use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::admin;
use crate::rpc;
use crate::sim::Sim;

/// How often a running clock (`timing.clock_rate > 0`) catches up with wall time.
const CLOCK_TICK: std::time::Duration = std::time::Duration::from_millis(200);

/// Largest request body accepted (ECS parameters travel in the query string anyway).
const MAX_BODY_BYTES: usize = 1 << 20;

/// A request the fault layer decided to drop: failing the service closes the connection.
#[derive(Debug)]
pub struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

pub type HttpResponse = Response<Full<Bytes>>;

/// Accepts connections until `shutdown` fires, then aborts the open ones.
pub async fn serve(listener: TcpListener, sim: Arc<Sim>, mut shutdown: oneshot::Receiver<()>) {
    let admin = admin::router(sim.clone());
    let mut connections = JoinSet::new();
    let mut ticks = tokio::time::interval(CLOCK_TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut last_tick, mut carry) = (tokio::time::Instant::now(), 0.0);
    loop {
        tokio::select! {
            now = ticks.tick() => {
                sim.follow_wall_clock(now.duration_since(last_tick), &mut carry);
                last_tick = now;
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(connection(stream, peer, sim.clone(), admin.clone()));
                }
                Err(err) => tracing::warn!(error = %err, "accept failed"),
            },
            _ = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
    tracing::info!("ecs-sim stopped");
}

async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    sim: Arc<Sim>,
    admin: axum::Router,
) {
    let service =
        hyper::service::service_fn(move |request| route(sim.clone(), admin.clone(), request));
    let served = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(err) = served {
        tracing::debug!(%peer, error = %err, "connection closed");
    }
}

async fn route(
    sim: Arc<Sim>,
    admin: axum::Router,
    request: Request<Incoming>,
) -> Result<HttpResponse, DropConnection> {
    let path = request.uri().path().to_owned();
    if path.starts_with(admin::PREFIX) {
        return Ok(admin_response(admin, request).await);
    }

    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) if path.starts_with("/latest/") => {
            return Ok(text(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large",
            ));
        }
        Err(_) => return Ok(rpc::body_too_large(&parts, MAX_BODY_BYTES)),
    };
    if path.starts_with("/latest/") {
        let (status, body) = crate::imds::handle(&sim, &parts.method, &path, &parts.headers);
        return Ok(text(status, &body));
    }
    rpc::handle(&sim, &parts, &body).await
}

async fn admin_response(admin: axum::Router, request: Request<Incoming>) -> HttpResponse {
    let response = match admin.oneshot(request.map(axum::body::Body::new)).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, MAX_BODY_BYTES * 64).await {
        Ok(bytes) => Response::from_parts(parts, Full::new(bytes)),
        Err(_) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "admin response too large",
        ),
    }
}

pub fn text(status: StatusCode, body: &str) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain"),
    );
    response
}

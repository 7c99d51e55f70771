//! Assembles the gRPC server: TLS, the gateway service, gRPC health (following the
//! [`Readiness`] flag), reflection, and graceful shutdown that lets in-flight calls finish.

use std::future::Future;
use std::path::PathBuf;
use std::task::{Context, Poll};

use ecs_gateway_api::v1::ecs_gateway_server::EcsGatewayServer;
use service_runtime::Readiness;
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};

use crate::Error;
use crate::backend::EcsBackend;
use crate::service::GatewayService;

/// PEM files of the server's TLS identity and of the CA its clients' certificates chain to.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Server certificate chain.
    pub cert: PathBuf,
    /// Server private key.
    pub key: PathBuf,
    /// CA for client certificates; `None` disables mutual TLS.
    pub client_ca: Option<PathBuf>,
    /// Refuse connections without a client certificate. When false, callers may instead
    /// authenticate with a bearer token.
    pub require_client_cert: bool,
}

impl TlsFiles {
    /// The tonic TLS configuration.
    pub fn server_config(&self) -> Result<ServerTlsConfig, Error> {
        let cert = read("TLS certificate", &self.cert)?;
        let key = read("TLS key", &self.key)?;
        let mut tls = ServerTlsConfig::new().identity(Identity::from_pem(cert, key));

        if let Some(ca) = &self.client_ca {
            let ca = read("client CA", ca)?;
            tls = tls
                .client_ca_root(Certificate::from_pem(ca))
                .client_auth_optional(!self.require_client_cert);
        }
        Ok(tls)
    }
}

fn read(what: &'static str, path: &PathBuf) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::ReadFile {
        what,
        path: path.clone(),
        source,
    })
}

/// Serves `service` on `listener` until `shutdown` completes, then stops accepting and
/// finishes the calls in flight.
pub async fn serve<B: EcsBackend>(
    listener: TcpListener,
    service: GatewayService<B>,
    tls: Option<ServerTlsConfig>,
    readiness: Readiness,
    insecure_dev: bool,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Error> {
    let health = readiness.grpc_health_service().await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(ecs_gateway_api::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|err| Error::Serve(format!("cannot build the reflection service: {err}")))?;

    let mut builder = Server::builder();
    if let Some(tls) = tls {
        builder = builder
            .tls_config(tls)
            .map_err(|err| Error::Serve(format!("invalid TLS configuration: {err}")))?;
    }
    let addr = listener.local_addr().ok();
    // Without TCP_NODELAY small gRPC frames wait for delayed ACKs (tens of milliseconds).
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tracing::info!(?addr, tls = !insecure_dev, "ecs-gateway serving gRPC");

    builder
        .layer(InsecureHealthWarning { insecure_dev })
        .add_service(health)
        .add_service(reflection)
        .add_service(EcsGatewayServer::new(service))
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .map_err(|err| Error::Serve(err.to_string()))?;
    tracing::info!(?addr, "ecs-gateway stopped serving gRPC");
    Ok(())
}

/// Logs a warning on every health check while the gateway runs in insecure development mode,
/// so the mode cannot go unnoticed in a deployment's logs.
#[derive(Debug, Clone, Copy)]
struct InsecureHealthWarning {
    insecure_dev: bool,
}

impl<S> tower::Layer<S> for InsecureHealthWarning {
    type Service = WarnOnHealth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WarnOnHealth {
            inner,
            insecure_dev: self.insecure_dev,
        }
    }
}

#[derive(Debug, Clone)]
struct WarnOnHealth<S> {
    inner: S,
    insecure_dev: bool,
}

impl<S, B> tower::Service<http::Request<B>> for WarnOnHealth<S>
where
    S: tower::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        if self.insecure_dev && request.uri().path().starts_with("/grpc.health.v1.Health/") {
            tracing::warn!(
                "INSECURE DEVELOPMENT MODE: no TLS, no authentication, every caller may call \
                 every RPC; never run this in a cluster"
            );
        }
        self.inner.call(request)
    }
}

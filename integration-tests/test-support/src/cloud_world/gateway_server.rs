//! The real ecs-gateway (service, authenticator, backend, server) on a loopback port.

use std::{net::SocketAddr, ops::ControlFlow, sync::Arc, time::Duration};

use ecs_gateway::{
    auth::{AllowList, Authenticator},
    metrics::Metrics,
    server::{self, TlsFiles},
    service::GatewayService,
};
use ecs_gateway_api::{ConnectConfig, GatewayClient};
use ecs_sim::SimHandle;
use prometheus_client::registry::Registry;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{ecs, options::CloudOptions, seed::REGION};
use crate::{
    pki::Pki,
    waiting::{Poll, eventually},
};

/// How long a stopped gateway may keep accepting connections.
const REFUSING: Poll = Poll::new(Duration::from_millis(50), Duration::from_secs(5));

/// A running gateway in front of one simulator, serving [`REGION`].
///
/// Dropping it stops the server; [`GatewayServer::stop`] also waits for calls in flight.
pub struct GatewayServer {
    /// Where the gateway listens (127.0.0.1, a free port).
    pub addr: SocketAddr,
    /// The CA of the server certificate and of every client certificate.
    pub pki: Pki,
    /// The gateway's metrics, registered in `registry`.
    pub metrics: Metrics,
    pub registry: Registry,
    /// The authenticator in force, for tests that replace the allow-list.
    pub auth: Arc<Authenticator>,
    insecure_dev: bool,
    stop: CancellationToken,
    serving: Option<JoinHandle<Result<(), ecs_gateway::Error>>>,
}

impl GatewayServer {
    /// Starts a gateway over `sim` on a free loopback port, as `options` say (but for
    /// `options.sim`: the simulator is the caller's).
    pub async fn start(sim: &SimHandle, options: CloudOptions) -> Self {
        Self::start_on(sim, options, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// As [`GatewayServer::start`], listening on `listen`: a gateway restarted on the port of
    /// a stopped one is reached again by the clients of the old one.
    pub async fn start_on(sim: &SimHandle, options: CloudOptions, listen: SocketAddr) -> Self {
        let pki = Pki::in_temp_dir("gateway");
        let metrics = Metrics::default();
        let mut registry = Registry::default();
        metrics.register(&mut registry);

        let auth = authenticator(&options, &metrics);
        let credentials = options.credentials.map(|factory| factory(sim));
        let ecs = ecs::ecs_client_with(sim, credentials);
        let backend = ecs::backend_over(ecs, options.limits, options.retry, metrics.clone());
        let service = GatewayService::new(Arc::new(backend), auth.clone(), REGION, metrics.clone());

        let tls = (!options.insecure_dev).then(|| server_tls(&pki, options.require_client_cert));
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .unwrap_or_else(|e| panic!("the gateway cannot listen on {listen}: {e}"));
        let addr = listener.local_addr().expect("the gateway's address");
        let readiness = service_runtime::Readiness::new();
        readiness.set(true);
        let stop = CancellationToken::new();
        let stopped = stop.clone().cancelled_owned();
        let serving = tokio::spawn(server::serve(
            listener,
            service,
            tls,
            readiness,
            options.insecure_dev,
            stopped,
        ));

        Self {
            addr,
            pki,
            metrics,
            registry,
            auth,
            insecure_dev: options.insecure_dev,
            stop,
            serving: Some(serving),
        }
    }

    /// Connection settings for a caller with a certificate for `identity` (none when `None`);
    /// in development mode, plain text to the same port whatever `identity` is.
    pub fn connect_config(&self, identity: Option<&str>) -> ConnectConfig {
        let port = self.addr.port();
        if self.insecure_dev {
            return ConnectConfig {
                endpoint: format!("http://127.0.0.1:{port}"),
                connect_timeout: Some(Duration::from_secs(5)),
                ..ConnectConfig::default()
            };
        }
        let files = identity.map(|name| self.pki.client(name));
        ConnectConfig {
            endpoint: format!("https://localhost:{port}"),
            ca_file: Some(self.pki.ca_file.clone()),
            cert_file: files.as_ref().map(|f| f.cert.clone()),
            key_file: files.as_ref().map(|f| f.key.clone()),
            connect_timeout: Some(Duration::from_secs(5)),
            ..ConnectConfig::default()
        }
    }

    /// A connected client for `identity`.
    pub async fn client(&self, identity: &str) -> GatewayClient {
        let config = self.connect_config(Some(identity));
        config
            .connect()
            .await
            .unwrap_or_else(|e| panic!("{identity} cannot connect to the gateway: {e}"))
    }

    /// A client that connects on first use, for `identity` (ignored in development mode).
    pub fn lazy_client(&self, identity: &str) -> GatewayClient {
        let config = self.connect_config(Some(identity));
        config
            .connect_lazy()
            .unwrap_or_else(|e| panic!("a gateway client for {identity}: {e}"))
    }

    /// The Prometheus text of the gateway's metrics.
    pub fn metrics_text(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("metrics encode");
        text
    }

    /// Stops the gateway, letting calls in flight finish; returns the server's result.
    pub async fn stop(mut self) -> Result<(), ecs_gateway::Error> {
        self.stop.cancel();
        let serving = self.serving.take().expect("a gateway is stopped once");
        serving.await.expect("the gateway task does not panic")
    }

    /// Tells the gateway to stop and returns once its port refuses connections (at most 5 s),
    /// without waiting for calls in flight.
    pub async fn stop_accepting(&self) {
        self.stop.cancel();
        let addr = self.addr;
        eventually(
            &format!("the gateway on {addr} to refuse"),
            REFUSING,
            async || match tokio::net::TcpStream::connect(addr).await {
                Ok(_) => ControlFlow::Continue("still accepting"),
                Err(_) => ControlFlow::Break(()),
            },
        )
        .await;
    }
}

impl Drop for GatewayServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn authenticator(options: &CloudOptions, metrics: &Metrics) -> Arc<Authenticator> {
    if options.insecure_dev {
        return Arc::new(Authenticator::insecure_dev(metrics.clone()));
    }
    let text = &options.allow_list;
    let allow_list = AllowList::parse(text)
        .unwrap_or_else(|e| panic!("the test allow-list does not parse: {e}\n{text}"));
    let reviewer = options.reviewer.clone();
    Arc::new(Authenticator::new(allow_list, reviewer, metrics.clone()))
}

fn server_tls(pki: &Pki, require_client_cert: bool) -> tonic::transport::ServerTlsConfig {
    let files = pki.server();
    let tls = TlsFiles {
        cert: files.cert,
        key: files.key,
        client_ca: Some(pki.ca_file.clone()),
        require_client_cert,
    };
    tls.server_config()
        .expect("the test certificates make a TLS config")
}

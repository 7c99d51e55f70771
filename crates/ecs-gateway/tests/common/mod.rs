//! An in-process gateway in front of an in-process ECS simulator, reached over mutual TLS by a
//! real tonic client built with `ecs_gateway_api::ConnectConfig`.

#![allow(dead_code)]

pub mod pki;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ecs_client::credentials::{Credentials, CredentialsProvider, StaticCredentials};
use ecs_client::{ClientConfig, EcsClient, Endpoint};
use ecs_gateway::auth::token_review::TokenReviewer;
use ecs_gateway::auth::{AllowList, Authenticator};
use ecs_gateway::backend::limited::LimitedEcs;
use ecs_gateway::backend::retry::RetryConfig;
use ecs_gateway::limiter::{LimitsConfig, Scheduler};
use ecs_gateway::metrics::Metrics;
use ecs_gateway::server::{self, TlsFiles};
use ecs_gateway::service::GatewayService;
use ecs_gateway_api::{ConnectConfig, GatewayClient};
use ecs_sim::{DiskSeed, InstanceSeed, InstanceStatus, SimConfig, SimHandle};
use pki::Pki;
use tokio::sync::oneshot;

pub const REGION: &str = "cn-hangzhou";
pub const ZONE: &str = "cn-hangzhou-h";
pub const INSTANCE: &str = "i-test1";
pub const DISKS: [&str; 3] = ["d-test1", "d-test2", "d-test3"];

/// Caller identities the default allow-list knows.
pub const ADMIN: &str = "admin.test";
pub const READER: &str = "reader.test";

pub const DEFAULT_ALLOW_LIST: &str = "callers:\n\
    - identity: admin.test\n  rpcs: ['*']\n\
    - identity: reader.test\n  rpcs: [DescribeDisks, DescribeSnapshots]\n\
    - identity: flooder.test\n  rpcs: ['*']\n\
    - identity: quiet.test\n  rpcs: ['*']\n";

/// Builds the gateway's credential source once the simulator runs (its STS and metadata
/// endpoints live on the simulator's port).
pub type CredentialsFactory = Box<dyn FnOnce(&SimHandle) -> Arc<dyn CredentialsProvider> + Send>;

/// What a test can change.
pub struct Options {
    /// The gateway's credential source; the simulator's default AccessKey pair when `None`.
    pub credentials: Option<CredentialsFactory>,
    pub limits: LimitsConfig,
    pub retry: RetryConfig,
    pub allow_list: String,
    pub reviewer: Option<Arc<dyn TokenReviewer>>,
    pub require_client_cert: bool,
    /// Plain-text gRPC and no authentication (`--insecure-dev-mode`).
    pub insecure_dev: bool,
    pub sim: SimConfig,
}

impl Default for Options {
    fn default() -> Self {
        let limits = LimitsConfig {
            account_rate: 500.0,
            account_burst: 50,
            default_action_rate: 500.0,
            action_rates: Default::default(),
            ..LimitsConfig::default()
        };
        let retry = RetryConfig {
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(200),
            throttled_min_delay: Duration::from_millis(20),
            ..RetryConfig::default()
        };
        Self {
            credentials: None,
            limits,
            retry,
            allow_list: DEFAULT_ALLOW_LIST.to_string(),
            reviewer: None,
            require_client_cert: true,
            insecure_dev: false,
            sim: seeded_sim_config(),
        }
    }
}

/// One instance with three attached ESSD disks.
pub fn seeded_sim_config() -> SimConfig {
    let mut config = SimConfig::default();
    config.instances.push(InstanceSeed {
        id: INSTANCE.into(),
        region_id: None,
        zone_id: ZONE.into(),
        status: InstanceStatus::Running,
        tags: Default::default(),
    });
    for disk in DISKS {
        config.disks.push(
            serde_json::from_value::<DiskSeed>(serde_json::json!({
                "id": disk, "instance_id": INSTANCE, "zone_id": ZONE,
            }))
            .unwrap(),
        );
    }
    config
}

/// A running gateway and simulator.
pub struct Harness {
    pub sim: SimHandle,
    pub addr: SocketAddr,
    pub pki: Pki,
    pub metrics: Metrics,
    pub registry: prometheus_client::registry::Registry,
    pub auth: Arc<Authenticator>,
    insecure_dev: bool,
    stop: Option<oneshot::Sender<()>>,
    serving: Option<tokio::task::JoinHandle<Result<(), ecs_gateway::Error>>>,
}

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

fn temp_dir() -> PathBuf {
    let n = NEXT_DIR.fetch_add(1, Ordering::SeqCst);
    std::env::temp_dir().join(format!("ecs-gateway-test-{}-{n}", std::process::id()))
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Self {
        let sim = ecs_sim::spawn(options.sim).await.unwrap();
        let pki = Pki::new(&temp_dir(), "gateway");
        let metrics = Metrics::default();
        let mut registry = prometheus_client::registry::Registry::default();
        metrics.register(&mut registry);

        let credentials = options.credentials.map(|factory| factory(&sim));
        let ecs = ecs_client_with(&sim, credentials);
        let scheduler = Arc::new(Scheduler::start(options.limits, metrics.clone()).unwrap());
        let backend = Arc::new(LimitedEcs::new(
            ecs,
            scheduler,
            options.retry,
            metrics.clone(),
        ));
        let allow_list = AllowList::parse(&options.allow_list).unwrap();
        let auth = if options.insecure_dev {
            Arc::new(Authenticator::insecure_dev(metrics.clone()))
        } else {
            Arc::new(Authenticator::new(
                allow_list,
                options.reviewer,
                metrics.clone(),
            ))
        };
        let service = GatewayService::new(backend, auth.clone(), REGION, metrics.clone());

        let server_files = pki.server();
        let tls = TlsFiles {
            cert: server_files.cert,
            key: server_files.key,
            client_ca: Some(pki.ca_file.clone()),
            require_client_cert: options.require_client_cert,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let readiness = service_runtime::Readiness::new();
        readiness.set(true);
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(server::serve(
            listener,
            service,
            (!options.insecure_dev).then(|| tls.server_config().unwrap()),
            readiness,
            options.insecure_dev,
            async move {
                let _ = stopped.await;
            },
        ));

        Self {
            sim,
            addr,
            pki,
            metrics,
            registry,
            auth,
            insecure_dev: options.insecure_dev,
            stop: Some(stop),
            serving: Some(serving),
        }
    }

    /// Connection settings for a caller with a certificate for `identity`.
    pub fn connect_config(&self, identity: Option<&str>) -> ConnectConfig {
        if self.insecure_dev {
            let endpoint = format!("http://127.0.0.1:{}", self.addr.port());
            return ConnectConfig {
                endpoint,
                ..ConnectConfig::default()
            };
        }
        let files = identity.map(|name| self.pki.client(name));
        ConnectConfig {
            endpoint: format!("https://localhost:{}", self.addr.port()),
            ca_file: Some(self.pki.ca_file.clone()),
            cert_file: files.as_ref().map(|f| f.cert.clone()),
            key_file: files.as_ref().map(|f| f.key.clone()),
            connect_timeout: Some(Duration::from_secs(5)),
            ..ConnectConfig::default()
        }
    }

    /// A connected client for `identity`.
    pub async fn client(&self, identity: &str) -> GatewayClient {
        self.connect_config(Some(identity)).connect().await.unwrap()
    }

    /// The Prometheus text of the gateway's metrics.
    pub fn metrics_text(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).unwrap();
        text
    }

    /// Stops the gateway, letting in-flight calls finish; returns the server's result.
    pub async fn stop(mut self) -> Result<(), ecs_gateway::Error> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.serving.take().unwrap().await.unwrap()
    }
}

/// The production backend pointed at the simulator.
pub fn backend(
    sim: &SimHandle,
    limits: LimitsConfig,
    retry: RetryConfig,
    metrics: Metrics,
) -> LimitedEcs {
    let scheduler = Arc::new(Scheduler::start(limits, metrics.clone()).unwrap());
    LimitedEcs::new(ecs_client(sim), scheduler, retry, metrics)
}

/// An ECS client for the simulator, with its default key pair.
pub fn ecs_client(sim: &SimHandle) -> EcsClient {
    ecs_client_with(sim, None)
}

/// An ECS client for the simulator with `credentials`, or its default key pair.
pub fn ecs_client_with(
    sim: &SimHandle,
    credentials: Option<Arc<dyn CredentialsProvider>>,
) -> EcsClient {
    let credentials = credentials.unwrap_or_else(|| {
        let pair = Credentials::access_key(
            ecs_sim::DEFAULT_ACCESS_KEY_ID,
            ecs_sim::DEFAULT_ACCESS_KEY_SECRET,
        )
        .unwrap();
        Arc::new(StaticCredentials::new(pair))
    });
    let mut config = ClientConfig::new(Endpoint::url(&sim.base_url()).unwrap());
    config.request_timeout = Duration::from_secs(5);
    config.read_timeout = Duration::from_secs(5);
    EcsClient::new(config, credentials).unwrap()
}

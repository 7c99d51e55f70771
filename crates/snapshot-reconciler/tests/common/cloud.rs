//! An ECS simulator behind an in-process ecs-gateway (plaintext, development authentication),
//! reached by the reconciler's production [`GatewayCatalog`].

use std::{sync::Arc, time::Duration};

use controller_support::gateway::Gateway;
use ecs_client::{
    ClientConfig, EcsClient, Endpoint,
    credentials::{Credentials, StaticCredentials},
};
use ecs_gateway::{
    auth::Authenticator,
    backend::{limited::LimitedEcs, retry::RetryConfig},
    limiter::{LimitsConfig, Scheduler},
    metrics::Metrics,
    service::GatewayService,
};
use ecs_gateway_api::{ConnectConfig, GatewayClient, v1};
use ecs_sim::{DiskSeed, InstanceSeed, InstanceStatus, SimConfig, SimHandle};
use snapshot_reconciler::ecs::GatewayCatalog;
use tokio_util::sync::CancellationToken;

pub const REGION: &str = "cn-hangzhou";
const ZONE: &str = "cn-hangzhou-h";
const INSTANCE: &str = "i-e2e1";

/// The simulator, the gateway in front of it and a client for the test's own ECS calls.
pub struct Cloud {
    pub sim: SimHandle,
    pub catalog: Arc<GatewayCatalog>,
    pub gateway: Arc<Gateway>,
    stop: CancellationToken,
}

impl Drop for Cloud {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Cloud {
    /// A region with one running instance carrying `disks`.
    pub async fn start(disks: &[&str]) -> Self {
        ecs_client::install_crypto_provider();
        let sim = ecs_sim::spawn(sim_config(disks))
            .await
            .expect("ecs-sim starts");
        let metrics = Metrics::default();
        let retry = RetryConfig {
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
            throttled_min_delay: Duration::from_millis(10),
            ..RetryConfig::default()
        };
        let limits = LimitsConfig {
            account_rate: 1000.0,
            account_burst: 100,
            default_action_rate: 1000.0,
            ..LimitsConfig::default()
        };
        let scheduler = Arc::new(Scheduler::start(limits, metrics.clone()).unwrap());
        let backend = LimitedEcs::new(ecs_client(&sim), scheduler, retry, metrics.clone());
        let auth = Arc::new(Authenticator::insecure_dev(metrics.clone()));
        let service = GatewayService::new(Arc::new(backend), auth, REGION, metrics);

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = CancellationToken::new();
        let readiness = service_runtime::Readiness::new();
        readiness.set(true);
        let stopped = stop.clone().cancelled_owned();
        tokio::spawn(ecs_gateway::server::serve(
            listener, service, None, readiness, true, stopped,
        ));

        let config = ConnectConfig {
            endpoint: format!("http://127.0.0.1:{port}"),
            connect_timeout: Some(Duration::from_secs(5)),
            ..ConnectConfig::default()
        };
        let gateway = Arc::new(Gateway::from_config(config, Duration::from_secs(10)).unwrap());
        let catalog = Arc::new(GatewayCatalog::new(gateway.clone(), REGION));
        Self {
            sim,
            catalog,
            gateway,
            stop,
        }
    }

    pub fn client(&self) -> GatewayClient {
        self.gateway.client()
    }

    /// An ECS automatic policy firing every hour of every day, keeping snapshots `days`, applied
    /// to `disk` (what policy-listener and pvc-reconciler do in production).
    pub async fn hourly_policy_on(&self, disk: &str, days: i32) -> String {
        let mut client = self.client();
        let created = client
            .create_auto_snapshot_policy(v1::CreateAutoSnapshotPolicyRequest {
                region_id: REGION.into(),
                name: "e2e-hourly".into(),
                time_points: (0..24).collect(),
                repeat_weekdays: (1..=7).collect(),
                retention_days: days,
                tags: vec![],
            })
            .await
            .expect("policy created")
            .into_inner();
        let id = created.auto_snapshot_policy_id;
        client
            .apply_auto_snapshot_policy(v1::ApplyAutoSnapshotPolicyRequest {
                region_id: REGION.into(),
                auto_snapshot_policy_id: id.clone(),
                disk_ids: vec![disk.into()],
            })
            .await
            .expect("policy applied");
        id
    }

    /// Takes the policy off `disk`, so no more snapshots come.
    pub async fn cancel_policy(&self, policy: &str, disk: &str) {
        self.client()
            .cancel_auto_snapshot_policy(v1::CancelAutoSnapshotPolicyRequest {
                region_id: REGION.into(),
                auto_snapshot_policy_id: policy.into(),
                disk_ids: vec![disk.into()],
            })
            .await
            .expect("policy cancelled");
    }

    /// Moves the ECS clock forward.
    pub async fn advance(&self, seconds: u64) {
        self.sim
            .admin()
            .advance(seconds)
            .await
            .expect("clock moves");
    }

    /// How many DescribeSnapshots calls ECS has answered.
    pub async fn describe_calls(&self) -> u64 {
        let counters = self.sim.admin().counters().await.unwrap();
        counters
            .calls
            .get("DescribeSnapshots")
            .map(|codes| codes.values().sum())
            .unwrap_or(0)
    }
}

fn sim_config(disks: &[&str]) -> SimConfig {
    let mut config = SimConfig::default();
    config.instances.push(InstanceSeed {
        id: INSTANCE.into(),
        region_id: None,
        zone_id: ZONE.into(),
        status: InstanceStatus::Running,
        tags: Default::default(),
    });
    for disk in disks {
        let seed = serde_json::json!({"id": disk, "instance_id": INSTANCE, "zone_id": ZONE});
        config
            .disks
            .push(serde_json::from_value::<DiskSeed>(seed).unwrap());
    }
    config
}

fn ecs_client(sim: &SimHandle) -> EcsClient {
    let credentials = Credentials::access_key(
        ecs_sim::DEFAULT_ACCESS_KEY_ID,
        ecs_sim::DEFAULT_ACCESS_KEY_SECRET,
    )
    .unwrap();
    let mut config = ClientConfig::new(Endpoint::url(&sim.base_url()).unwrap());
    config.request_timeout = Duration::from_secs(5);
    config.read_timeout = Duration::from_secs(5);
    EcsClient::new(config, Arc::new(StaticCredentials::new(credentials))).unwrap()
}

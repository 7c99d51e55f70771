//! The whole chain in one process: kube-sim ← policy-listener → ecs-gateway → ecs-sim.
//!
//! The gateway is the real `GatewayService` with the production backend (rate limiter, retries,
//! ecs-client signing) pointed at the simulator; it runs in insecure development mode because
//! its mutual TLS is the gateway's own tests' business.

#![allow(dead_code)]

use std::{collections::BTreeMap, future::Future, sync::Arc, time::Duration};

use controller_support::{
    backoff::{BackoffConfig, PerObjectBackoff},
    events::EventPublisher,
    gateway::Gateway,
};
use ecs_client::{
    ClientConfig, EcsClient, Endpoint,
    credentials::{Credentials, StaticCredentials},
};
use ecs_gateway::{
    auth::Authenticator,
    backend::{limited::LimitedEcs, retry::RetryConfig},
    limiter::{LimitsConfig, Scheduler},
    metrics::Metrics as GatewayMetrics,
    service::GatewayService,
};
use ecs_gateway_api::ConnectConfig;
use ecs_sim::{DiskSeed, InstanceSeed, InstanceStatus, SimConfig, StateDump};
use k8s_openapi::{
    api::{
        core::v1::{PersistentVolume, PersistentVolumeClaim},
        events::v1::Event,
    },
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api, Client, CustomResourceExt, ResourceExt,
    api::{ListParams, Patch, PatchParams, PostParams},
    config::{KubeConfigOptions, Kubeconfig},
};
use policy_listener::{
    args::TimingArgs,
    clock::ManualClock,
    controller::{self, Context},
    metrics::Metrics,
};
use serde_json::json;
use snapshot_domain::{ecs_naming::ClusterId, schedule::ScheduleZone};
use snapshot_k8s::{managed::DiskDrivers, vsp::VolumeSnapshotPolicy};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const REGION: &str = "cn-hangzhou";
pub const ZONE: &str = "cn-hangzhou-h";
pub const INSTANCE: &str = "i-web1";
pub const CLUSTER: &str = "c-test";
pub const DISKS: [&str; 3] = ["d-web1", "d-web2", "d-web3"];
const DRIVER: &str = "diskplugin.csi.alibabacloud.com";

/// Simulators, gateway and a controller that can be killed and started again.
pub struct Chain {
    pub kube_sim: kube_sim::SimHandle,
    pub ecs_sim: ecs_sim::SimHandle,
    pub client: Client,
    pub clock: ManualClock,
    gateway_addr: std::net::SocketAddr,
    gateway_stop: CancellationToken,
    controller: Option<(CancellationToken, JoinHandle<()>)>,
}

impl Chain {
    /// Starts everything with one instance carrying three attached ESSD disks, and the controller.
    pub async fn start() -> Self {
        Self::start_at(None).await
    }

    /// As [`Chain::start`], with the ECS clock starting at `clock_start`.
    pub async fn start_at(clock_start: Option<snapshot_domain::Timestamp>) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let _ = tracing_subscriber::fmt()
            .with_env_filter(std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()))
            .with_test_writer()
            .try_init();
        let mut config = sim_config();
        config.timing.clock_start = clock_start;
        let ecs_sim = ecs_sim::spawn(config).await.unwrap();
        let (kube_sim, client) = kube().await;
        install_crd(&client).await;
        let (gateway_addr, gateway_stop) = gateway(&ecs_sim).await;
        let now = ecs_sim.admin().now().await.unwrap();
        let mut chain = Self {
            kube_sim,
            ecs_sim,
            client,
            clock: ManualClock::new(now),
            gateway_addr,
            gateway_stop,
            controller: None,
        };
        chain.start_controller();
        chain
    }

    /// Starts a controller with fresh state (caches, backoff, event recorder), as a restarted
    /// process would have.
    pub fn start_controller(&mut self) {
        let config = ConnectConfig {
            endpoint: format!("http://{}", self.gateway_addr),
            connect_timeout: Some(Duration::from_secs(2)),
            ..ConnectConfig::default()
        };
        let mut registry = prometheus_client::registry::Registry::default();
        let ctx = Arc::new(Context {
            client: self.client.clone(),
            gateway: Gateway::from_config(config, Duration::from_secs(10)).unwrap(),
            region: REGION.into(),
            cluster: ClusterId::new(CLUSTER).unwrap(),
            default_zone: ScheduleZone::named("Asia/Shanghai").unwrap(),
            drivers: DiskDrivers::default(),
            events: EventPublisher::new(self.client.clone(), "policy-listener", None),
            backoff: PerObjectBackoff::new(BackoffConfig {
                soon: Duration::from_millis(100),
                later: Duration::from_millis(300),
                permanent: Duration::from_secs(2),
                max: Duration::from_secs(2),
            }),
            metrics: Metrics::register(&mut registry),
            clock: Arc::new(self.clock.clone()),
            timing: TimingArgs {
                resync_period: Duration::from_secs(3),
                snapshot_poll_interval: Duration::from_millis(200),
            },
        });
        let token = CancellationToken::new();
        let task = tokio::spawn(controller::run(ctx, token.clone()));
        self.controller = Some((token, task));
    }

    /// Drops the controller mid-whatever it is doing, like SIGKILL.
    pub async fn kill_controller(&mut self) {
        if let Some((_, task)) = self.controller.take() {
            task.abort();
            let _ = task.await;
        }
    }

    pub async fn restart_controller(&mut self) {
        self.kill_controller().await;
        self.start_controller();
    }

    /// A gateway client for what a test does besides the controller.
    pub async fn gateway_client(&self) -> ecs_gateway_api::GatewayClient {
        let config = ConnectConfig {
            endpoint: format!("http://{}", self.gateway_addr),
            ..ConnectConfig::default()
        };
        config.connect().await.unwrap()
    }

    pub fn vsps(&self) -> Api<VolumeSnapshotPolicy> {
        Api::all(self.client.clone())
    }

    pub async fn ecs(&self) -> StateDump {
        self.ecs_sim.admin().state().await.unwrap()
    }

    /// Moves the ECS clock and the controller's clock together.
    pub async fn advance(&self, seconds: u64) {
        let moved = self.ecs_sim.admin().advance(seconds).await.unwrap();
        let _ = moved;
        self.clock.set(self.ecs_sim.admin().now().await.unwrap());
    }

    pub async fn set_time(&self, now: snapshot_domain::Timestamp) {
        self.ecs_sim.admin().set_clock(now).await.unwrap();
        self.clock.set(now);
    }

    /// A PV of the disk CSI driver for `disk`, and a bound PVC `default/<name>` with `labels`.
    pub async fn bound_pvc(&self, name: &str, disk: &str, labels: &[(&str, &str)]) {
        let pvs: Api<PersistentVolume> = Api::all(self.client.clone());
        let pv = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": format!("pv-{name}")},
            "spec": {
                "capacity": {"storage": "40Gi"}, "accessModes": ["ReadWriteOnce"],
                "csi": {"driver": DRIVER, "volumeHandle": disk},
                "claimRef": {"namespace": "default", "name": name},
            },
        }))
        .unwrap();
        pvs.create(&PostParams::default(), &pv).await.unwrap();

        let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(self.client.clone(), "default");
        let labels: BTreeMap<&str, &str> = labels.iter().copied().collect();
        let pvc = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": "default", "labels": labels},
            "spec": {
                "accessModes": ["ReadWriteOnce"], "volumeName": format!("pv-{name}"),
                "resources": {"requests": {"storage": "40Gi"}},
            },
        }))
        .unwrap();
        pvcs.create(&PostParams::default(), &pvc).await.unwrap();
        let bound = json!({"status": {"phase": "Bound"}});
        pvcs.patch_status(name, &PatchParams::default(), &Patch::Merge(&bound))
            .await
            .unwrap();
    }

    /// Creates a VSP from a JSON spec.
    pub async fn create_vsp(&self, name: &str, spec: serde_json::Value) -> VolumeSnapshotPolicy {
        let vsp = serde_json::from_value(json!({
            "apiVersion": "storage.alibabacloud.com/v1beta1",
            "kind": "VolumeSnapshotPolicy",
            "metadata": {"name": name},
            "spec": spec,
        }))
        .unwrap();
        self.vsps()
            .create(&PostParams::default(), &vsp)
            .await
            .unwrap()
    }

    /// Merge-patches a VSP.
    pub async fn patch_vsp(&self, name: &str, patch: serde_json::Value) {
        self.vsps()
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap();
    }

    /// Waits until `check` holds for the VSP (or panics with the last state after 20s).
    pub async fn wait_vsp(
        &self,
        name: &str,
        what: &str,
        check: impl Fn(&VolumeSnapshotPolicy) -> bool,
    ) -> VolumeSnapshotPolicy {
        let mut last = None;
        for _ in 0..400 {
            if let Some(vsp) = self.vsps().get_opt(name).await.unwrap() {
                if check(&vsp) {
                    return vsp;
                }
                last = Some(vsp);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}; last VSP: {last:#?}");
    }

    /// Waits until `check` holds for the ECS state.
    pub async fn wait_ecs(&self, what: &str, check: impl Fn(&StateDump) -> bool) -> StateDump {
        let mut last = None;
        for _ in 0..400 {
            let state = self.ecs().await;
            if check(&state) {
                return state;
            }
            last = Some(state);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}; last ECS state: {last:#?}");
    }

    /// Reasons of the Events about VSP `name`, oldest first.
    pub async fn event_reasons(&self, name: &str) -> Vec<String> {
        let events: Api<Event> = Api::namespaced(self.client.clone(), "default");
        let mut list: Vec<Event> = events
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
            .collect();
        list.sort_by_key(|e| e.event_time.as_ref().map(|t| t.0));
        list.into_iter().filter_map(|e| e.reason).collect()
    }

    /// Waits until an Event with `reason` about `name` exists.
    pub async fn wait_event(&self, name: &str, reason: &str) {
        for _ in 0..200 {
            if self.event_reasons(name).await.iter().any(|r| r == reason) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "no {reason} event for {name}: {:?}",
            self.event_reasons(name).await
        );
    }

    pub async fn stop(mut self) {
        self.kill_controller().await;
        self.gateway_stop.cancel();
    }
}

/// The VSP's `Ready` condition as `(status, reason)`.
pub fn ready(vsp: &VolumeSnapshotPolicy) -> Option<(String, String)> {
    let status = vsp.status.as_ref()?;
    let c = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Ready")?;
    Some((c.status.clone(), c.reason.clone()))
}

/// ECS policies and snapshots tagged with `uid`.
pub fn owned_policies<'a>(state: &'a StateDump, uid: &str) -> Vec<&'a ecs_sim::Policy> {
    state
        .policies
        .iter()
        .filter(|p| p.tags.values().any(|v| v == uid))
        .collect()
}

pub fn uid(vsp: &VolumeSnapshotPolicy) -> String {
    vsp.uid().unwrap()
}

/// Runs `f` with a deadline so a hung chain fails the test instead of CI.
pub async fn within<F: Future>(seconds: u64, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(seconds), f)
        .await
        .expect("test took too long")
}

fn sim_config() -> SimConfig {
    let mut config = SimConfig {
        regions: vec![REGION.into()],
        ..SimConfig::default()
    };
    config.instances.push(InstanceSeed {
        id: INSTANCE.into(),
        region_id: None,
        zone_id: ZONE.into(),
        status: InstanceStatus::Running,
        tags: Default::default(),
    });
    for disk in DISKS {
        let seed: DiskSeed =
            serde_json::from_value(json!({"id": disk, "instance_id": INSTANCE, "zone_id": ZONE}))
                .unwrap();
        config.disks.push(seed);
    }
    config
}

async fn kube() -> (kube_sim::SimHandle, Client) {
    let sim = kube_sim::spawn(kube_sim::Config::default()).await.unwrap();
    let kubeconfig = Kubeconfig::from_yaml(&sim.kubeconfig).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    let client = Client::try_from(config).unwrap();
    (sim, client)
}

async fn install_crd(client: &Client) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &VolumeSnapshotPolicy::crd())
        .await
        .unwrap();
    let vsps: Api<VolumeSnapshotPolicy> = Api::all(client.clone());
    for _ in 0..100 {
        if vsps.list(&ListParams::default()).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the VolumeSnapshotPolicy CRD never became served");
}

async fn gateway(sim: &ecs_sim::SimHandle) -> (std::net::SocketAddr, CancellationToken) {
    let metrics = GatewayMetrics::default();
    let limits = LimitsConfig {
        account_rate: 500.0,
        account_burst: 50,
        default_action_rate: 500.0,
        action_rates: Default::default(),
        ..LimitsConfig::default()
    };
    let retry = RetryConfig {
        max_retries: 2,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        throttled_min_delay: Duration::from_millis(10),
    };
    let scheduler = Arc::new(Scheduler::start(limits, metrics.clone()).unwrap());
    let backend = LimitedEcs::new(ecs_client(sim), scheduler, retry, metrics.clone());
    let auth = Arc::new(Authenticator::insecure_dev(metrics.clone()));
    let service = GatewayService::new(Arc::new(backend), auth, REGION, metrics);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let readiness = service_runtime::Readiness::new();
    readiness.set(true);
    let stopped = stop.clone().cancelled_owned();
    tokio::spawn(ecs_gateway::server::serve(
        listener, service, None, readiness, true, stopped,
    ));
    (addr, stop)
}

fn ecs_client(sim: &ecs_sim::SimHandle) -> EcsClient {
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

//! The whole chain in one process: kube-sim ← pvc-reconciler → ecs-gateway → ecs-sim.
//!
//! policy-listener is not running: tests create ECS policies through the gateway (tagged like
//! policy-listener tags them) and record their IDs in the VSP status themselves, so each test
//! controls exactly when a policy's ID appears.

#![allow(dead_code)]

use std::{collections::BTreeMap, future::Future, sync::Arc, time::Duration};

use controller_support::{backoff::BackoffConfig, events::EventPublisher, gateway::Gateway};
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
use ecs_gateway_api::{ConnectConfig, v1};
use ecs_sim::{AccountMode as SimMode, DiskSeed, SimConfig, StateDump};
use k8s_openapi::{
    api::{
        core::v1::{PersistentVolume, PersistentVolumeClaim},
        events::v1::Event,
    },
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api, Client, CustomResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams, PostParams},
    config::{KubeConfigOptions, Kubeconfig},
};
use pvc_reconciler::{
    args::{AccountMode, ReconcilerArgs},
    controller::{self, Context},
    metrics::Metrics,
};
use serde_json::json;
use snapshot_domain::{
    ecs_naming::{ClusterId, PolicyOwner},
    schedule::ScheduleZone,
};
use snapshot_k8s::{managed::DiskDrivers, vsp::VolumeSnapshotPolicy};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const REGION: &str = "cn-hangzhou";
pub const ZONE: &str = "cn-hangzhou-h";
pub const CLUSTER: &str = "c-test";
const DRIVER: &str = "diskplugin.csi.alibabacloud.com";

/// Disk ID number `i` as seeded in the simulator.
pub fn disk(i: usize) -> String {
    format!("d-{i:04}")
}

/// Simulators, gateway and a reconciler that can be killed and started again.
pub struct Chain {
    pub kube_sim: kube_sim::SimHandle,
    pub ecs_sim: ecs_sim::SimHandle,
    pub client: Client,
    pub gateway: Arc<Gateway>,
    pub settings: ReconcilerArgs,
    gateway_stop: CancellationToken,
    controller: Option<(CancellationToken, JoinHandle<()>)>,
}

impl Chain {
    /// Starts everything with `disks` detached ESSD disks (`d-0000`…) and the reconciler.
    pub async fn start(disks: usize, settings: ReconcilerArgs) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let _ = tracing_subscriber::fmt()
            .with_env_filter(std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()))
            .with_test_writer()
            .try_init();
        let ecs_sim = ecs_sim::spawn(sim_config(disks, settings.ecs_account_mode))
            .await
            .unwrap();
        let (kube_sim, client) = kube().await;
        install_crd(&client).await;
        let (gateway_addr, gateway_stop) = gateway(&ecs_sim).await;
        let config = ConnectConfig {
            endpoint: format!("http://{gateway_addr}"),
            connect_timeout: Some(Duration::from_secs(2)),
            ..ConnectConfig::default()
        };
        let gateway = Arc::new(Gateway::from_config(config, Duration::from_secs(10)).unwrap());
        let mut chain = Self {
            kube_sim,
            ecs_sim,
            client,
            gateway,
            settings,
            gateway_stop,
            controller: None,
        };
        chain.start_controller();
        chain
    }

    /// Settings for tests: fast batching; resync as given.
    pub fn settings(mode: AccountMode, resync: Duration) -> ReconcilerArgs {
        ReconcilerArgs {
            ecs_account_mode: mode,
            take_over_foreign_policies: false,
            resync_period: resync,
            batch_delay: Duration::from_millis(100),
        }
    }

    /// Starts a reconciler with fresh memory, as a restarted process (or new leader) has.
    pub fn start_controller(&mut self) {
        let mut registry = prometheus_client::registry::Registry::default();
        let ctx = Arc::new(Context {
            client: self.client.clone(),
            gateway: self.gateway.clone(),
            region: REGION.into(),
            cluster: ClusterId::new(CLUSTER).unwrap(),
            default_zone: ScheduleZone::named("Asia/Shanghai").unwrap(),
            drivers: DiskDrivers::default(),
            events: EventPublisher::new(self.client.clone(), "pvc-reconciler", None),
            metrics: Metrics::register(&mut registry),
            settings: self.settings.clone(),
            backoff: BackoffConfig {
                soon: Duration::from_millis(100),
                later: Duration::from_millis(300),
                permanent: Duration::from_secs(1),
                max: Duration::from_secs(1),
            },
        });
        let token = CancellationToken::new();
        let task = tokio::spawn(controller::run(ctx, token.clone()));
        self.controller = Some((token, task));
    }

    /// Drops the reconciler mid-whatever it is doing, like SIGKILL.
    pub async fn kill_controller(&mut self) {
        if let Some((token, task)) = self.controller.take() {
            token.cancel();
            task.abort();
            let _ = task.await;
        }
    }

    pub fn vsps(&self) -> Api<VolumeSnapshotPolicy> {
        Api::all(self.client.clone())
    }

    fn pvcs(&self) -> Api<PersistentVolumeClaim> {
        Api::namespaced(self.client.clone(), "default")
    }

    pub async fn ecs(&self) -> StateDump {
        self.ecs_sim.admin().state().await.unwrap()
    }

    /// The policies on `disk` in ECS, in the order applied.
    pub async fn policies_on(&self, disk: &str) -> Vec<String> {
        let state = self.ecs().await;
        let found = state.disks.iter().find(|d| d.id == disk);
        found.map(|d| d.policy_ids.clone()).unwrap_or_default()
    }

    /// Successful calls of `action` since the last reset.
    pub async fn calls(&self, action: &str) -> u64 {
        let counters = self.ecs_sim.admin().counters().await.unwrap();
        counters.get(action, ecs_sim::SUCCESS)
    }

    /// Waits until the reconciler has stopped calling ECS (no new call for 600ms), so that
    /// counters reset afterwards measure only what the test does next.
    pub async fn settle(&self) {
        const ACTIONS: [&str; 4] = [
            "DescribeDisks",
            "DescribeAutoSnapshotPolicyEx",
            "ApplyAutoSnapshotPolicy",
            "CancelAutoSnapshotPolicy",
        ];
        let (mut last, mut quiet) = (u64::MAX, 0);
        for _ in 0..200 {
            let counters = self.ecs_sim.admin().counters().await.unwrap();
            let total: u64 = ACTIONS.iter().map(|a| counters.total(a)).sum();
            quiet = if total == last { quiet + 1 } else { 0 };
            if quiet == 3 {
                return;
            }
            last = total;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("the reconciler never stopped calling ECS");
    }

    /// A PV `pv-<name>` of the disk driver (reclaim `policy`) for `disk`, and a bound PVC
    /// `default/<name>` with `labels`.
    pub async fn bound_pvc(&self, name: &str, disk: &str, labels: &[(&str, &str)]) {
        let pvs: Api<PersistentVolume> = Api::all(self.client.clone());
        let pv = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": format!("pv-{name}")},
            "spec": {
                "capacity": {"storage": "40Gi"}, "accessModes": ["ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": "Retain",
                "csi": {"driver": DRIVER, "volumeHandle": disk},
                "claimRef": {"namespace": "default", "name": name},
            },
        }))
        .unwrap();
        pvs.create(&PostParams::default(), &pv).await.unwrap();

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
        self.pvcs()
            .create(&PostParams::default(), &pvc)
            .await
            .unwrap();
        let bound = json!({"status": {"phase": "Bound"}});
        self.pvcs()
            .patch_status(name, &PatchParams::default(), &Patch::Merge(&bound))
            .await
            .unwrap();
    }

    /// Sets (`Some`) or removes (`None`) label `key` on PVC `name`.
    pub async fn label(&self, name: &str, key: &str, value: Option<&str>) {
        let patch = json!({"metadata": {"labels": {key: value}}});
        self.pvcs()
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap();
    }

    pub async fn delete_pvc(&self, name: &str) {
        self.pvcs()
            .delete(name, &DeleteParams::default())
            .await
            .unwrap();
    }

    pub async fn delete_pv(&self, name: &str) {
        let pvs: Api<PersistentVolume> = Api::all(self.client.clone());
        pvs.delete(&format!("pv-{name}"), &DeleteParams::default())
            .await
            .unwrap();
    }

    /// Creates a weekly VSP selecting `app=<app>`.
    pub async fn create_vsp(&self, name: &str, app: &str) -> VolumeSnapshotPolicy {
        let vsp = serde_json::from_value(json!({
            "apiVersion": "storage.alibabacloud.com/v1beta1",
            "kind": "VolumeSnapshotPolicy",
            "metadata": {"name": name},
            "spec": {
                "pvcSelector": {"matchLabels": {"app": app}},
                "snapshotSchedule": {"repeatWeekdays": ["1"], "timePoints": ["2"]},
            },
        }))
        .unwrap();
        self.vsps()
            .create(&PostParams::default(), &vsp)
            .await
            .unwrap()
    }

    /// Creates the VSP's ECS policy, tagged as policy-listener tags it, and records its ID in
    /// the VSP status (policy-listener's job in production).
    pub async fn give_ecs_policy(&self, vsp: &VolumeSnapshotPolicy) -> String {
        let name = vsp.metadata.name.clone().unwrap();
        let uid = vsp.metadata.uid.clone().unwrap();
        let owner = PolicyOwner::new(ClusterId::new(CLUSTER).unwrap(), &name, &uid).unwrap();
        let tags = owner.tags().into_iter().map(|t| v1::Tag {
            key: t.key,
            value: t.value,
        });
        let id = self
            .create_policy(&owner.ecs_policy_name(), tags.collect())
            .await;
        let status = json!({"status": {"ecsPolicyId": id}});
        self.vsps()
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
            .await
            .unwrap();
        id
    }

    /// A policy made outside this cluster (no cluster tag), applied to `disks`.
    pub async fn foreign_policy(&self, disks: &[String]) -> String {
        let id = self.create_policy("by-hand", Vec::new()).await;
        self.apply(&id, disks).await;
        id
    }

    /// Applies `policy` to `disks` behind the reconciler's back.
    pub async fn apply(&self, policy: &str, disks: &[String]) {
        let request = v1::ApplyAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            auto_snapshot_policy_id: policy.into(),
            disk_ids: disks.to_vec(),
        };
        self.gateway
            .client()
            .apply_auto_snapshot_policy(request)
            .await
            .unwrap();
    }

    /// Cancels `policy` on `disks` behind the reconciler's back.
    pub async fn cancel(&self, policy: &str, disks: &[String]) {
        let request = v1::CancelAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            auto_snapshot_policy_id: policy.into(),
            disk_ids: disks.to_vec(),
        };
        self.gateway
            .client()
            .cancel_auto_snapshot_policy(request)
            .await
            .unwrap();
    }

    async fn create_policy(&self, name: &str, tags: Vec<v1::Tag>) -> String {
        let request = v1::CreateAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            name: name.into(),
            time_points: vec![2],
            repeat_weekdays: vec![1],
            retention_days: 7,
            tags,
        };
        let answer = self
            .gateway
            .client()
            .create_auto_snapshot_policy(request)
            .await;
        answer.unwrap().into_inner().auto_snapshot_policy_id
    }

    /// Waits until `check` holds for the ECS state (or panics with it after 20s).
    pub async fn wait_ecs(&self, what: &str, check: impl Fn(&StateDump) -> bool) -> StateDump {
        let mut last = None;
        for _ in 0..200 {
            let state = self.ecs().await;
            if check(&state) {
                return state;
            }
            last = Some(state.disks);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for {what}; last disks: {last:#?}");
    }

    /// Waits until `disk` carries exactly `policies` (in any order).
    pub async fn wait_policies(&self, disk: &str, policies: &[&str]) {
        let mut want: Vec<&str> = policies.to_vec();
        want.sort_unstable();
        self.wait_ecs(&format!("{disk} carrying {want:?}"), |s| {
            s.disks.iter().any(|d| {
                let mut have: Vec<&str> = d.policy_ids.iter().map(String::as_str).collect();
                have.sort_unstable();
                d.id == disk && have == want
            })
        })
        .await;
    }

    /// Waits until `check` holds for VSP `name`.
    pub async fn wait_vsp(
        &self,
        name: &str,
        what: &str,
        check: impl Fn(&VolumeSnapshotPolicy) -> bool,
    ) -> VolumeSnapshotPolicy {
        let mut last = None;
        for _ in 0..200 {
            if let Some(vsp) = self.vsps().get_opt(name).await.unwrap() {
                if check(&vsp) {
                    return vsp;
                }
                last = Some(vsp.status);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for {what}; last status: {last:#?}");
    }

    /// Reasons of the Events about object `name` (any namespace), oldest first.
    pub async fn event_reasons(&self, name: &str) -> Vec<String> {
        let events: Api<Event> = Api::all(self.client.clone());
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
            tokio::time::sleep(Duration::from_millis(100)).await;
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

/// Runs `f` with a deadline so a hung chain fails the test instead of CI.
pub async fn within<F: Future>(seconds: u64, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(seconds), f)
        .await
        .expect("test took too long")
}

fn sim_config(disks: usize, mode: AccountMode) -> SimConfig {
    let mut config = SimConfig {
        regions: vec![REGION.into()],
        ..SimConfig::default()
    };
    config.account.mode = match mode {
        AccountMode::Classic => SimMode::Classic,
        AccountMode::Upgraded => SimMode::Upgraded,
    };
    for i in 0..disks {
        let seed: DiskSeed =
            serde_json::from_value(json!({"id": disk(i), "zone_id": ZONE})).unwrap();
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
    (sim, Client::try_from(config).unwrap())
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
        account_rate: 1000.0,
        account_burst: 100,
        default_action_rate: 1000.0,
        action_rates: Default::default(),
        ..LimitsConfig::default()
    };
    let retry = RetryConfig {
        max_retries: 1,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(30),
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

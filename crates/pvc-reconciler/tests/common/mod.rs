//! The whole chain in one process: kube-sim ← pvc-reconciler → ecs-gateway → ecs-sim.
//!
//! policy-listener is not running: tests create ECS policies through the gateway (tagged like
//! policy-listener tags them) and record their IDs in the VSP status themselves, so each test
//! controls exactly when a policy's ID appears. The simulators, the gateway (development mode),
//! fixtures and waits come from ssm-test-support; the reconciler's wiring and the views of ECS
//! the tests assert on stay here.

#![allow(dead_code)]

use std::{sync::Arc, time::Duration};

use controller_support::{backoff::BackoffConfig, events::EventPublisher, gateway::Gateway};
use ecs_gateway_api::v1;
use ecs_sim::{AccountMode as SimMode, StateDump};
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use kube::{
    Api, Client,
    api::{DeleteParams, Patch, PatchParams, PostParams},
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
use ssm_test_support::{
    cloud_world::{
        self, CloudOptions, GatewayServer,
        policies::{self, PolicySchedule},
        seed,
    },
    controller_world::ControllerWorld,
    fixtures::{self, BoundPvc},
    kube_world,
    waiting::Poll,
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[allow(unused_imports)] // Not every test binary uses every name.
pub use ssm_test_support::{
    cloud_world::{REGION, ZONE},
    waiting::within,
};

pub const CLUSTER: &str = "c-test";

/// How the waits poll: every 100 ms, for at most 20 s.
const WAIT: Poll = Poll::new(Duration::from_millis(100), Duration::from_secs(20));

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
    /// Stops the gateway when the chain is dropped.
    server: GatewayServer,
    controller: Option<(CancellationToken, JoinHandle<()>)>,
}

impl Chain {
    /// Starts everything with `disks` detached ESSD disks (`d-0000`…) and the reconciler.
    pub async fn start(disks: usize, settings: ReconcilerArgs) -> Self {
        let ids: Vec<String> = (0..disks).map(disk).collect();
        let mut options = CloudOptions {
            sim: seed::detached(&ids),
            ..CloudOptions::dev_mode()
        };
        options.sim.account.mode = match settings.ecs_account_mode {
            AccountMode::Classic => SimMode::Classic,
            AccountMode::Upgraded => SimMode::Upgraded,
        };
        let ControllerWorld {
            kube_sim,
            client,
            ecs_sim,
            gateway: server,
        } = ControllerWorld::start(options).await;

        let config = ecs_gateway_api::ConnectConfig {
            connect_timeout: Some(Duration::from_secs(2)),
            ..server.connect_config(None)
        };
        let gateway = Arc::new(Gateway::from_config(config, Duration::from_secs(10)).unwrap());
        let mut chain = Self {
            kube_sim,
            ecs_sim,
            client,
            gateway,
            settings,
            server,
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

    /// A PV `pv-<name>` of the disk driver (reclaim `Retain`) for `disk`, and a bound PVC
    /// `default/<name>` with `labels`.
    pub async fn bound_pvc(&self, name: &str, disk: &str, labels: &[(&str, &str)]) {
        let pvc = BoundPvc::new("default", name, disk).labels(labels);
        pvc.create(&self.client).await;
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
        let vsp = fixtures::from_json(fixtures::vsp_json(name, fixtures::weekly_spec(app)));
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
        policies::apply(&self.gateway.client(), policy, disks).await;
    }

    /// Cancels `policy` on `disks` behind the reconciler's back.
    pub async fn cancel(&self, policy: &str, disks: &[String]) {
        policies::cancel(&self.gateway.client(), policy, disks).await;
    }

    /// A weekly policy named `name` with `tags`; returns its ID.
    async fn create_policy(&self, name: &str, tags: Vec<v1::Tag>) -> String {
        let client = self.gateway.client();
        policies::create(&client, name, PolicySchedule::weekly(), tags).await
    }

    /// Waits until `check` holds for the ECS state (or panics with it after 20s).
    pub async fn wait_ecs(&self, what: &str, check: impl Fn(&StateDump) -> bool) -> StateDump {
        cloud_world::wait_state(&self.ecs_sim, what, WAIT, check).await
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
        kube_world::wait_object(&self.vsps(), name, what, WAIT, check).await
    }

    /// Reasons of the Events about object `name` (any namespace), oldest first.
    pub async fn event_reasons(&self, name: &str) -> Vec<String> {
        kube_world::event_reasons(&self.client, None, name).await
    }

    /// Waits until an Event with `reason` about `name` exists.
    pub async fn wait_event(&self, name: &str, reason: &str) {
        kube_world::wait_event(&self.client, None, name, reason, WAIT).await;
    }

    /// Kills the reconciler; the gateway stops when the chain is dropped.
    pub async fn stop(mut self) {
        self.kill_controller().await;
    }
}

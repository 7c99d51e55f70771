//! The whole chain in one process: kube-sim ← policy-listener → ecs-gateway → ecs-sim.
//!
//! The simulators and the gateway come from ssm-test-support: the gateway is the real
//! `GatewayService` with the production backend (rate limiter, retries, ecs-client signing)
//! pointed at the simulator, in insecure development mode because its mutual TLS is the
//! gateway's own tests' business. What stays here is the controller's wiring and the views of
//! the VSP and ECS state the tests assert on.

#![allow(dead_code)]

use std::{ops::ControlFlow, sync::Arc, time::Duration};

use controller_support::{
    backoff::{BackoffConfig, PerObjectBackoff},
    events::EventPublisher,
    gateway::Gateway,
};
use ecs_gateway_api::ConnectConfig;
use ecs_sim::StateDump;
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams, PostParams},
};
use policy_listener::{
    args::TimingArgs,
    clock::ManualClock,
    controller::{self, Context},
    metrics::Metrics,
};
use snapshot_domain::{ecs_naming::ClusterId, schedule::ScheduleZone};
use snapshot_k8s::{managed::DiskDrivers, vsp::VolumeSnapshotPolicy};
use ssm_test_support::{
    cloud_world::{self, CloudOptions, GatewayServer},
    controller_world::ControllerWorld,
    fixtures::{self, BoundPvc},
    kube_world,
    waiting::{Poll, eventually},
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[allow(unused_imports)] // Not every test binary uses every name.
pub use ssm_test_support::{
    cloud_world::{DISKS, INSTANCE, REGION, ZONE},
    waiting::within,
};

pub const CLUSTER: &str = "c-test";

/// How the waits poll: every 50 ms, for at most 20 s.
const WAIT: Poll = Poll::new(Duration::from_millis(50), Duration::from_secs(20));
/// How long an expected Event may take.
const EVENT_WAIT: Poll = Poll::new(Duration::from_millis(50), Duration::from_secs(10));

/// Simulators, gateway and a controller that can be killed and started again.
pub struct Chain {
    pub kube_sim: kube_sim::SimHandle,
    pub ecs_sim: ecs_sim::SimHandle,
    pub client: Client,
    pub clock: ManualClock,
    gateway: GatewayServer,
    controller: Option<(CancellationToken, JoinHandle<()>)>,
}

impl Chain {
    /// Starts everything with one instance carrying three attached ESSD disks, and the controller.
    pub async fn start() -> Self {
        Self::start_at(None).await
    }

    /// As [`Chain::start`], with the ECS clock starting at `clock_start`.
    pub async fn start_at(clock_start: Option<snapshot_domain::Timestamp>) -> Self {
        let mut options = CloudOptions::dev_mode();
        options.sim.timing.clock_start = clock_start;
        let ControllerWorld {
            kube_sim,
            client,
            ecs_sim,
            gateway,
        } = ControllerWorld::start(options).await;

        let now = ecs_sim.admin().now().await.unwrap();
        let mut chain = Self {
            kube_sim,
            ecs_sim,
            client,
            clock: ManualClock::new(now),
            gateway,
            controller: None,
        };
        chain.start_controller();
        chain
    }

    /// Starts a controller with fresh state (caches, backoff, event recorder), as a restarted
    /// process would have.
    pub fn start_controller(&mut self) {
        let ctx = Arc::new(self.context());
        let token = CancellationToken::new();
        let task = tokio::spawn(controller::run(ctx, token.clone()));
        self.controller = Some((token, task));
    }

    /// A reconcile context for a new controller process (fresh backoff, event recorder and
    /// metrics), talking to this chain's gateway; call inside the runtime it will run on.
    pub fn context(&self) -> Context {
        let config = ConnectConfig {
            connect_timeout: Some(Duration::from_secs(2)),
            ..self.gateway.connect_config(None)
        };
        let mut registry = prometheus_client::registry::Registry::default();
        Context {
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
        }
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

    /// Stops the gateway: from return on, its port refuses connections.
    pub async fn stop_gateway(&self) {
        self.gateway.stop_accepting().await;
    }

    /// Starts a new gateway on the port the stopped one had, so clients reconnect to it.
    pub async fn start_gateway(&mut self) {
        let addr = self.gateway.addr;
        self.gateway = GatewayServer::start_on(&self.ecs_sim, CloudOptions::dev_mode(), addr).await;
    }

    /// A gateway client for what a test does besides the controller.
    pub async fn gateway_client(&self) -> ecs_gateway_api::GatewayClient {
        let config = self.gateway.connect_config(None);
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
        self.ecs_sim.admin().advance(seconds).await.unwrap();
        self.clock.set(self.ecs_sim.admin().now().await.unwrap());
    }

    pub async fn set_time(&self, now: snapshot_domain::Timestamp) {
        self.ecs_sim.admin().set_clock(now).await.unwrap();
        self.clock.set(now);
    }

    /// A PV of the disk CSI driver for `disk`, and a bound PVC `default/<name>` with `labels`.
    pub async fn bound_pvc(&self, name: &str, disk: &str, labels: &[(&str, &str)]) {
        let pvc = BoundPvc::new("default", name, disk).labels(labels);
        pvc.create(&self.client).await;
    }

    /// Creates a VSP from a JSON spec.
    pub async fn create_vsp(&self, name: &str, spec: serde_json::Value) -> VolumeSnapshotPolicy {
        let vsp = fixtures::from_json(fixtures::vsp_json(name, spec));
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
        kube_world::wait_object(&self.vsps(), name, what, WAIT, check).await
    }

    /// Waits until VSP `name` is gone (its finalizer removed), or panics after 20s.
    pub async fn wait_vsp_gone(&self, name: &str) {
        let what = format!("VolumeSnapshotPolicy {name} to be gone");
        eventually(&what, WAIT, async || {
            match self.vsps().get_opt(name).await.unwrap() {
                None => ControlFlow::Break(()),
                Some(vsp) => ControlFlow::Continue(vsp.metadata),
            }
        })
        .await;
    }

    /// Waits until `check` holds for the ECS state.
    pub async fn wait_ecs(&self, what: &str, check: impl Fn(&StateDump) -> bool) -> StateDump {
        cloud_world::wait_state(&self.ecs_sim, what, WAIT, check).await
    }

    /// Reasons of the Events about VSP `name`, oldest first.
    pub async fn event_reasons(&self, name: &str) -> Vec<String> {
        kube_world::event_reasons(&self.client, Some("default"), name).await
    }

    /// Waits until an Event with `reason` about `name` exists.
    pub async fn wait_event(&self, name: &str, reason: &str) {
        kube_world::wait_event(&self.client, Some("default"), name, reason, EVENT_WAIT).await;
    }

    /// Kills the controller; the gateway stops when the chain is dropped.
    pub async fn stop(mut self) {
        self.kill_controller().await;
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

/// Snapshots (tagged with `uid`, or members of a group tagged with it) and such groups, as
/// `(snapshots, groups)`.
pub fn owned_snapshots(state: &StateDump, uid: &str) -> (usize, usize) {
    let tagged = |tags: &ecs_sim::Tags| tags.values().any(|v| v == uid);
    let groups: Vec<_> = state.groups.iter().filter(|g| tagged(&g.tags)).collect();
    let members: Vec<&str> = groups
        .iter()
        .flat_map(|g| g.snapshot_ids.iter().map(String::as_str))
        .collect();
    let snapshots = state
        .snapshots
        .iter()
        .filter(|s| tagged(&s.snapshot.tags) || members.contains(&s.snapshot.id.as_str()))
        .count();
    (snapshots, groups.len())
}

pub fn uid(vsp: &VolumeSnapshotPolicy) -> String {
    vsp.uid().unwrap()
}

//! Two policy-listener replicas on one Lease, wired as the binary wires them (leader election,
//! `run_while_leader`, the controller): only the leader reconciles and writes; when it dies
//! holding the Lease, or shuts down and releases it, the standby takes over within the lease
//! duration and converges without a second ECS policy or a second set of one-off snapshots.

mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::{Chain, DISKS, owned_policies, owned_snapshots, ready, uid, within};
use controller_support::{events::EventPublisher, leader::run_while_leader};
use k8s_openapi::api::events::v1::Event;
use kube::{
    Api, Client,
    api::ListParams,
    config::{KubeConfigOptions, Kubeconfig},
};
use policy_listener::{controller, metrics::Metrics};
use prometheus_client::{encoding::text::encode, registry::Registry};
use serde_json::json;
use service_runtime::{
    args::LeaderElectionArgs,
    leader::{LeaderElection, LeaderMetrics},
};
use snapshot_k8s::vsp::{RepeatOnceSnapshotState as State, VolumeSnapshotPolicy};
use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;

const LEASE_DURATION: Duration = Duration::from_secs(3);

/// The longest a standby may take to lead once the Lease is released or its holder died: the
/// lease duration, kube-lease-manager's random pause of up to 1s before it locks an expired
/// Lease, and up to a second for the API calls on a loaded CI machine.
const TAKEOVER: Duration = Duration::from_secs(5);

/// One replica on a thread and runtime of its own, as a process would be: killing it drops the
/// runtime with every task in it, without releasing the Lease, as SIGKILL ends a pod.
struct Replica {
    identity: &'static str,
    kill: Option<oneshot::Sender<()>>,
    shutdown: CancellationToken,
    leading: watch::Receiver<bool>,
    registry: Registry,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Replica {
    async fn start(chain: &Chain, identity: &'static str) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let config = kube_config(chain).await;
        let mut registry = Registry::default();
        let (client, ctx) = {
            // The replica's connections and background tasks belong to its own runtime.
            let _inside = runtime.enter();
            let client = Client::try_from(config).unwrap();
            let mut ctx = chain.context();
            ctx.client = client.clone();
            ctx.events =
                EventPublisher::new(client.clone(), "policy-listener", Some(identity.into()));
            ctx.metrics = Metrics::register(&mut registry);
            (client, Arc::new(ctx))
        };

        let shutdown = CancellationToken::new();
        let (leading_tx, leading_rx) = oneshot::channel();
        let (kill, killed) = oneshot::channel::<()>();
        let token = shutdown.clone();
        let thread = std::thread::spawn(move || {
            let process = async move {
                let election = LeaderElection::start(
                    client,
                    &lease_args(identity),
                    "policy-listener",
                    LeaderMetrics::default(),
                    token.clone(),
                )
                .await
                .unwrap();
                let _ = leading_tx.send(election.subscribe());
                run_while_leader(election.subscribe(), token, |run| {
                    controller::run(ctx.clone(), run)
                })
                .await;
                election.stopped().await;
            };
            runtime.block_on(async {
                tokio::select! {
                    () = process => {}
                    _ = killed => {}
                }
            });
            // Every task of the replica is dropped here, none runs again.
            drop(runtime);
        });
        Self {
            identity,
            kill: Some(kill),
            shutdown,
            leading: leading_rx.await.unwrap(),
            registry,
            thread: Some(thread),
        }
    }

    async fn wait_leading(&mut self, within: Duration) {
        tokio::time::timeout(within, self.leading.wait_for(|leading| *leading))
            .await
            .unwrap_or_else(|_| panic!("{} did not lead within {within:?}", self.identity))
            .unwrap();
    }

    fn is_leading(&self) -> bool {
        *self.leading.borrow()
    }

    /// Reconciles this replica finished, whatever their result.
    fn reconciles(&self) -> u64 {
        let mut text = String::new();
        encode(&mut text, &self.registry).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("policy_listener_reconcile_duration_seconds_count "))
            .map_or(0, |n| n.trim().parse().unwrap())
    }

    /// SIGKILL: no release, no graceful stop of anything.
    async fn kill(&mut self) {
        self.kill.take();
        self.join().await;
    }

    /// SIGTERM: the controller stops, then the Lease is released.
    async fn stop(mut self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.join())
            .await
            .expect("the replica stops within 10s");
    }

    async fn join(&mut self) {
        if let Some(thread) = self.thread.take() {
            tokio::task::spawn_blocking(move || thread.join())
                .await
                .unwrap()
                .expect("the replica's thread ended without a panic");
        }
    }
}

async fn kube_config(chain: &Chain) -> kube::Config {
    let kubeconfig = Kubeconfig::from_yaml(&chain.kube_sim.kubeconfig).unwrap();
    kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap()
}

fn lease_args(identity: &str) -> LeaderElectionArgs {
    LeaderElectionArgs {
        leader_elect: true,
        lease_name: None,
        lease_namespace: "default".into(),
        leader_identity: Some(identity.into()),
        lease_duration: LEASE_DURATION,
        lease_renew_grace: Duration::from_secs(1),
    }
}

/// `(reason, reporting instance)` of every Event about `name`.
async fn events_by_instance(chain: &Chain, name: &str) -> Vec<(String, String)> {
    let events: Api<Event> = Api::namespaced(chain.client.clone(), "default");
    let list = events.list(&ListParams::default()).await.unwrap().items;
    list.into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .map(|e| {
            let instance = e.reporting_instance.unwrap_or_default();
            (e.reason.unwrap_or_default(), instance)
        })
        .collect()
}

fn is_ready_and_current(vsp: &VolumeSnapshotPolicy) -> bool {
    let status = vsp.status.as_ref();
    ready(vsp).is_some_and(|r| r.0 == "True")
        && status.and_then(|s| s.observed_generation) == vsp.metadata.generation
}

fn job_started(vsp: &VolumeSnapshotPolicy) -> bool {
    let job = vsp.status.as_ref().and_then(|s| s.repeat_once.as_ref());
    job.is_some_and(|j| {
        j.snapshots.len() == DISKS.len()
            && j.snapshots.iter().all(|s| s.state == State::Progressing)
    })
}

fn job_finished(vsp: &VolumeSnapshotPolicy) -> bool {
    let job = vsp.status.as_ref().and_then(|s| s.repeat_once.as_ref());
    job.is_some_and(|j| j.finished)
}

async fn wait_standby_takes_over(standby: &mut Replica, since: Instant) {
    standby.wait_leading(TAKEOVER).await;
    assert!(
        since.elapsed() <= TAKEOVER,
        "took over after {:?}",
        since.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standby_takes_over_from_a_dead_or_stopped_leader_without_duplicates() {
    within(90, async {
        let mut chain = Chain::start().await;
        chain.kill_controller().await;
        for (i, disk) in DISKS.iter().enumerate() {
            chain
                .bound_pvc(&format!("db-{i}"), disk, &[("app", "db")])
                .await;
        }
        let mut a = Replica::start(&chain, "pod-a").await;
        a.wait_leading(Duration::from_secs(5)).await;
        let mut b = Replica::start(&chain, "pod-b").await;

        let scheduled = json!({
            "pvcSelector": {"matchLabels": {"app": "db"}},
            "retentionDays": 7,
            "timeZone": "UTC",
            "snapshotSchedule": {"repeatWeekdays": ["1"], "timePoints": ["2"]},
        });
        let nightly = uid(&chain.create_vsp("nightly", scheduled).await);
        let once = json!({
            "pvcSelector": {"matchLabels": {"app": "db"}},
            "retentionDays": 3,
            "snapshotSchedule": {"repeatOnce": true},
        });
        let backup = uid(&chain.create_vsp("backup", once).await);
        chain
            .wait_vsp("nightly", "Ready", is_ready_and_current)
            .await;
        chain.wait_vsp("backup", "group started", job_started).await;

        // Only the leader works: the standby has not finished a single reconcile.
        assert!(a.reconciles() > 0);
        assert_eq!(b.reconciles(), 0, "the standby reconciled");
        assert!(!b.is_leading());
        let events = events_by_instance(&chain, "nightly").await;
        assert!(
            !events.is_empty() && events.iter().all(|(_, i)| i == "pod-a"),
            "{events:?}"
        );

        // An edit lands as the leader dies holding the Lease; the standby takes over and
        // converges both policies: the edit reaches ECS, the group finishes, no duplicates.
        chain
            .patch_vsp("nightly", json!({"spec": {"retentionDays": 30}}))
            .await;
        a.kill().await;
        wait_standby_takes_over(&mut b, Instant::now()).await;
        chain.advance(120).await;
        chain
            .wait_vsp("nightly", "Ready after the edit", is_ready_and_current)
            .await;
        chain.wait_vsp("backup", "job finished", job_finished).await;
        let state = chain.ecs().await;
        let policies = owned_policies(&state, &nightly);
        assert_eq!(policies.len(), 1, "exactly one ECS policy: {policies:#?}");
        assert_eq!(policies[0].retention_days, 30);
        assert!(owned_policies(&state, &backup).is_empty());
        assert_eq!(
            owned_snapshots(&state, &backup),
            (3, 1),
            "one group of three"
        );
        assert!(b.reconciles() > 0);
        let events = events_by_instance(&chain, "nightly").await;
        assert!(
            events.contains(&("EcsPolicyUpdated".into(), "pod-b".into())),
            "{events:?}"
        );

        // A graceful stop releases the Lease; the next standby takes over and finishes a delete.
        let mut c = Replica::start(&chain, "pod-c").await;
        let stopping = Instant::now();
        b.stop().await;
        wait_standby_takes_over(&mut c, stopping).await;
        chain
            .vsps()
            .delete("nightly", &Default::default())
            .await
            .unwrap();
        chain
            .wait_ecs("policy deleted", |s| owned_policies(s, &nightly).is_empty())
            .await;
        let state = chain.ecs().await;
        assert_eq!(owned_snapshots(&state, &backup), (3, 1));
        assert!(state.policies.is_empty(), "{:#?}", state.policies);
        c.stop().await;
        chain.stop().await;
    })
    .await;
}

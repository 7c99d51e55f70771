//! Leader election against the Kubernetes API simulator: one of two replicas leads and keeps
//! leading through renewals while the other waits, shutdown releases the Lease, and a standby
//! takes over both from a leader that released the Lease and from one that died holding it.

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use kube::{
    Api,
    config::{KubeConfigOptions, Kubeconfig},
};
use prometheus_client::encoding::text::encode;
use service_runtime::{
    Registry,
    args::LeaderElectionArgs,
    leader::{LeaderElection, LeaderMetrics},
};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

async fn client(sim: &kube_sim::SimHandle) -> kube::Client {
    client_from(&sim.kubeconfig).await
}

async fn client_from(kubeconfig: &str) -> kube::Client {
    let kubeconfig = Kubeconfig::from_yaml(kubeconfig).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

fn args(identity: &str) -> LeaderElectionArgs {
    LeaderElectionArgs {
        leader_elect: true,
        lease_name: None,
        lease_namespace: "default".into(),
        leader_identity: Some(identity.into()),
        lease_duration: Duration::from_secs(3),
        lease_renew_grace: Duration::from_secs(1),
    }
}

async fn wait_for(rx: &mut watch::Receiver<bool>, want: bool, within: Duration) {
    tokio::time::timeout(within, rx.wait_for(|leader| *leader == want))
        .await
        .unwrap_or_else(|_| panic!("leadership did not become {want} within {within:?}"))
        .unwrap();
}

fn metrics_text(registry: &Registry) -> String {
    let mut text = String::new();
    encode(&mut text, registry).unwrap();
    text
}

#[tokio::test]
async fn one_replica_leads_the_standby_waits_and_shutdown_releases_the_lease() {
    let sim = kube_sim::spawn(kube_sim::Config::default()).await.unwrap();
    let client = client(&sim).await;

    let mut registry_a = Registry::default();
    let metrics_a = LeaderMetrics::register(&mut registry_a);
    let stop_a = CancellationToken::new();
    let a = LeaderElection::start(
        client.clone(),
        &args("pod-a"),
        "svc",
        metrics_a,
        stop_a.clone(),
    )
    .await
    .unwrap();
    let mut a_rx = a.subscribe();
    wait_for(&mut a_rx, true, Duration::from_secs(5)).await;
    assert!(metrics_text(&registry_a).contains("leader_election_is_leader 1"));

    let stop_b = CancellationToken::new();
    let b = LeaderElection::start(
        client.clone(),
        &args("pod-b"),
        "svc",
        LeaderMetrics::default(),
        stop_b.clone(),
    )
    .await
    .unwrap();
    let mut b_rx = b.subscribe();
    // Longer than the lease duration: the leader must renew, the standby must keep waiting.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(a.is_leader(), "the leader renews its Lease");
    assert!(
        !b.is_leader(),
        "the standby must not lead while the leader holds the Lease"
    );

    let leases: Api<Lease> = Api::namespaced(client, "default");
    let holder = |lease: Lease| lease.spec.and_then(|s| s.holder_identity);
    assert_eq!(
        holder(leases.get("svc").await.unwrap()).as_deref(),
        Some("pod-a")
    );

    stop_a.cancel();
    wait_for(&mut a_rx, false, Duration::from_secs(2)).await;
    tokio::time::timeout(Duration::from_secs(5), a.stopped())
        .await
        .expect("A stops");
    assert_eq!(
        holder(leases.get("svc").await.unwrap()),
        None,
        "shutdown releases the Lease"
    );
    let text = metrics_text(&registry_a);
    assert!(text.contains("leader_election_is_leader 0"), "{text}");
    assert!(
        text.contains("leader_election_transitions_total 2"),
        "{text}"
    );

    stop_b.cancel();
    tokio::time::timeout(Duration::from_secs(5), b.stopped())
        .await
        .expect("B stops");
    assert!(
        !b_rx.borrow_and_update().to_owned(),
        "a stopped election never reports leadership"
    );
    sim.shutdown().await;
}

/// The longest a standby may take to lead once the Lease is free or expired: the lease
/// duration, plus kube-lease-manager's random pause of up to 1s before it locks an expired
/// Lease, plus up to a second for the API calls on a loaded CI machine.
const TAKEOVER: Duration = Duration::from_secs(5);

/// A replica in a runtime of its own, so that shutting the runtime down ends all of its tasks
/// at once without releasing the Lease: what SIGKILL does to a pod.
fn replica_in_own_runtime(
    kubeconfig: String,
    identity: &'static str,
) -> (
    tokio::runtime::Runtime,
    tokio::task::JoinHandle<LeaderElection>,
) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let election = runtime.spawn(async move {
        let client = client_from(&kubeconfig).await;
        let token = CancellationToken::new();
        LeaderElection::start(client, &args(identity), "svc", Default::default(), token)
            .await
            .unwrap()
    });
    (runtime, election)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_takes_over_from_a_dead_leader_and_from_one_that_released_the_lease() {
    let sim = kube_sim::spawn(kube_sim::Config::default()).await.unwrap();
    let client = client(&sim).await;
    let leases: Api<Lease> = Api::namespaced(client.clone(), "default");
    let holder = |lease: Lease| lease.spec.and_then(|s| s.holder_identity);

    let (runtime_a, a) = replica_in_own_runtime(sim.kubeconfig.clone(), "pod-a");
    let a = a.await.unwrap();
    wait_for(&mut a.subscribe(), true, Duration::from_secs(5)).await;

    let stop_b = CancellationToken::new();
    let b = LeaderElection::start(
        client.clone(),
        &args("pod-b"),
        "svc",
        Default::default(),
        stop_b.clone(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!b.is_leader(), "the standby waits while the leader renews");

    // The leader dies holding the Lease: it stops renewing and never releases.
    runtime_a.shutdown_background();
    let died = Instant::now();
    wait_for(&mut b.subscribe(), true, TAKEOVER).await;
    assert!(
        died.elapsed() >= Duration::from_millis(500),
        "the standby waited for the dead leader's Lease to expire"
    );
    assert_eq!(
        holder(leases.get("svc").await.unwrap()).as_deref(),
        Some("pod-b")
    );

    // The new leader shuts down and releases; a third candidate acquires.
    let stop_c = CancellationToken::new();
    let c = LeaderElection::start(
        client.clone(),
        &args("pod-c"),
        "svc",
        Default::default(),
        stop_c.clone(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!c.is_leader(), "the standby waits while the leader renews");
    stop_b.cancel();
    tokio::time::timeout(Duration::from_secs(5), b.stopped())
        .await
        .expect("B stops");
    wait_for(&mut c.subscribe(), true, TAKEOVER).await;
    assert_eq!(
        holder(leases.get("svc").await.unwrap()).as_deref(),
        Some("pod-c")
    );

    stop_c.cancel();
    tokio::time::timeout(Duration::from_secs(5), c.stopped())
        .await
        .expect("C stops");
    sim.shutdown().await;
}

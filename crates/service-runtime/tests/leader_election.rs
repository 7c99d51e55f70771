//! Leader election against the Kubernetes API simulator: one of two replicas leads and keeps
//! leading through renewals while the other waits, and shutdown releases the Lease.

use std::time::Duration;

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
    let kubeconfig = Kubeconfig::from_yaml(&sim.kubeconfig).unwrap();
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

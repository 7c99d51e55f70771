//! The reconciler through the real ecs-gateway against the ECS simulator: schedules fire when
//! the ECS clock moves, retention expires, and ECS faults surface as failed passes.

mod common;

use common::{Harness, cloud::Cloud};
use ecs_sim::{Fault, FaultRule};

const DISK: &str = "d-e2edisk1";

async fn setup() -> (Cloud, Harness<snapshot_reconciler::ecs::GatewayCatalog>) {
    let cloud = Cloud::start(&[DISK]).await;
    let h = Harness::start_with(cloud.catalog.clone()).await;
    h.namespace("shop").await;
    h.bound_pvc("shop", "data-0", "web", DISK).await;
    h.policy("nightly", "web", &[]).await;
    (cloud, h)
}

#[tokio::test]
async fn a_firing_schedule_makes_pairs_appear_and_retention_removes_them() {
    let (cloud, mut h) = setup().await;
    let policy = cloud.hourly_policy_on(DISK, 1).await;
    h.pass(true).await;
    assert!(h.managed_snapshots().await.is_empty());

    cloud.advance(2 * 3600 + 120).await;
    h.pass(false).await;
    let imported = h.managed_snapshots().await;
    assert!(imported.len() >= 2, "two hourly snapshots: {imported:?}");
    assert!(imported.iter().all(|n| n.starts_with("shop/s-")));

    cloud.cancel_policy(&policy, DISK).await;
    cloud.advance(3 * 86_400).await;
    h.pass(true).await;
    h.pass(true).await;
    assert!(h.managed_snapshots().await.is_empty(), "retention expired");
    assert!(h.managed_contents().await.is_empty());
}

#[tokio::test]
async fn incremental_passes_cost_calls_per_new_snapshot_not_per_old_one() {
    let (cloud, mut h) = setup().await;
    cloud.hourly_policy_on(DISK, 30).await;
    cloud.advance(48 * 3600).await;
    h.pass(true).await;
    let before = cloud.describe_calls().await;

    cloud.advance(3600).await;
    h.pass(false).await;
    h.pass(false).await;
    let calls = cloud.describe_calls().await - before;
    assert!(calls <= 4, "two incremental passes made {calls} ECS calls");
    assert!(h.managed_snapshots().await.len() >= 49);
}

#[tokio::test]
async fn ecs_faults_fail_the_pass_and_the_next_one_recovers() {
    let (cloud, mut h) = setup().await;
    cloud.hourly_policy_on(DISK, 7).await;
    cloud.advance(3600 + 120).await;
    h.pass(true).await;
    let imported = h.managed_snapshots().await;
    assert!(!imported.is_empty());

    let outage = FaultRule {
        action: "DescribeSnapshots".into(),
        fault: Fault::ServerError {
            status: 503,
            code: "ServiceUnavailable".into(),
        },
        probability: 1.0,
        times: Some(50),
    };
    cloud.sim.admin().set_faults(&[outage]).await.unwrap();
    assert!(h.reconciler.pass(true).await.is_err());
    assert_eq!(
        h.managed_snapshots().await,
        imported,
        "nothing removed during the outage"
    );

    cloud.sim.admin().set_faults(&[]).await.unwrap();
    cloud.advance(3600).await;
    h.pass(false).await;
    assert!(h.managed_snapshots().await.len() > imported.len());
}

//! ECS faults: what the gateway repeats, and what it must not.

mod common;

use common::{ADMIN, DISKS, Harness, REGION};
use ecs_gateway_api::v1;
use ecs_sim::{Fault, FaultRule};
use tonic::Code;

fn rule(action: &str, fault: Fault, times: u64) -> FaultRule {
    FaultRule {
        action: action.into(),
        fault,
        probability: 1.0,
        times: Some(times),
    }
}

fn unavailable() -> Fault {
    Fault::ServerError {
        status: 503,
        code: "ServiceUnavailable".into(),
    }
}

fn describe_disks() -> v1::DescribeDisksRequest {
    v1::DescribeDisksRequest {
        region_id: REGION.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn reads_are_repeated_through_5xx_and_dropped_connections() {
    let harness = Harness::start().await;
    let admin = harness.sim.admin();
    admin
        .set_faults(&[
            rule("DescribeDisks", unavailable(), 2),
            rule("DescribeSnapshots", Fault::Drop, 1),
        ])
        .await
        .unwrap();
    let mut client = harness.client(ADMIN).await;

    let disks = client
        .describe_disks(describe_disks())
        .await
        .unwrap()
        .into_inner();
    let snapshots = client
        .describe_snapshots(v1::DescribeSnapshotsRequest {
            region_id: REGION.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(disks.disks.len(), 3);
    assert_eq!(disks.ecs.unwrap().attempts, 3);
    assert_eq!(snapshots.ecs.unwrap().attempts, 2);
    let counters = admin.counters().await.unwrap();
    assert_eq!(counters.get("DescribeDisks", "ServiceUnavailable"), 2);
    assert_eq!(counters.get("DescribeDisks", ecs_sim::SUCCESS), 1);
    assert!(
        harness
            .metrics_text()
            .contains("ecs_gateway_ecs_retries_total")
    );
}

#[tokio::test]
async fn a_snapshot_is_repeated_with_its_client_token_and_created_once() {
    let harness = Harness::start().await;
    let admin = harness.sim.admin();
    admin
        .set_faults(&[rule("CreateSnapshot", unavailable(), 1)])
        .await
        .unwrap();
    let mut client = harness.client(ADMIN).await;

    let created = client
        .create_snapshot(v1::CreateSnapshotRequest {
            region_id: REGION.into(),
            disk_id: DISKS[0].into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(created.ecs.unwrap().attempts, 2);
    let listed = client
        .describe_snapshots(v1::DescribeSnapshotsRequest {
            region_id: REGION.into(),
            disk_id: DISKS[0].into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.snapshots.len(), 1);
}

#[tokio::test]
async fn a_policy_create_is_not_repeated_after_an_ambiguous_failure() {
    let harness = Harness::start().await;
    let admin = harness.sim.admin();
    admin
        .set_faults(&[rule("CreateAutoSnapshotPolicy", unavailable(), 1)])
        .await
        .unwrap();
    let mut client = harness.client(ADMIN).await;

    let refused = client
        .create_auto_snapshot_policy(v1::CreateAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            time_points: vec![1],
            repeat_weekdays: vec![1],
            retention_days: 3,
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    let counters = admin.counters().await.unwrap();
    assert_eq!(counters.total("CreateAutoSnapshotPolicy"), 1);
}

#[tokio::test]
async fn a_throttled_mutation_is_repeated_because_ecs_did_nothing() {
    let harness = Harness::start().await;
    let admin = harness.sim.admin();
    let throttle = Fault::Throttle {
        code: "Throttling.User".into(),
    };
    admin
        .set_faults(&[rule("CreateAutoSnapshotPolicy", throttle, 2)])
        .await
        .unwrap();
    let mut client = harness.client(ADMIN).await;

    let created = client
        .create_auto_snapshot_policy(v1::CreateAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            time_points: vec![1],
            repeat_weekdays: vec![1],
            retention_days: 3,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(created.ecs.unwrap().attempts, 3);
    let counters = admin.counters().await.unwrap();
    assert_eq!(
        counters.get("CreateAutoSnapshotPolicy", "Throttling.User"),
        2
    );
    assert!(
        harness
            .metrics_text()
            .contains("ecs_gateway_ecs_throttling_events_total")
    );
}

#[tokio::test]
async fn a_converging_mutation_is_repeated_after_a_5xx() {
    let harness = Harness::start().await;
    let admin = harness.sim.admin();
    let mut client = harness.client(ADMIN).await;
    let policy = client
        .create_auto_snapshot_policy(v1::CreateAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            time_points: vec![1],
            repeat_weekdays: vec![1],
            retention_days: 3,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .auto_snapshot_policy_id;
    admin
        .set_faults(&[rule("ApplyAutoSnapshotPolicy", unavailable(), 1)])
        .await
        .unwrap();

    let applied = client
        .apply_auto_snapshot_policy(v1::ApplyAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            auto_snapshot_policy_id: policy,
            disk_ids: vec![DISKS[0].into()],
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(applied.ecs.unwrap().attempts, 2);
}

#[tokio::test]
async fn a_persistent_outage_ends_unavailable_after_the_retry_budget() {
    let harness = Harness::start().await;
    let admin = harness.sim.admin();
    let always = FaultRule {
        action: "DescribeDisks".into(),
        fault: unavailable(),
        probability: 1.0,
        times: None,
    };
    admin.set_faults(&[always]).await.unwrap();
    let mut client = harness.client(ADMIN).await;

    let failed = client.describe_disks(describe_disks()).await.unwrap_err();

    assert_eq!(failed.code(), Code::Unavailable);
    let details = ecs_gateway_api::EcsErrorDetails::from_status(&failed).unwrap();
    assert_eq!(details.code, "ServiceUnavailable");
    assert_eq!(details.http_status, Some(503));
    let counters = admin.counters().await.unwrap();
    assert_eq!(
        counters.total("DescribeDisks"),
        5,
        "first attempt plus 4 retries"
    );
}

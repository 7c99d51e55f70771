//! Retention releases snapshots on the virtual clock; the per-disk auto quota evicts the oldest.

mod common;

use common::*;
use ecs_sim::TimelineEvent;

#[tokio::test]
async fn auto_snapshots_expire_after_their_retention_days() {
    let f = fixture("2024-05-19T15:30:00Z", &["d-1"]).await;
    let daily = r#"["1","2","3","4","5","6","7"]"#;
    let policy = create_policy(&f.ecs, r#"["0"]"#, daily, "2").await;
    apply(&f.ecs, &policy, r#"["d-1"]"#).await.ok();

    let moved = f.admin.advance(5 * 86400).await.unwrap();
    let expired = moved
        .events
        .iter()
        .filter(|e| matches!(e, TimelineEvent::SnapshotExpired { .. }))
        .count();
    assert_eq!(
        expired, 3,
        "5 daily snapshots kept 2 days leave 2: {:?}",
        moved.events
    );

    let body = f
        .ecs
        .call("DescribeSnapshots", &[("RegionId", REGION)])
        .await
        .ok();
    let snapshots = body["Snapshots"]["Snapshot"].as_array().unwrap();
    assert_eq!(snapshots.len(), 2);
    assert!(snapshots.iter().all(|s| s["RetentionDays"] == 2));
}

#[tokio::test]
async fn expiry_at_a_firing_instant_runs_before_the_firing() {
    let f = fixture("2024-05-19T15:30:00Z", &["d-1"]).await;
    let daily = r#"["1","2","3","4","5","6","7"]"#;
    let policy = create_policy(&f.ecs, r#"["0"]"#, daily, "1").await;
    apply(&f.ecs, &policy, r#"["d-1"]"#).await.ok();

    let moved = f.admin.advance(86400 + 1800).await.unwrap();
    let order: Vec<&str> = moved
        .events
        .iter()
        .map(|e| match e {
            TimelineEvent::SnapshotExpired { .. } => "expired",
            TimelineEvent::AutoSnapshotTaken { .. } => "taken",
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(order, ["taken", "expired", "taken"]);
}

#[tokio::test]
async fn manual_snapshot_with_retention_is_released_and_without_is_kept() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1", "d-2"]).await;
    let short = [("DiskId", "d-1"), ("RetentionDays", "1")];
    f.ecs.call("CreateSnapshot", &short).await.ok();
    f.ecs
        .call("CreateSnapshot", &[("DiskId", "d-2")])
        .await
        .ok();

    f.admin.advance(86400 - 1).await.unwrap();
    assert_eq!(snapshot_ids(&f.ecs, "d-1").await.len(), 1);
    f.admin.advance(1).await.unwrap();
    assert!(snapshot_ids(&f.ecs, "d-1").await.is_empty());
    f.admin.advance(400 * 86400).await.unwrap();
    assert_eq!(snapshot_ids(&f.ecs, "d-2").await.len(), 1);
}

#[tokio::test]
async fn full_auto_quota_drops_the_oldest_auto_snapshot() {
    let mut config = ecs_sim::SimConfig::default();
    config.quotas.auto_snapshots_per_disk = 3;
    let f = fixture_with(config, "2024-05-19T16:30:00Z", &["d-1"]).await;
    f.ecs
        .call("CreateSnapshot", &[("DiskId", "d-1")])
        .await
        .ok();
    let all_hours: Vec<String> = (0..24).map(|h| format!("\"{h}\"")).collect();
    let hours = format!("[{}]", all_hours.join(","));
    let policy = create_policy(&f.ecs, &hours, r#"["1","2","3","4","5","6","7"]"#, "-1").await;
    apply(&f.ecs, &policy, r#"["d-1"]"#).await.ok();

    let moved = f.admin.advance(5 * 3600).await.unwrap();
    let taken: Vec<&str> = moved
        .events
        .iter()
        .filter_map(|e| match e {
            TimelineEvent::AutoSnapshotTaken { snapshot_id, .. } => Some(snapshot_id.as_str()),
            _ => None,
        })
        .collect();
    let evicted: Vec<&str> = moved
        .events
        .iter()
        .filter_map(|e| match e {
            TimelineEvent::AutoSnapshotEvicted { snapshot_id, .. } => Some(snapshot_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(taken.len(), 5);
    assert_eq!(
        evicted,
        &taken[..2],
        "the two oldest automatic snapshots go"
    );

    let params = [("RegionId", REGION), ("SnapshotType", "auto")];
    let body = f.ecs.call("DescribeSnapshots", &params).await.ok();
    assert_eq!(body["Snapshots"]["Snapshot"].as_array().unwrap().len(), 3);
    let manual = [("RegionId", REGION), ("SnapshotType", "user")];
    let body = f.ecs.call("DescribeSnapshots", &manual).await.ok();
    assert_eq!(
        body["Snapshots"]["Snapshot"].as_array().unwrap().len(),
        1,
        "manual ones stay"
    );
}

//! Automatic policies fire at their UTC+8 hour and weekday, in order, when the clock moves.

mod common;

use common::*;
use ecs_sim::TimelineEvent;

fn taken(events: &[TimelineEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            TimelineEvent::AutoSnapshotTaken { at, .. } => Some(at.to_string()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn midnight_in_utc_plus_8_is_16_00_utc_the_day_before() {
    // 2024-05-19 15:00 UTC is Sunday 23:00 in UTC+8; Monday 00:00 UTC+8 is 16:00 UTC.
    let f = fixture("2024-05-19T15:00:00Z", &["d-1"]).await;
    let policy = create_policy(&f.ecs, r#"["0"]"#, r#"["1"]"#, "-1").await;
    apply(&f.ecs, &policy, r#"["d-1"]"#).await.ok();

    assert!(taken(&f.admin.advance(3599).await.unwrap().events).is_empty());
    let moved = f.admin.advance(1).await.unwrap();
    assert_eq!(taken(&moved.events), ["2024-05-19T16:00:00Z"]);

    let body = f
        .ecs
        .call("DescribeSnapshots", &[("RegionId", REGION)])
        .await
        .ok();
    let snapshot = &body["Snapshots"]["Snapshot"][0];
    assert_eq!(snapshot["SnapshotType"], "auto");
    assert_eq!(snapshot["SnapshotName"], "auto_20240520_1");
    assert_eq!(snapshot["CreationTime"], "2024-05-19T16:00:00Z");
}

#[tokio::test]
async fn weekday_is_the_utc_plus_8_weekday_not_the_utc_one() {
    // Monday 07:00 UTC+8 is Sunday 23:00 UTC; Sunday 07:00 UTC+8 is Saturday 23:00 UTC.
    let f = fixture("2024-05-18T00:00:00Z", &["d-1"]).await;
    let monday = create_policy(&f.ecs, r#"["7"]"#, r#"["1"]"#, "-1").await;
    apply(&f.ecs, &monday, r#"["d-1"]"#).await.ok();

    let moved = f.admin.advance(3 * 86400).await.unwrap();
    assert_eq!(taken(&moved.events), ["2024-05-19T23:00:00Z"]);
}

#[tokio::test]
async fn a_week_of_firings_runs_in_order() {
    let f = fixture("2024-05-19T16:00:00Z", &["d-1"]).await; // Monday 00:00 UTC+8
    let policy = create_policy(&f.ecs, r#"["2","14"]"#, r#"["1","3"]"#, "-1").await;
    apply(&f.ecs, &policy, r#"["d-1"]"#).await.ok();

    let moved = f.admin.advance(7 * 86400).await.unwrap();
    let expected = [
        "2024-05-19T18:00:00Z", // Mon 02:00
        "2024-05-20T06:00:00Z", // Mon 14:00
        "2024-05-21T18:00:00Z", // Wed 02:00
        "2024-05-22T06:00:00Z", // Wed 14:00
    ];
    assert_eq!(taken(&moved.events), expected);
    assert_eq!(moved.now.to_string(), "2024-05-26T16:00:00Z");
    assert_eq!(snapshot_ids(&f.ecs, "d-1").await.len(), 4);
}

#[tokio::test]
async fn a_firing_is_skipped_while_the_previous_snapshot_progresses() {
    let mut config = ecs_sim::SimConfig::default();
    config.timing.snapshot_completion_seconds = 2 * 3600;
    let f = fixture_with(config, "2024-05-19T16:30:00Z", &["d-1"]).await;
    let all_hours: Vec<String> = (0..24).map(|h| format!("\"{h}\"")).collect();
    let hours = format!("[{}]", all_hours.join(","));
    let policy = create_policy(&f.ecs, &hours, r#"["1","2","3","4","5","6","7"]"#, "-1").await;
    apply(&f.ecs, &policy, r#"["d-1"]"#).await.ok();

    let moved = f.admin.advance(3 * 3600).await.unwrap();
    let kinds: Vec<&str> = moved
        .events
        .iter()
        .map(|e| match e {
            TimelineEvent::AutoSnapshotTaken { .. } => "taken",
            TimelineEvent::AutoSnapshotSkipped { reason, .. } => {
                assert_eq!(reason, "IncorrectDiskStatus.CreatingSnapshot");
                "skipped"
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(kinds, ["taken", "skipped", "taken"]);
}

#[tokio::test]
async fn setting_the_clock_backwards_is_refused_and_forwards_runs_events() {
    let f = fixture("2024-05-19T15:00:00Z", &["d-1"]).await;
    let policy = create_policy(&f.ecs, r#"["0"]"#, r#"["1"]"#, "-1").await;
    apply(&f.ecs, &policy, r#"["d-1"]"#).await.ok();

    let back = f
        .admin
        .set_clock("2024-05-19T14:00:00Z".parse().unwrap())
        .await;
    assert!(matches!(
        back,
        Err(ecs_sim::Error::AdminRefused { status: 400, .. })
    ));
    let moved = f
        .admin
        .set_clock("2024-05-19T16:00:00Z".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(taken(&moved.events), ["2024-05-19T16:00:00Z"]);
}

#[tokio::test]
async fn a_running_clock_fires_policies_on_its_own_and_stops_when_told() {
    let f = fixture("2024-05-19T16:30:00Z", &["d-1"]).await;
    let all_hours: Vec<String> = (0..24).map(|h| format!("\"{h}\"")).collect();
    let hours = format!("[{}]", all_hours.join(","));
    let policy = create_policy(&f.ecs, &hours, r#"["1","2","3","4","5","6","7"]"#, "-1").await;
    apply(&f.ecs, &policy, r#"["d-1"]"#).await.ok();

    let mut timing = ecs_sim::Timing {
        clock_rate: 7200.0,
        ..Default::default()
    };
    f.admin.set_timing(&timing).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    timing.clock_rate = 0.0;
    f.admin.set_timing(&timing).await.unwrap();

    let stopped_at = f.admin.now().await.unwrap();
    assert!(
        stopped_at >= "2024-05-19T18:30:00Z".parse().unwrap(),
        "clock at {stopped_at}"
    );
    assert!(
        !snapshot_ids(&f.ecs, "d-1").await.is_empty(),
        "hourly policy fired on its own"
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(f.admin.now().await.unwrap(), stopped_at);

    timing.clock_rate = -1.0;
    let refused = f.admin.set_timing(&timing).await.unwrap_err().to_string();
    assert!(refused.contains("timing.clock_rate"), "{refused}");
}

//! The admin API refuses bad input with a message instead of failing the simulator.

mod common;

use common::*;

async fn raw(base: &str, method: reqwest::Method, path: &str, body: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .request(method, format!("{base}/_sim/{path}"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn bad_bodies_and_out_of_range_values_are_explained() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let base = f.sim.base_url();

    let (status, text) = raw(
        &base,
        reqwest::Method::POST,
        "clock/advance",
        "{\"secs\": 1}",
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("seconds"), "{text}");
    let huge = format!("{{\"seconds\": {}}}", u64::MAX);
    let (status, text) = raw(&base, reqwest::Method::POST, "clock/advance", &huge).await;
    assert_eq!(status, 400, "{text}");
    let (status, text) = raw(&base, reqwest::Method::PUT, "disks", "{\"id\": \"d-2\"}").await;
    assert_eq!(status, 400);
    assert!(text.contains("zone_id"), "{text}");
    let (status, _) = raw(&base, reqwest::Method::GET, "nope", "").await;
    assert_eq!(status, 404);

    let mut orphan = disk("d-3", Some("i-missing"));
    orphan.zone_id = None;
    let refused = f.admin.put_disk(&orphan).await.unwrap_err().to_string();
    assert!(refused.contains("i-missing"), "{refused}");
}

#[tokio::test]
async fn extreme_timing_settings_do_not_break_requests() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let mut timing = ecs_sim::Timing {
        max_timestamp_skew_seconds: u64::MAX,
        snapshot_completion_seconds: u64::MAX,
        ..Default::default()
    };
    f.admin.set_timing(&timing).await.unwrap();
    f.ecs
        .call("CreateSnapshot", &[("DiskId", "d-1")])
        .await
        .ok();
    f.ecs
        .call("DescribeSnapshots", &[("RegionId", REGION)])
        .await
        .ok();

    timing.max_timestamp_skew_seconds = 0;
    f.admin.set_timing(&timing).await.unwrap();
    let stale = Overrides {
        timestamp: Some("2020-01-01T00:00:00Z".into()),
        ..Default::default()
    };
    let answer = f
        .ecs
        .call_with("DescribeDisks", &[("RegionId", REGION)], &stale)
        .await
        .unwrap();
    answer.error(400, "InvalidTimeStamp.Expired");
}

#[tokio::test]
async fn a_clock_move_with_too_many_events_stops_early_and_the_simulator_keeps_answering() {
    let disks: Vec<String> = (1..=16).map(|n| format!("d-{n}")).collect();
    let disk_refs: Vec<&str> = disks.iter().map(String::as_str).collect();
    let mut config = ecs_sim::SimConfig::default();
    config.quotas.auto_snapshots_per_disk = 1;
    let f = fixture_with(config, "2024-05-19T00:00:00Z", &disk_refs).await;
    let every_hour: Vec<String> = (0..24).map(|h| h.to_string()).collect();
    let hours = serde_json::to_string(&every_hour).unwrap();
    let policy = create_policy(&f.ecs, &hours, r#"["1","2","3","4","5","6","7"]"#, "-1").await;
    apply(&f.ecs, &policy, &serde_json::to_string(&disks).unwrap())
        .await
        .ok();
    let base = f.sim.base_url();

    let ten_years = r#"{"seconds": 315360000}"#;
    let (status, text) = raw(&base, reqwest::Method::POST, "clock/advance", ten_years).await;

    assert_eq!(status, 409, "{text}");
    assert!(text.contains("smaller steps"), "{text}");
    let stopped = f.admin.now().await.unwrap();
    assert!(
        stopped < "2034-01-01T00:00:00Z".parse().unwrap(),
        "{stopped}"
    );
    let moved = f.admin.advance(3600).await.unwrap();
    assert_eq!(moved.now, stopped + jiff::SignedDuration::from_hours(1));
    let taken = moved
        .events
        .iter()
        .filter(|e| matches!(e, ecs_sim::TimelineEvent::AutoSnapshotTaken { .. }));
    assert_eq!(taken.count(), disks.len(), "{moved:?}");
}

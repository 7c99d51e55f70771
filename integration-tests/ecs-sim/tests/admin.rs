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

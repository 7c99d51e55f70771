//! Every fault kind, injected per action through the admin API.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ecs_sim::{Fault, FaultRule};

fn rule(action: &str, fault: Fault, times: Option<u64>) -> FaultRule {
    FaultRule {
        action: action.to_owned(),
        fault,
        probability: 1.0,
        times,
    }
}

#[tokio::test]
async fn server_error_answers_5xx_the_given_number_of_times() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let fault = Fault::ServerError {
        status: 503,
        code: "ServiceUnavailable".into(),
    };
    f.admin
        .set_faults(&[rule("DescribeDisks", fault, Some(2))])
        .await
        .unwrap();
    let params = [("RegionId", REGION)];

    f.ecs
        .call("DescribeDisks", &params)
        .await
        .error(503, "ServiceUnavailable");
    f.ecs.call("DescribeSnapshots", &params).await.ok();
    f.ecs
        .call("DescribeDisks", &params)
        .await
        .error(503, "ServiceUnavailable");
    f.ecs.call("DescribeDisks", &params).await.ok();
    let counters = f.admin.counters().await.unwrap();
    assert_eq!(counters.get("DescribeDisks", "ServiceUnavailable"), 2);
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let latency = Fault::Latency { millis: 300 };
    f.admin
        .set_faults(&[rule("DescribeDisks", latency, None)])
        .await
        .unwrap();

    let started = Instant::now();
    f.ecs
        .call("DescribeDisks", &[("RegionId", REGION)])
        .await
        .ok();
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    f.ecs
        .call("DescribeSnapshots", &[("RegionId", REGION)])
        .await
        .ok();
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn drop_closes_the_connection_without_an_answer() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    f.admin
        .set_faults(&[rule("CreateSnapshot", Fault::Drop, Some(1))])
        .await
        .unwrap();

    let dropped = f
        .ecs
        .call_with(
            "CreateSnapshot",
            &[("DiskId", "d-1")],
            &Overrides::default(),
        )
        .await;
    assert!(
        dropped.is_err(),
        "expected a transport error, got {dropped:?}"
    );
    f.ecs
        .call("CreateSnapshot", &[("DiskId", "d-1")])
        .await
        .ok();
    let counters = f.admin.counters().await.unwrap();
    assert_eq!(counters.get("CreateSnapshot", ecs_sim::DROPPED), 1);
    assert_eq!(counters.get("CreateSnapshot", ecs_sim::SUCCESS), 1);
}

#[tokio::test]
async fn throttle_burst_answers_ecs_throttling() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let throttle = Fault::Throttle {
        code: "Throttling".into(),
    };
    f.admin
        .set_faults(&[rule("*", throttle, Some(3))])
        .await
        .unwrap();

    for action in ["DescribeDisks", "DescribeSnapshots", "DescribeDisks"] {
        f.ecs
            .call(action, &[("RegionId", REGION)])
            .await
            .error(400, "Throttling");
    }
    f.ecs
        .call("DescribeDisks", &[("RegionId", REGION)])
        .await
        .ok();
}

#[tokio::test]
async fn faults_can_be_cleared_and_bad_rules_are_refused() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    f.admin
        .set_faults(&[rule("*", Fault::Drop, None)])
        .await
        .unwrap();
    f.admin.set_faults(&[]).await.unwrap();
    f.ecs
        .call("DescribeDisks", &[("RegionId", REGION)])
        .await
        .ok();

    let bad = rule(
        "*",
        Fault::ServerError {
            status: 404,
            code: "X".into(),
        },
        None,
    );
    let refused = f.admin.set_faults(&[bad]).await.unwrap_err();
    assert!(refused.to_string().contains("faults[0]"), "{refused}");
}

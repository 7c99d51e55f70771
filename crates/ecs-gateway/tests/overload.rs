//! Rate limiting end to end: ECS throttling absorbed, fairness between callers, and
//! immediate RESOURCE_EXHAUSTED when a deadline cannot be met.

mod common;

use std::time::{Duration, Instant};

use common::{ADMIN, Harness, Options, REGION};
use ecs_gateway::limiter::LimitsConfig;
use ecs_gateway_api::v1;
use ecs_gateway_api::{GatewayClient, GatewayErrorDetails, GatewayReason};
use ecs_sim::{Rate, Throttling};
use tonic::{Code, Request};

fn describe_disks() -> Request<v1::DescribeDisksRequest> {
    let mut request = Request::new(v1::DescribeDisksRequest {
        region_id: REGION.into(),
        ..Default::default()
    });
    request.set_timeout(Duration::from_secs(20));
    request
}

fn limits(account_rate: f64, account_burst: u32) -> LimitsConfig {
    LimitsConfig {
        account_rate,
        account_burst,
        default_action_rate: 10_000.0,
        action_rates: Default::default(),
        queue_capacity: 1000,
        ..LimitsConfig::default()
    }
}

/// Sends `count` DescribeDisks at once; returns the failures.
async fn burst(client: &GatewayClient, count: usize) -> Vec<tonic::Status> {
    let calls = (0..count).map(|_| {
        let mut client = client.clone();
        tokio::spawn(async move { client.describe_disks(describe_disks()).await })
    });
    let mut failures = Vec::new();
    for call in futures::future::join_all(calls).await {
        if let Err(status) = call.unwrap() {
            failures.push(status);
        }
    }
    failures
}

#[tokio::test]
async fn throttling_by_ecs_is_absorbed_under_a_tenfold_overload() {
    // ECS allows 40/s; the gateway is configured for twice that and callers send ten times
    // ECS's rate at once. The gateway must slow down and retry so that no caller sees an error.
    let mut options = Options {
        limits: limits(80.0, 20),
        ..Options::default()
    };
    options.sim.throttling = Throttling {
        account: Some(Rate {
            per_second: 40,
            burst: 10,
        }),
        ..Throttling::default()
    };
    let harness = Harness::start_with(options).await;
    let client = harness.client(ADMIN).await;
    let started = Instant::now();

    let failures = burst(&client, 100).await;

    assert!(
        failures.is_empty(),
        "{} failed, first: {:?}",
        failures.len(),
        failures.first()
    );
    let counters = harness.sim.admin().counters().await.unwrap();
    assert!(
        counters.get("DescribeDisks", "Throttling.User") > 0,
        "ECS never throttled"
    );
    assert_eq!(counters.get("DescribeDisks", ecs_sim::SUCCESS), 100);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        harness
            .metrics_text()
            .contains("ecs_gateway_ecs_throttling_events_total")
    );
}

#[tokio::test]
async fn a_flooding_caller_does_not_starve_a_quiet_one() {
    let harness = Harness::start_with(Options {
        limits: limits(50.0, 1),
        ..Options::default()
    })
    .await;
    let flooder = harness.client("flooder.test").await;
    let mut quiet = harness.client("quiet.test").await;
    let flood = tokio::spawn(async move {
        let started = Instant::now();
        let failures = burst(&flooder, 100).await;
        (failures.len(), started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    for _ in 0..5 {
        quiet.describe_disks(describe_disks()).await.unwrap();
    }
    let quiet_took = started.elapsed();
    let (flood_failures, flood_took) = flood.await.unwrap();

    // Behind the flood each quiet call would wait about 1.5 s; served fairly it waits for
    // about one flood request.
    assert!(
        quiet_took < Duration::from_millis(600),
        "quiet caller took {quiet_took:?}"
    );
    assert!(
        flood_took > Duration::from_millis(1500),
        "flood took {flood_took:?}"
    );
    assert_eq!(flood_failures, 0);
}

#[tokio::test]
async fn a_deadline_the_queue_cannot_meet_is_refused_at_once() {
    let harness = Harness::start_with(Options {
        limits: limits(5.0, 1),
        ..Options::default()
    })
    .await;
    let client = harness.client(ADMIN).await;
    let backlog = {
        let client = client.clone();
        tokio::spawn(async move { burst(&client, 10).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut hurried = client.clone();
    let mut request = Request::new(v1::DescribeDisksRequest {
        region_id: REGION.into(),
        ..Default::default()
    });
    request.set_timeout(Duration::from_millis(500));
    let asked = Instant::now();

    let refused = hurried.describe_disks(request).await.unwrap_err();

    assert!(
        asked.elapsed() < Duration::from_millis(300),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(refused.code(), Code::ResourceExhausted);
    let details = GatewayErrorDetails::from_status(&refused).unwrap();
    assert_eq!(details.reason, GatewayReason::DeadlineTooShort);
    assert!(details.retry_after.is_some());
    assert!(backlog.await.unwrap().is_empty());
}

#[tokio::test]
async fn a_full_queue_is_refused_at_once() {
    let mut options = Options {
        limits: limits(5.0, 1),
        ..Options::default()
    };
    options.limits.queue_capacity = 3;
    let harness = Harness::start_with(options).await;
    let client = harness.client(ADMIN).await;

    let failures = burst(&client, 10).await;

    assert!(!failures.is_empty());
    for status in &failures {
        assert_eq!(status.code(), Code::ResourceExhausted);
        let details = GatewayErrorDetails::from_status(status).unwrap();
        assert_eq!(details.reason, GatewayReason::QueueFull);
    }
    assert!(harness.metrics_text().contains("reason=\"queue_full\""));
}

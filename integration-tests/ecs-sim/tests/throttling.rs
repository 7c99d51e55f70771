//! Flow control answers like ECS: HTTP 400 with Throttling.Api / Throttling.User, counted.

mod common;

use common::*;
use ecs_sim::{Rate, SimConfig, Throttling};

#[tokio::test]
async fn per_action_limit_answers_throttling_api() {
    let mut config = SimConfig::default();
    config.throttling.actions.insert(
        "DescribeDisks".into(),
        Rate {
            per_second: 1,
            burst: 2,
        },
    );
    let f = fixture_with(config, "2024-05-19T00:00:00Z", &["d-1"]).await;
    let params = [("RegionId", REGION)];

    f.ecs.call("DescribeDisks", &params).await.ok();
    f.ecs.call("DescribeDisks", &params).await.ok();
    f.ecs
        .call("DescribeDisks", &params)
        .await
        .error(400, "Throttling.Api");
    f.ecs.call("DescribeSnapshots", &params).await.ok();

    let counters = f.admin.counters().await.unwrap();
    assert_eq!(counters.get("DescribeDisks", ecs_sim::SUCCESS), 2);
    assert_eq!(counters.get("DescribeDisks", "Throttling.Api"), 1);
    assert_eq!(counters.get("DescribeSnapshots", ecs_sim::SUCCESS), 1);
}

#[tokio::test]
async fn account_limit_answers_throttling_user_and_can_be_changed_at_run_time() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let throttling = Throttling {
        account: Some(Rate {
            per_second: 1,
            burst: 3,
        }),
        ..Default::default()
    };
    f.admin.set_throttling(&throttling).await.unwrap();
    let params = [("RegionId", REGION)];

    for action in [
        "DescribeDisks",
        "DescribeSnapshots",
        "DescribeSnapshotGroups",
    ] {
        f.ecs.call(action, &params).await.ok();
    }
    f.ecs
        .call("DescribeDisks", &params)
        .await
        .error(400, "Throttling.User");

    f.admin
        .set_throttling(&Throttling::default())
        .await
        .unwrap();
    f.ecs.call("DescribeDisks", &params).await.ok();
}

#[tokio::test]
async fn invalid_rates_are_refused_by_the_admin_api() {
    let f = fixture("2024-05-19T00:00:00Z", &[]).await;
    let zero = Throttling {
        account: Some(Rate {
            per_second: 0,
            burst: 1,
        }),
        ..Default::default()
    };
    let refused = f.admin.set_throttling(&zero).await.unwrap_err();
    assert!(
        refused.to_string().contains("throttling.account"),
        "{refused}"
    );
}

//! DescribeAutoSnapshotPolicyAssociations end to end: every policy of a disk on an upgraded
//! account (which DescribeDisks cannot show), paging, validation, authorization; and an Apply
//! of an unknown policy answering NOT_FOUND.

mod common;

use common::{ADMIN, DISKS, Harness, INSTANCE, Options, READER, REGION, ZONE};
use ecs_gateway_api::v1;
use ecs_gateway_api::{EcsErrorDetails, GatewayClient, GatewayErrorDetails};
use ecs_sim::{AccountMode, DiskSeed};
use tonic::Code;

/// More disks than one page of 10 holds.
const EXTRA_DISKS: usize = 10;

async fn upgraded_harness() -> Harness {
    let mut options = Options::default();
    options.sim.account.mode = AccountMode::Upgraded;
    for i in 0..EXTRA_DISKS {
        let seed = serde_json::json!({
            "id": format!("d-extra{i:02}"), "instance_id": INSTANCE, "zone_id": ZONE,
        });
        options
            .sim
            .disks
            .push(serde_json::from_value::<DiskSeed>(seed).unwrap());
    }
    Harness::start_with(options).await
}

async fn create_policy(client: &mut GatewayClient, name: &str) -> String {
    let request = v1::CreateAutoSnapshotPolicyRequest {
        region_id: REGION.into(),
        name: name.into(),
        time_points: vec![2],
        repeat_weekdays: vec![1],
        retention_days: 7,
        tags: Vec::new(),
    };
    let created = client.create_auto_snapshot_policy(request).await.unwrap();
    created.into_inner().auto_snapshot_policy_id
}

async fn apply(client: &mut GatewayClient, policy: &str, disks: Vec<String>) {
    let request = v1::ApplyAutoSnapshotPolicyRequest {
        region_id: REGION.into(),
        auto_snapshot_policy_id: policy.into(),
        disk_ids: disks,
    };
    client.apply_auto_snapshot_policy(request).await.unwrap();
}

fn by_disk(disk: &str) -> v1::DescribeAutoSnapshotPolicyAssociationsRequest {
    v1::DescribeAutoSnapshotPolicyAssociationsRequest {
        region_id: REGION.into(),
        disk_id: disk.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn every_policy_of_a_disk_is_listed_and_pages_are_walked() {
    let harness = upgraded_harness().await;
    let mut client = harness.client(ADMIN).await;
    let first = create_policy(&mut client, "first").await;
    let second = create_policy(&mut client, "second").await;
    let all: Vec<String> = harness_disks();
    apply(&mut client, &first, all.clone()).await;
    apply(&mut client, &second, vec![DISKS[0].into()]).await;

    let on_disk = client
        .describe_auto_snapshot_policy_associations(by_disk(DISKS[0]))
        .await
        .unwrap()
        .into_inner();
    let mut policies: Vec<&str> = (on_disk.associations.iter())
        .map(|a| a.auto_snapshot_policy_id.as_str())
        .collect();
    policies.sort();
    let mut expected = [first.as_str(), second.as_str()];
    expected.sort();
    assert_eq!(policies, expected);
    assert!(on_disk.associations.iter().all(|a| a.disk_id == DISKS[0]));
    assert_eq!(on_disk.next_token, "");
    assert_eq!(on_disk.ecs.unwrap().attempts, 1);

    let mut request = v1::DescribeAutoSnapshotPolicyAssociationsRequest {
        region_id: REGION.into(),
        auto_snapshot_policy_id: first.clone(),
        max_results: 10,
        ..Default::default()
    };
    let mut pages = 0;
    let mut carrying = Vec::new();
    loop {
        let page = client
            .describe_auto_snapshot_policy_associations(request.clone())
            .await
            .unwrap()
            .into_inner();
        pages += 1;
        assert!(page.associations.len() <= 10);
        carrying.extend(page.associations.into_iter().map(|a| a.disk_id));
        if page.next_token.is_empty() {
            break;
        }
        request.next_token = page.next_token;
    }
    carrying.sort();
    assert_eq!((pages, carrying), (2, all));
}

fn harness_disks() -> Vec<String> {
    let mut disks: Vec<String> = DISKS.iter().map(|d| d.to_string()).collect();
    disks.extend((0..EXTRA_DISKS).map(|i| format!("d-extra{i:02}")));
    disks.sort();
    disks
}

#[tokio::test]
async fn bad_filters_are_refused_before_any_ecs_call_and_readers_need_the_rpc() {
    let harness = upgraded_harness().await;
    let mut client = harness.client(ADMIN).await;

    let neither = v1::DescribeAutoSnapshotPolicyAssociationsRequest {
        region_id: REGION.into(),
        ..Default::default()
    };
    let mut both = by_disk(DISKS[0]);
    both.auto_snapshot_policy_id = "sp-1".into();
    let mut tiny_page = by_disk(DISKS[0]);
    tiny_page.max_results = 5;
    for (request, field) in [
        (neither, "auto_snapshot_policy_id"),
        (both, "auto_snapshot_policy_id"),
        (tiny_page, "max_results"),
    ] {
        let refused = client
            .describe_auto_snapshot_policy_associations(request)
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
        let details = GatewayErrorDetails::from_status(&refused).unwrap();
        assert_eq!(details.metadata["field"], field);
    }
    let counters = harness.sim.admin().counters().await.unwrap();
    assert_eq!(counters.total("DescribeAutoSnapshotPolicyAssociations"), 0);

    let mut reader = harness.client(READER).await;
    let denied = reader
        .describe_auto_snapshot_policy_associations(by_disk(DISKS[0]))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
}

#[tokio::test]
async fn applying_an_unknown_policy_is_not_found() {
    let harness = Harness::start().await;
    let mut client = harness.client(ADMIN).await;

    let refused = client
        .apply_auto_snapshot_policy(v1::ApplyAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            auto_snapshot_policy_id: "sp-missing".into(),
            disk_ids: vec![DISKS[0].into()],
        })
        .await
        .unwrap_err();

    assert_eq!(refused.code(), Code::NotFound, "{refused:?}");
    let details = EcsErrorDetails::from_status(&refused).expect("ECS details");
    assert_eq!(details.code, "ParameterInvalid");
    assert_eq!(details.http_status, Some(403));

    let policy = create_policy(&mut client, "real").await;
    let bad_disk = client
        .apply_auto_snapshot_policy(v1::ApplyAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            auto_snapshot_policy_id: policy,
            disk_ids: vec!["d-missing".into()],
        })
        .await
        .unwrap_err();
    assert_eq!(bad_disk.code(), Code::InvalidArgument, "{bad_disk:?}");
}

//! Every RPC end to end: tonic client → mutual TLS → gateway → ECS simulator.

mod common;

use common::{ADMIN, DISKS, Harness, REGION};
use ecs_gateway_api::v1;
use ecs_gateway_api::{EcsErrorDetails, GatewayErrorDetails, GatewayReason};
use tokio_stream::StreamExt;
use tonic::Code;

fn tag(key: &str, value: &str) -> v1::Tag {
    v1::Tag {
        key: key.into(),
        value: value.into(),
    }
}

#[tokio::test]
async fn policy_lifecycle_through_every_policy_rpc() {
    let harness = Harness::start().await;
    let mut client = harness.client(ADMIN).await;

    let created = client
        .create_auto_snapshot_policy(v1::CreateAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            name: "nightly".into(),
            time_points: vec![2, 14],
            repeat_weekdays: vec![1, 3, 5],
            retention_days: 30,
            tags: vec![tag("cluster", "c1"), tag("vsp", "nightly")],
        })
        .await
        .unwrap()
        .into_inner();
    let id = created.auto_snapshot_policy_id;
    assert!(id.starts_with("sp-"), "{id}");
    assert_eq!(created.ecs.unwrap().attempts, 1);

    client
        .modify_auto_snapshot_policy(v1::ModifyAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            auto_snapshot_policy_id: id.clone(),
            retention_days: Some(7),
            ..Default::default()
        })
        .await
        .unwrap();
    let found = client
        .describe_auto_snapshot_policies(v1::DescribeAutoSnapshotPoliciesRequest {
            region_id: REGION.into(),
            tags: vec![tag("vsp", "nightly")],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.policies.len(), 1);
    let policy = &found.policies[0];
    assert_eq!(policy.auto_snapshot_policy_id, id);
    assert_eq!(policy.retention_days, 7);
    assert_eq!(policy.time_points, [2, 14]);
    assert_eq!(policy.repeat_weekdays, [1, 3, 5]);

    client
        .apply_auto_snapshot_policy(v1::ApplyAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            auto_snapshot_policy_id: id.clone(),
            disk_ids: vec![DISKS[0].into(), DISKS[1].into()],
        })
        .await
        .unwrap();
    client
        .cancel_auto_snapshot_policy(v1::CancelAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            auto_snapshot_policy_id: id.clone(),
            disk_ids: vec![DISKS[1].into()],
        })
        .await
        .unwrap();
    let carrying = client
        .describe_disks(v1::DescribeDisksRequest {
            region_id: REGION.into(),
            auto_snapshot_policy_id: id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = carrying.disks.iter().map(|d| d.disk_id.as_str()).collect();
    assert_eq!(ids, [DISKS[0]]);

    client
        .delete_auto_snapshot_policy(v1::DeleteAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            auto_snapshot_policy_id: id.clone(),
        })
        .await
        .unwrap();
    let again = client
        .delete_auto_snapshot_policy(v1::DeleteAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            auto_snapshot_policy_id: id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::NotFound, "{again:?}");
    let details = EcsErrorDetails::from_status(&again).expect("ECS details");
    assert_eq!(details.action, "DeleteAutoSnapshotPolicy");
    assert_eq!(details.http_status, Some(404));
    assert!(!details.request_id.is_empty());
}

#[tokio::test]
async fn snapshots_are_created_once_per_token_listed_streamed_and_deleted() {
    let harness = Harness::start().await;
    let mut client = harness.client(ADMIN).await;
    let request = v1::CreateSnapshotRequest {
        region_id: REGION.into(),
        disk_id: DISKS[0].into(),
        name: "manual-1".into(),
        tags: vec![tag("cluster", "c1")],
        ..Default::default()
    };

    let first = client
        .create_snapshot(request.clone())
        .await
        .unwrap()
        .into_inner();
    let repeated = client
        .create_snapshot(v1::CreateSnapshotRequest {
            client_token: first.client_token.clone(),
            ..request
        })
        .await
        .unwrap()
        .into_inner();

    assert!(!first.client_token.is_empty());
    assert_eq!(repeated.snapshot_id, first.snapshot_id);
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
    let snapshot = &listed.snapshots[0];
    assert_eq!(snapshot.snapshot_id, first.snapshot_id);
    assert_eq!(snapshot.source_disk_id, DISKS[0]);
    assert!(snapshot.creation_time.is_some());
    assert!(snapshot.tags.contains(&tag("cluster", "c1")));

    let streamed: Vec<_> = client
        .stream_snapshots(v1::DescribeSnapshotsRequest {
            region_id: REGION.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    assert_eq!(streamed.len(), 1);

    client
        .delete_snapshot(v1::DeleteSnapshotRequest {
            region_id: REGION.into(),
            snapshot_id: first.snapshot_id.clone(),
            force: false,
        })
        .await
        .unwrap();
    let after = client
        .describe_snapshots(v1::DescribeSnapshotsRequest {
            region_id: REGION.into(),
            snapshot_ids: vec![first.snapshot_id],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(after.snapshots.is_empty());
}

#[tokio::test]
async fn streaming_walks_every_page() {
    let harness = Harness::start().await;
    let mut client = harness.client(ADMIN).await;
    for disk in DISKS {
        for n in 0..8 {
            let request = v1::CreateSnapshotRequest {
                region_id: REGION.into(),
                disk_id: disk.into(),
                name: format!("s-{disk}-{n}"),
                ..Default::default()
            };
            client.create_snapshot(request).await.unwrap();
            harness.sim.admin().advance(3600).await.unwrap();
        }
    }

    let streamed: Vec<_> = client
        .stream_snapshots(v1::DescribeSnapshotsRequest {
            region_id: REGION.into(),
            max_results: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .collect::<Result<_, _>>()
        .await
        .unwrap();

    assert_eq!(streamed.len(), 24);
    let mut ids: Vec<_> = streamed.iter().map(|s| s.snapshot_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 24, "no snapshot twice");
    let counters = harness.sim.admin().counters().await.unwrap();
    assert_eq!(counters.get("DescribeSnapshots", ecs_sim::SUCCESS), 3);
}

#[tokio::test]
async fn snapshot_groups_and_tags() {
    let harness = Harness::start().await;
    let mut client = harness.client(ADMIN).await;

    let group = client
        .create_snapshot_group(v1::CreateSnapshotGroupRequest {
            region_id: REGION.into(),
            disk_ids: vec![DISKS[0].into(), DISKS[1].into()],
            name: "together".into(),
            tags: vec![tag("cluster", "c1")],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let groups = client
        .describe_snapshot_groups(v1::DescribeSnapshotGroupsRequest {
            region_id: REGION.into(),
            snapshot_group_ids: vec![group.snapshot_group_id.clone()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(groups.snapshot_groups.len(), 1);
    assert_eq!(groups.snapshot_groups[0].snapshots.len(), 2);
    assert!(!group.client_token.is_empty());

    client
        .tag_resources(v1::TagResourcesRequest {
            region_id: REGION.into(),
            resource_type: v1::ResourceType::Disk.into(),
            resource_ids: vec![DISKS[2].into()],
            tags: vec![tag("owner", "team-a")],
        })
        .await
        .unwrap();
    let tagged = client
        .list_tag_resources(v1::ListTagResourcesRequest {
            region_id: REGION.into(),
            resource_type: v1::ResourceType::Disk.into(),
            tags: vec![tag("owner", "")],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tagged.tag_resources.len(), 1);
    assert_eq!(tagged.tag_resources[0].resource_id, DISKS[2]);
    assert_eq!(
        tagged.tag_resources[0].resource_type,
        v1::ResourceType::Disk as i32
    );
}

#[tokio::test]
async fn bad_requests_are_invalid_argument_naming_the_field() {
    let harness = Harness::start().await;
    let mut client = harness.client(ADMIN).await;

    let wrong_region = client
        .describe_disks(v1::DescribeDisksRequest {
            region_id: "us-west-1".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    let bad_hour = client
        .create_auto_snapshot_policy(v1::CreateAutoSnapshotPolicyRequest {
            region_id: REGION.into(),
            time_points: vec![24],
            repeat_weekdays: vec![1],
            retention_days: 1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    let unknown_disk = client
        .create_snapshot(v1::CreateSnapshotRequest {
            region_id: REGION.into(),
            disk_id: "d-missing".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(wrong_region.code(), Code::InvalidArgument);
    let details = GatewayErrorDetails::from_status(&wrong_region).unwrap();
    assert_eq!(details.reason, GatewayReason::InvalidRequest);
    assert_eq!(details.metadata["field"], "region_id");
    assert_eq!(bad_hour.code(), Code::InvalidArgument, "{bad_hour:?}");
    assert_eq!(unknown_disk.code(), Code::NotFound, "{unknown_disk:?}");
    assert!(EcsErrorDetails::from_status(&unknown_disk).is_some());
    let counters = harness.sim.admin().counters().await.unwrap();
    assert_eq!(
        counters.total("CreateAutoSnapshotPolicy"),
        0,
        "validated before any call"
    );
}

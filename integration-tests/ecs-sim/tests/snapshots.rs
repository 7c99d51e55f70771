//! Manual snapshots, snapshot groups and tags: idempotency, busy disks, ECS's rules and
//! response nesting.

mod common;

use common::*;

#[tokio::test]
async fn client_token_makes_create_snapshot_idempotent() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let params = [("DiskId", "d-1"), ("ClientToken", "token-1")];
    let first = f.ecs.call("CreateSnapshot", &params).await.ok();
    let again = f.ecs.call("CreateSnapshot", &params).await.ok();
    assert_eq!(first["SnapshotId"], again["SnapshotId"]);
    assert_eq!(snapshot_ids(&f.ecs, "d-1").await.len(), 1);
}

#[tokio::test]
async fn a_disk_busy_with_a_snapshot_refuses_another_until_it_completes() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let id = f
        .ecs
        .call("CreateSnapshot", &[("DiskId", "d-1")])
        .await
        .ok()["SnapshotId"]
        .clone();
    let busy = f.ecs.call("CreateSnapshot", &[("DiskId", "d-1")]).await;
    busy.error(400, "IncorrectDiskStatus.CreatingSnapshot");

    let params = [("RegionId", REGION), ("DiskId", "d-1")];
    let body = f.ecs.call("DescribeSnapshots", &params).await.ok();
    assert_eq!(body["Snapshots"]["Snapshot"][0]["Status"], "progressing");
    f.admin.advance(60).await.unwrap();
    let body = f.ecs.call("DescribeSnapshots", &params).await.ok();
    let snapshot = &body["Snapshots"]["Snapshot"][0];
    assert_eq!(
        (&snapshot["SnapshotId"], &snapshot["Status"]),
        (&id, &"accomplished".into())
    );
    assert_eq!(snapshot["Progress"], "100%");
    f.ecs
        .call("CreateSnapshot", &[("DiskId", "d-1")])
        .await
        .ok();
}

#[tokio::test]
async fn snapshot_rules_and_delete_semantics() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let reserved = [("DiskId", "d-1"), ("SnapshotName", "auto_mine")];
    f.ecs
        .call("CreateSnapshot", &reserved)
        .await
        .error(400, "InvalidSnapshotName.Malformed");
    f.ecs
        .call("CreateSnapshot", &[("DiskId", "d-nope")])
        .await
        .error(404, "InvalidDiskId.NotFound");
    f.ecs
        .call("CreateSnapshot", &[])
        .await
        .error(400, "MissingParameter");

    f.ecs
        .call("DeleteSnapshot", &[("SnapshotId", "s-unknown")])
        .await
        .ok();
    let id = f
        .ecs
        .call("CreateSnapshot", &[("DiskId", "d-1")])
        .await
        .ok()["SnapshotId"]
        .as_str()
        .unwrap()
        .to_owned();
    f.ecs
        .call("DeleteSnapshot", &[("SnapshotId", &id)])
        .await
        .ok();
    assert!(
        snapshot_ids(&f.ecs, "d-1").await.is_empty(),
        "a progressing snapshot is cancelled"
    );
}

#[tokio::test]
async fn stopped_instance_is_fine_but_a_starting_one_is_not() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    f.admin
        .set_instance_status(INSTANCE, ecs_sim::InstanceStatus::Starting)
        .await
        .unwrap();
    let refused = f.ecs.call("CreateSnapshot", &[("DiskId", "d-1")]).await;
    refused.error(403, "IncorrectInstanceStatus");
    f.admin
        .set_instance_status(INSTANCE, ecs_sim::InstanceStatus::Stopped)
        .await
        .unwrap();
    f.ecs
        .call("CreateSnapshot", &[("DiskId", "d-1")])
        .await
        .ok();
}

#[tokio::test]
async fn snapshot_group_of_an_instance_with_key_value_tags() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1", "d-2"]).await;
    let params = [
        ("RegionId", REGION),
        ("InstanceId", INSTANCE),
        ("Name", "nightly-group"),
        ("ClientToken", "group-1"),
        ("Tag.1.Key", "cluster"),
        ("Tag.1.Value", "c1"),
    ];
    let created = f.ecs.call("CreateSnapshotGroup", &params).await.ok();
    let again = f.ecs.call("CreateSnapshotGroup", &params).await.ok();
    assert_eq!(created["SnapshotGroupId"], again["SnapshotGroupId"]);

    f.admin.advance(60).await.unwrap();
    let list = [("RegionId", REGION), ("Status.1", "accomplished")];
    let body = f.ecs.call("DescribeSnapshotGroups", &list).await.ok();
    let group = &body["SnapshotGroups"]["SnapshotGroup"][0];
    assert_eq!(group["SnapshotGroupId"], created["SnapshotGroupId"]);
    assert_eq!(group["InstanceId"], INSTANCE);
    assert_eq!(group["Tags"]["Tag"][0]["Key"], "cluster");
    assert_eq!(group["Tags"]["Tag"][0]["Value"], "c1");
    assert_eq!(group["Snapshots"]["Snapshot"].as_array().unwrap().len(), 2);

    let delete = [
        ("RegionId", REGION),
        (
            "SnapshotGroupId",
            group["SnapshotGroupId"].as_str().unwrap(),
        ),
    ];
    let body = f.ecs.call("DeleteSnapshotGroup", &delete).await.ok();
    let progress = body["OperationProgressSet"]["OperationProgress"]
        .as_array()
        .unwrap();
    assert_eq!(progress.len(), 2);
    assert!(snapshot_ids(&f.ecs, "d-1").await.is_empty());
}

#[tokio::test]
async fn snapshot_group_rules() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let mut efficiency = disk("d-eff", Some(INSTANCE));
    efficiency.category = "cloud_efficiency".into();
    f.admin.put_disk(&efficiency).await.unwrap();
    let mut far = disk("d-far", None);
    far.zone_id = Some("cn-hangzhou-k".into());
    f.admin.put_disk(&far).await.unwrap();
    let group = |disks: &'static [&'static str]| {
        let ecs = f.ecs.clone();
        async move {
            let keys: Vec<String> = (1..=disks.len()).map(|n| format!("DiskId.{n}")).collect();
            let mut params: Vec<(&str, &str)> = vec![("RegionId", REGION)];
            params.extend(keys.iter().map(String::as_str).zip(disks.iter().copied()));
            ecs.call("CreateSnapshotGroup", &params).await
        }
    };
    group(&["d-1", "d-eff"])
        .await
        .error(400, "InvalidDiskCategory.NotSupported");
    group(&["d-1", "d-far"])
        .await
        .error(400, "InvalidParameter.ZoneId");
    group(&["d-1"]).await.ok();
    group(&["d-1"])
        .await
        .error(400, "IncorrectDiskStatus.CreatingSnapshot");
}

#[tokio::test]
async fn tags_on_snapshots_and_policies() {
    let f = fixture("2024-05-19T00:00:00Z", &["d-1"]).await;
    let id = f
        .ecs
        .call("CreateSnapshot", &[("DiskId", "d-1")])
        .await
        .ok()["SnapshotId"]
        .as_str()
        .unwrap()
        .to_owned();
    let tag = [
        ("RegionId", REGION),
        ("ResourceType", "snapshot"),
        ("ResourceId.1", id.as_str()),
        ("Tag.1.Key", "vsp"),
        ("Tag.1.Value", "nightly"),
        ("Tag.2.Key", "cluster"),
        ("Tag.2.Value", "c1"),
    ];
    f.ecs.call("TagResources", &tag).await.ok();

    let filtered = [
        ("RegionId", REGION),
        ("Tag.1.Key", "vsp"),
        ("Tag.1.Value", "nightly"),
    ];
    let body = f.ecs.call("DescribeSnapshots", &filtered).await.ok();
    let tags = &body["Snapshots"]["Snapshot"][0]["Tags"]["Tag"];
    assert_eq!(tags[0]["TagKey"], "cluster");
    assert_eq!(tags[1]["TagValue"], "nightly");

    let list = [
        ("RegionId", REGION),
        ("ResourceType", "snapshot"),
        ("Tag.1.Key", "cluster"),
    ];
    let body = f.ecs.call("ListTagResources", &list).await.ok();
    let rows = body["TagResources"]["TagResource"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "one row per resource and tag: {body}");
    assert_eq!(rows[0]["ResourceId"], id.as_str());

    let reserved = [
        ("RegionId", REGION),
        ("ResourceType", "snapshot"),
        ("ResourceId.1", id.as_str()),
        ("Tag.1.Key", "aliyun-x"),
    ];
    f.ecs
        .call("TagResources", &reserved)
        .await
        .error(400, "InvalidTagKey.Malformed");
    let missing = [
        ("RegionId", REGION),
        ("ResourceType", "snapshot"),
        ("ResourceId.1", "s-missing"),
        ("Tag.1.Key", "k"),
    ];
    f.ecs
        .call("TagResources", &missing)
        .await
        .error(404, "InvalidResourceId.NotFound");
}

#[tokio::test]
async fn manual_snapshot_quota_per_disk() {
    let mut config = ecs_sim::SimConfig::default();
    config.quotas.manual_snapshots_per_disk = 1;
    config.timing.snapshot_completion_seconds = 0;
    let f = fixture_with(config, "2024-05-19T00:00:00Z", &["d-1"]).await;
    f.ecs
        .call("CreateSnapshot", &[("DiskId", "d-1")])
        .await
        .ok();
    let refused = f.ecs.call("CreateSnapshot", &[("DiskId", "d-1")]).await;
    refused.error(403, "QuotaExceed.Snapshot");
}

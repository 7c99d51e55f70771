//! Every action's wire parameters, response parsing and local validation.

use std::collections::BTreeMap;

use ecs_client::actions::*;
use ecs_client::{Action, Error, RetrySafety};
use serde_json::json;

fn params<A: Action>(action: &A) -> BTreeMap<String, String> {
    action.validate().expect("request is valid");
    let list = action.params();
    let map: BTreeMap<String, String> = list.iter().cloned().collect();
    assert_eq!(map.len(), list.len(), "no parameter is sent twice");
    map
}

fn expect(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn invalid<A: Action>(action: &A) -> (String, String) {
    match action.validate() {
        Err(Error::InvalidRequest {
            action: name,
            parameter,
            reason,
        }) => {
            assert_eq!(name, A::NAME);
            (parameter, reason)
        }
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
}

fn parse<A: Action>(body: serde_json::Value) -> A::Response {
    serde_json::from_value(body).expect("response parses")
}

#[test]
fn create_policy_uses_lower_camel_case_and_json_array_strings() {
    let mut action = CreateAutoSnapshotPolicy::new("cn-beijing", vec![1, 13], vec![1, 7], 7);
    action.name = Some("vsp-nightly".into());
    action.tags = vec![Tag::new("managed-by", "ssm")];
    action.cross_region_copy.enabled = Some(true);
    action.cross_region_copy.target_regions = vec!["cn-shanghai".into()];

    assert_eq!(
        params(&action),
        expect(&[
            ("regionId", "cn-beijing"),
            ("timePoints", r#"["1","13"]"#),
            ("repeatWeekdays", r#"["1","7"]"#),
            ("retentionDays", "7"),
            ("autoSnapshotPolicyName", "vsp-nightly"),
            ("Tag.1.Key", "managed-by"),
            ("Tag.1.Value", "ssm"),
            ("EnableCrossRegionCopy", "true"),
            ("TargetCopyRegions", r#"["cn-shanghai"]"#),
        ])
    );
    assert_eq!(action.safety(), RetrySafety::Mutating);

    let response = parse::<CreateAutoSnapshotPolicy>(
        json!({"RequestId": "r", "AutoSnapshotPolicyId": "sp-1"}),
    );
    assert_eq!(response.auto_snapshot_policy_id, "sp-1");
}

#[test]
fn create_policy_validation_mirrors_ecs_limits() {
    let valid = CreateAutoSnapshotPolicy::new("cn-beijing", vec![0, 23], vec![1], -1);
    assert!(valid.validate().is_ok());

    let mut bad = valid.clone();
    bad.time_points = vec![24];
    assert_eq!(invalid(&bad).0, "timePoints");
    bad.time_points = vec![3, 3];
    assert!(invalid(&bad).1.contains("twice"));
    bad.time_points = vec![];
    assert_eq!(invalid(&bad).0, "timePoints");

    let mut bad = valid.clone();
    bad.repeat_weekdays = vec![0];
    assert_eq!(invalid(&bad).0, "repeatWeekdays");

    for days in [0, -2, 65536] {
        let mut bad = valid.clone();
        bad.retention_days = days;
        assert_eq!(invalid(&bad).0, "retentionDays", "{days}");
    }

    let mut bad = valid.clone();
    bad.name = Some("1starts-with-digit".into());
    assert_eq!(invalid(&bad).0, "autoSnapshotPolicyName");
    bad.name = Some("https://x".into());
    assert_eq!(invalid(&bad).0, "autoSnapshotPolicyName");
    bad.name = Some("策略-每日".into());
    assert!(bad.validate().is_ok(), "CJK names are allowed");

    let mut bad = valid.clone();
    bad.tags = vec![Tag::new("aliyun-x", "v")];
    assert_eq!(invalid(&bad).0, "Tag.1.Key");
    bad.tags = (0..21).map(|i| Tag::new(format!("k{i}"), "")).collect();
    assert_eq!(invalid(&bad).0, "Tag");
    bad.tags = vec![Tag::new("k", "a"), Tag::new("k", "b")];
    assert!(invalid(&bad).1.contains("twice"));

    let mut bad = valid;
    bad.association_type = Some(AssociationType::AssociatedWithInstanceTag);
    assert_eq!(invalid(&bad).0, "TargetTags");
    bad.target_tags = vec![Tag::new("env", "")];
    assert!(bad.validate().is_ok());
    bad.cross_region_copy.target_regions = vec!["cn-a".into(), "cn-b".into()];
    assert_eq!(invalid(&bad).0, "TargetCopyRegions");
}

#[test]
fn modify_policy_sends_only_what_changes() {
    let mut action = ModifyAutoSnapshotPolicyEx::new("cn-beijing", "sp-1");
    action.retention_days = Some(30);
    assert_eq!(
        params(&action),
        expect(&[
            ("regionId", "cn-beijing"),
            ("autoSnapshotPolicyId", "sp-1"),
            ("retentionDays", "30")
        ])
    );

    action.time_points = vec![2];
    action.repeat_weekdays = vec![6, 7];
    let sent = params(&action);
    assert_eq!(sent["timePoints"], r#"["2"]"#);
    assert_eq!(sent["repeatWeekdays"], r#"["6","7"]"#);

    action.auto_snapshot_policy_id = String::new();
    assert_eq!(invalid(&action).0, "autoSnapshotPolicyId");
    let response = parse::<ModifyAutoSnapshotPolicyEx>(json!({"RequestId": "r"}));
    assert_eq!(response.request_id, "r");
}

#[test]
fn delete_policy() {
    let action = DeleteAutoSnapshotPolicy::new("cn-beijing", "sp-1");
    assert_eq!(
        params(&action),
        expect(&[("regionId", "cn-beijing"), ("autoSnapshotPolicyId", "sp-1")])
    );
    let bad = DeleteAutoSnapshotPolicy::new("CN_Beijing", "sp-1");
    assert_eq!(invalid(&bad).0, "regionId");
}

#[test]
fn describe_policies_uses_upper_camel_case_and_parses_nested_lists() {
    let mut action = DescribeAutoSnapshotPolicyEx::new("cn-beijing");
    action.auto_snapshot_policy_id = Some("sp-1".into());
    action.page_number = Some(2);
    action.page_size = Some(100);
    assert_eq!(
        params(&action),
        expect(&[
            ("RegionId", "cn-beijing"),
            ("AutoSnapshotPolicyId", "sp-1"),
            ("PageNumber", "2"),
            ("PageSize", "100"),
        ])
    );
    assert_eq!(action.safety(), RetrySafety::ReadOnly);
    action.page_size = Some(101);
    assert_eq!(invalid(&action).0, "PageSize");

    let body = json!({
        "RequestId": "r", "TotalCount": 1, "PageNumber": 1, "PageSize": 10,
        "AutoSnapshotPolicies": { "AutoSnapshotPolicy": [{
            "AutoSnapshotPolicyId": "sp-1", "AutoSnapshotPolicyName": "nightly",
            "RegionId": "cn-beijing", "CreationTime": "2024-05-20T08:30Z",
            "TimePoints": "[\"1\",\"13\"]", "RepeatWeekdays": "[\"1\",\"7\"]",
            "RetentionDays": -1, "Status": "Normal", "Type": "Custom",
            "DiskNums": 2, "VolumeNums": 0, "EnableCrossRegionCopy": false,
            "Tags": { "Tag": [{ "TagKey": "k", "TagValue": "v" }] },
            "TargetTags": { "TargetTag": [] }
        }]}
    });
    let response = parse::<DescribeAutoSnapshotPolicyEx>(body.clone());
    let policy = &response.auto_snapshot_policies[0];
    assert_eq!(policy.time_points, [1, 13]);
    assert_eq!(policy.repeat_weekdays, [1, 7]);
    assert_eq!(policy.retention_days, -1);
    assert_eq!(policy.policy_type, "Custom");
    assert_eq!(policy.disk_nums, 2);
    assert_eq!(
        policy.tags,
        [ResourceTag {
            key: "k".into(),
            value: "v".into()
        }]
    );
    assert!(parse_ecs_time(&policy.creation_time).is_some());

    let round_trip = serde_json::to_value(&response).unwrap();
    assert_eq!(
        round_trip["AutoSnapshotPolicies"]["AutoSnapshotPolicy"][0]["TimePoints"],
        "[\"1\",\"13\"]"
    );
}

#[test]
fn apply_and_cancel_send_disk_ids_as_json_array_string() {
    let disks = vec!["d-1".to_owned(), "d-2".to_owned()];
    let apply = ApplyAutoSnapshotPolicy::new("cn-beijing", "sp-1", disks.clone());
    assert_eq!(
        params(&apply),
        expect(&[
            ("regionId", "cn-beijing"),
            ("autoSnapshotPolicyId", "sp-1"),
            ("diskIds", r#"["d-1","d-2"]"#)
        ])
    );

    let cancel = CancelAutoSnapshotPolicy::new("cn-beijing", "sp-1", disks);
    assert_eq!(
        params(&cancel),
        expect(&[
            ("regionId", "cn-beijing"),
            ("diskIds", r#"["d-1","d-2"]"#),
            ("autoSnapshotPolicyId", "sp-1")
        ])
    );

    let too_many: Vec<String> = (0..=MAX_DISKS_PER_POLICY_CALL)
        .map(|i| format!("d-{i}"))
        .collect();
    assert_eq!(
        invalid(&ApplyAutoSnapshotPolicy::new(
            "cn-beijing",
            "sp-1",
            too_many
        ))
        .0,
        "diskIds"
    );
    assert_eq!(
        invalid(&CancelAutoSnapshotPolicy::new("cn-beijing", "sp-1", vec![])).0,
        "diskIds"
    );
    let duplicate = vec!["d-1".to_owned(), "d-1".to_owned()];
    assert!(
        invalid(&ApplyAutoSnapshotPolicy::new(
            "cn-beijing",
            "sp-1",
            duplicate
        ))
        .1
        .contains("twice")
    );
    let spaced = vec!["d 1".to_owned()];
    assert_eq!(
        invalid(&ApplyAutoSnapshotPolicy::new("cn-beijing", "sp-1", spaced)).0,
        "diskIds"
    );
}

#[test]
fn create_snapshot_carries_a_client_token_and_no_region() {
    let mut action = CreateSnapshot::new("d-1");
    action.snapshot_name = Some("vsp-nightly-20240520".into());
    action.retention_days = Some(7);
    action.tags = vec![Tag::new("k", "")];
    let token = action
        .client_token
        .clone()
        .expect("new() fills in a client token");

    let sent = params(&action);
    assert_eq!(sent["DiskId"], "d-1");
    assert_eq!(sent["SnapshotName"], "vsp-nightly-20240520");
    assert_eq!(sent["RetentionDays"], "7");
    assert_eq!(sent["ClientToken"], token);
    assert_eq!(sent["Tag.1.Value"], "");
    assert!(!sent.contains_key("RegionId"));
    assert_eq!(
        action.safety(),
        RetrySafety::Idempotent {
            client_token: token
        }
    );
    assert_ne!(
        CreateSnapshot::new("d-1").client_token,
        action.client_token,
        "tokens are fresh"
    );

    action.snapshot_name = Some("auto-mine".into());
    assert!(invalid(&action).1.contains("reserved"));
    action.snapshot_name = None;
    action.description = Some("x".into());
    assert_eq!(invalid(&action).0, "Description");
    action.description = None;
    action.client_token = Some("x".repeat(65));
    assert_eq!(invalid(&action).0, "ClientToken");
    action.client_token = None;
    assert_eq!(action.safety(), RetrySafety::Mutating);

    let response = parse::<CreateSnapshot>(json!({"RequestId": "r", "SnapshotId": "s-1"}));
    assert_eq!(response.snapshot_id, "s-1");
}

#[test]
fn snapshot_group_flattens_disk_ids() {
    let mut action = CreateSnapshotGroup::new("cn-beijing", vec!["d-1".into(), "d-2".into()]);
    action.name = Some("repeat-once".into());
    let sent = params(&action);
    assert_eq!(sent["RegionId"], "cn-beijing");
    assert_eq!(sent["DiskId.1"], "d-1");
    assert_eq!(sent["DiskId.2"], "d-2");
    assert_eq!(sent["Name"], "repeat-once");
    assert!(matches!(action.safety(), RetrySafety::Idempotent { .. }));

    let mut bad = action.clone();
    bad.exclude_disk_ids = vec!["d-3".into()];
    assert_eq!(invalid(&bad).0, "ExcludeDiskId");
    let mut bad = action.clone();
    bad.disk_ids = vec![];
    assert_eq!(invalid(&bad).0, "DiskId");
    bad.instance_id = Some("i-1".into());
    assert!(
        bad.validate().is_ok(),
        "an instance alone selects all its disks"
    );
    bad.disk_ids = (0..=MAX_GROUP_DISKS).map(|i| format!("d-{i}")).collect();
    assert_eq!(invalid(&bad).0, "DiskId");

    let response =
        parse::<CreateSnapshotGroup>(json!({"RequestId": "r", "SnapshotGroupId": "ssg-1"}));
    assert_eq!(response.snapshot_group_id, "ssg-1");
}

#[test]
fn describe_snapshot_groups_reads_key_value_tags() {
    let mut action = DescribeSnapshotGroups::new("cn-beijing");
    action.snapshot_group_ids = vec!["ssg-1".into()];
    action.statuses = vec![SnapshotStatus::Accomplished, SnapshotStatus::Failed];
    action.max_results = Some(50);
    assert_eq!(
        params(&action),
        expect(&[
            ("RegionId", "cn-beijing"),
            ("SnapshotGroupId.1", "ssg-1"),
            ("Status.1", "accomplished"),
            ("Status.2", "failed"),
            ("MaxResults", "50"),
        ])
    );
    action.statuses = vec![SnapshotStatus::All];
    assert_eq!(invalid(&action).0, "Status");

    let body = json!({
        "RequestId": "r", "NextToken": "",
        "SnapshotGroups": { "SnapshotGroup": [{
            "SnapshotGroupId": "ssg-1", "Name": "g", "Description": "",
            "CreationTime": "2024-05-20T08:30:00Z",
            "Status": "accomplished", "InstanceId": "i-1",
            "Tags": { "Tag": [{ "Key": "k", "Value": "v" }] },
            "Snapshots": { "Snapshot": [{
                "SnapshotId": "s-1", "SourceDiskId": "d-1", "SourceDiskType": "data",
                "Progress": "100%", "Available": true,
                "Tags": { "Tag": [{ "Key": "acs:ecs:sourceDiskId", "Value": "d-1" }] }
            }]}
        }]}
    });
    let response = parse::<DescribeSnapshotGroups>(body);
    let group = &response.snapshot_groups[0];
    assert_eq!(
        group.tags,
        [GroupTag {
            key: "k".into(),
            value: "v".into()
        }]
    );
    assert_eq!(group.snapshots[0].snapshot_id, "s-1");
    assert_eq!(group.snapshots[0].tags[0].value, "d-1");
    assert_eq!(response.next_token.as_deref(), Some(""));
}

#[test]
fn delete_snapshot() {
    let mut action = DeleteSnapshot::new("s-1");
    action.force = Some(true);
    assert_eq!(
        params(&action),
        expect(&[("SnapshotId", "s-1"), ("Force", "true")])
    );
    assert_eq!(invalid(&DeleteSnapshot::new("")).0, "SnapshotId");
}

#[test]
fn describe_snapshots_filters_and_parses() {
    let mut action = DescribeSnapshots::new("cn-beijing");
    action.snapshot_ids = vec!["s-1".into(), "s-2".into()];
    action.snapshot_type = Some(SnapshotTypeFilter::Auto);
    action.status = Some(SnapshotStatus::Accomplished);
    action.created_after = Some("2024-05-20T08:30:45Z".parse().unwrap());
    action.tags = vec![Tag::new("policy", "nightly")];
    action.max_results = Some(100);
    action.next_token = Some("tok".into());
    assert_eq!(
        params(&action),
        expect(&[
            ("RegionId", "cn-beijing"),
            ("SnapshotIds", r#"["s-1","s-2"]"#),
            ("SnapshotType", "auto"),
            ("Status", "accomplished"),
            ("Tag.1.Key", "policy"),
            ("Tag.1.Value", "nightly"),
            ("Filter.1.Key", "CreationStartTime"),
            ("Filter.1.Value", "2024-05-20T08:30Z"),
            ("MaxResults", "100"),
            ("NextToken", "tok"),
        ])
    );
    action.max_results = Some(101);
    assert_eq!(invalid(&action).0, "MaxResults");
    action.max_results = None;
    action.snapshot_ids = (0..101).map(|i| format!("s-{i}")).collect();
    assert_eq!(invalid(&action).0, "SnapshotIds");
    action.snapshot_ids = vec![];
    action.usage = Some("backup".into());
    assert_eq!(invalid(&action).0, "Usage");

    let body = json!({
        "RequestId": "r", "NextToken": "next", "TotalCount": 1,
        "Snapshots": { "Snapshot": [{
            "SnapshotId": "s-1", "SnapshotName": "auto_20240520_1", "Description": "",
            "SnapshotSN": "64472-116742336-61976", "Status": "accomplished", "Progress": "100%",
            "RemainTime": 0, "SnapshotType": "auto", "Category": "standard", "Available": true,
            "Encrypted": false, "KMSKeyId": "", "SourceDiskId": "d-1", "SourceDiskSize": "40",
            "SourceDiskType": "data", "RetentionDays": 7, "CreationTime": "2024-05-20T08:30:00Z",
            "LastModifiedTime": "2024-05-20T08:31:00Z", "RegionId": "cn-beijing",
            "Tags": { "Tag": [{ "TagKey": "k", "TagValue": "v" }] }
        }]}
    });
    let response = parse::<DescribeSnapshots>(body.clone());
    let snapshot = &response.snapshots[0];
    assert_eq!(
        snapshot.snapshot_sn.as_deref(),
        Some("64472-116742336-61976")
    );
    assert_eq!(snapshot.source_disk_size.as_deref(), Some("40"));
    assert_eq!(snapshot.kms_key_id.as_deref(), Some(""));
    assert_eq!(snapshot.retention_days, Some(7));
    assert_eq!(snapshot.tags[0].key, "k");
    assert_eq!(response.next_token.as_deref(), Some("next"));

    let round_trip = serde_json::to_value(&response).unwrap();
    assert_eq!(
        round_trip["Snapshots"]["Snapshot"][0]["SnapshotSN"],
        body["Snapshots"]["Snapshot"][0]["SnapshotSN"]
    );
    assert_eq!(round_trip["Snapshots"]["Snapshot"][0]["KMSKeyId"], "");
}

#[test]
fn describe_disks_filters_and_parses() {
    let mut action = DescribeDisks::new("cn-beijing");
    action.disk_ids = vec!["d-1".into()];
    action.auto_snapshot_policy_id = Some("sp-1".into());
    action.status = Some("In_use".into());
    action.max_results = Some(500);
    assert_eq!(
        params(&action),
        expect(&[
            ("RegionId", "cn-beijing"),
            ("DiskIds", r#"["d-1"]"#),
            ("AutoSnapshotPolicyId", "sp-1"),
            ("Status", "In_use"),
            ("MaxResults", "500"),
        ])
    );
    action.status = Some("in_use".into());
    assert_eq!(invalid(&action).0, "Status");

    let body = json!({
        "RequestId": "r", "NextToken": "", "TotalCount": 1,
        "Disks": { "Disk": [{
            "DiskId": "d-1", "DiskName": "pv-1", "Description": "", "RegionId": "cn-beijing",
            "ZoneId": "cn-beijing-h", "InstanceId": "i-1", "Device": "/dev/xvdb", "Type": "data",
            "Category": "cloud_essd", "PerformanceLevel": "PL1", "Size": 40, "Status": "In_use",
            "Portable": true, "AutoSnapshotPolicyId": "sp-1", "EnableAutomatedSnapshotPolicy": true,
            "KMSKeyId": "",
            "Attachments": { "Attachment": [{ "InstanceId": "i-1", "Device": "/dev/xvdb" }] },
            "Tags": { "Tag": [] }, "OperationLocks": { "OperationLock": [] }
        }]}
    });
    let disk = parse::<DescribeDisks>(body).disks.remove(0);
    assert_eq!(disk.disk_type, "data");
    assert_eq!(disk.size, 40);
    assert_eq!(disk.auto_snapshot_policy_id.as_deref(), Some("sp-1"));
    assert_eq!(disk.attachments[0].instance_id, "i-1");
}

#[test]
fn tag_resources_and_list_tags() {
    let action = TagResources::new(
        "cn-beijing",
        "snapshot",
        vec!["s-1".into(), "s-2".into()],
        vec![Tag::new("a", "1"), Tag::new("b", "")],
    );
    assert_eq!(
        params(&action),
        expect(&[
            ("RegionId", "cn-beijing"),
            ("ResourceType", "snapshot"),
            ("ResourceId.1", "s-1"),
            ("ResourceId.2", "s-2"),
            ("Tag.1.Key", "a"),
            ("Tag.1.Value", "1"),
            ("Tag.2.Key", "b"),
            ("Tag.2.Value", ""),
        ])
    );
    let mut bad = action.clone();
    bad.tags = vec![];
    assert_eq!(invalid(&bad).0, "Tag");
    let mut bad = action.clone();
    bad.resource_type = "bucket".into();
    assert_eq!(invalid(&bad).0, "ResourceType");
    let mut bad = action;
    bad.resource_ids = (0..51).map(|i| format!("s-{i}")).collect();
    assert_eq!(invalid(&bad).0, "ResourceId");
    bad.resource_ids = vec!["s-1".into()];
    bad.tags = vec![Tag::new("k", "see http://x")];
    assert_eq!(invalid(&bad).0, "Tag.1.Value");

    let mut list = ListTagResources::new("cn-beijing", "snapshotpolicy");
    list.tags = vec![TagFilter {
        key: "cluster".into(),
        value: None,
    }];
    list.next_token = Some("n".into());
    assert_eq!(
        params(&list),
        expect(&[
            ("RegionId", "cn-beijing"),
            ("ResourceType", "snapshotpolicy"),
            ("Tag.1.Key", "cluster"),
            ("NextToken", "n"),
        ])
    );

    let body = json!({
        "RequestId": "r", "NextToken": "",
        "TagResources": { "TagResource": [
            { "ResourceId": "sp-1", "ResourceType": "snapshotpolicy",
              "TagKey": "cluster", "TagValue": "c1" }
        ]}
    });
    let response = parse::<ListTagResources>(body);
    assert_eq!(response.tag_resources[0].tag_value, "c1");
}

#[test]
fn deletes_by_id_declare_themselves_idempotent() {
    use ecs_client::actions::{DeleteAutoSnapshotPolicy, DeleteSnapshot};

    let snapshot = DeleteSnapshot::new("s-1");
    let policy = DeleteAutoSnapshotPolicy::new("cn-hangzhou", "sp-1");

    assert_eq!(snapshot.safety(), RetrySafety::IdempotentDelete);
    assert_eq!(policy.safety(), RetrySafety::IdempotentDelete);
    assert!(snapshot.safety().is_retry_safe());
}

#[test]
fn policy_associations_take_one_filter_and_parse_pairs() {
    let mut by_disk = DescribeAutoSnapshotPolicyAssociations::of_disk("cn-beijing", "d-1");
    by_disk.max_results = Some(MAX_ASSOCIATIONS_PAGE);
    by_disk.next_token = Some("d-1/sp-1".into());
    assert_eq!(
        params(&by_disk),
        expect(&[
            ("RegionId", "cn-beijing"),
            ("DiskId", "d-1"),
            ("MaxResults", "100"),
            ("NextToken", "d-1/sp-1")
        ])
    );
    assert_eq!(by_disk.safety(), RetrySafety::ReadOnly);
    let by_policy = DescribeAutoSnapshotPolicyAssociations::of_policy("cn-beijing", "sp-1");
    assert_eq!(
        params(&by_policy),
        expect(&[("RegionId", "cn-beijing"), ("AutoSnapshotPolicyId", "sp-1")])
    );

    let mut both = by_policy.clone();
    both.disk_id = Some("d-1".into());
    assert!(invalid(&both).1.contains("exactly one"));
    let neither = DescribeAutoSnapshotPolicyAssociations {
        region_id: "cn-beijing".into(),
        ..Default::default()
    };
    assert_eq!(invalid(&neither).0, "AutoSnapshotPolicyId");
    let mut small = by_policy.clone();
    small.max_results = Some(MIN_ASSOCIATIONS_PAGE - 1);
    assert_eq!(invalid(&small).0, "MaxResults");

    let body = json!({
        "RequestId": "r-1",
        "NextToken": "",
        "AutoSnapshotPolicyAssociations": { "AutoSnapshotPolicyAssociation": [
            { "AutoSnapshotPolicyId": "sp-1", "DiskId": "d-1" },
            { "AutoSnapshotPolicyId": "sp-2", "DiskId": "d-1" }
        ] }
    });
    let response = parse::<DescribeAutoSnapshotPolicyAssociations>(body);
    let pairs: Vec<(&str, &str)> = response
        .auto_snapshot_policy_associations
        .iter()
        .map(|a| (a.auto_snapshot_policy_id.as_str(), a.disk_id.as_str()))
        .collect();
    assert_eq!(pairs, [("sp-1", "d-1"), ("sp-2", "d-1")]);
    assert_eq!(response.next_token.as_deref(), Some(""));
}

"""Every simulated action through aliyun-python-sdk-ecs on aliyun-python-sdk-core, using the
SDK's own request setters (which add `RegionId` themselves and flatten lists as `Name.N`)."""

import json

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException


def test_policy_lifecycle(sim, old_sdk):
    instance = sim.seed_instance()
    disk = sim.seed_disk(instance)
    created = old_sdk.call(
        "CreateAutoSnapshotPolicy",
        timePoints='["0","12"]',
        repeatWeekdays='["6","7"]',
        retentionDays=-1,
        autoSnapshotPolicyName="weekend",
        Tags=[{"Key": "cluster", "Value": "c1"}],
    )
    policy = created["AutoSnapshotPolicyId"]
    assert created["RequestId"]

    old_sdk.call("ModifyAutoSnapshotPolicyEx", autoSnapshotPolicyId=policy, retentionDays=14)
    old_sdk.call("ApplyAutoSnapshotPolicy", autoSnapshotPolicyId=policy, diskIds=json.dumps([disk]))
    body = old_sdk.call("DescribeAutoSnapshotPolicyEx", AutoSnapshotPolicyId=policy, PageSize=5)
    found = body["AutoSnapshotPolicies"]["AutoSnapshotPolicy"][0]
    assert (body["TotalCount"], body["PageNumber"], body["PageSize"]) == (1, 1, 5)
    assert (found["RetentionDays"], found["DiskNums"], found["TimePoints"]) == (14, 1, '["0","12"]')
    assert found["Tags"]["Tag"] == [{"TagKey": "cluster", "TagValue": "c1"}]

    body = old_sdk.call("DescribeAutoSnapshotPolicyAssociations", AutoSnapshotPolicyId=policy)
    association = body["AutoSnapshotPolicyAssociations"]["AutoSnapshotPolicyAssociation"]
    assert association == [{"AutoSnapshotPolicyId": policy, "DiskId": disk}]
    body = old_sdk.call("DescribeDisks", AutoSnapshotPolicyId=policy)
    assert [d["DiskId"] for d in body["Disks"]["Disk"]] == [disk]

    old_sdk.call("CancelAutoSnapshotPolicy", diskIds=json.dumps([disk]))
    old_sdk.call("DeleteAutoSnapshotPolicy", autoSnapshotPolicyId=policy)
    with pytest.raises(ServerException) as refused:
        old_sdk.call("DeleteAutoSnapshotPolicy", autoSnapshotPolicyId=policy)
    assert refused.value.get_http_status() == 404
    assert refused.value.get_error_code() == "ParameterInvalid"


def test_snapshot_lifecycle(sim, old_sdk):
    disk = sim.seed_disk(sim.seed_instance())
    created = old_sdk.call(
        "CreateSnapshot",
        DiskId=disk,
        SnapshotName="manual-old",
        ClientToken=f"old-{disk}",
        Tags=[{"Key": "vsp", "Value": "once"}],
    )
    again = old_sdk.call("CreateSnapshot", DiskId=disk, ClientToken=f"old-{disk}")
    assert again["SnapshotId"] == created["SnapshotId"]

    body = old_sdk.call("DescribeSnapshots", DiskId=disk, Status="progressing")
    assert [s["SnapshotId"] for s in body["Snapshots"]["Snapshot"]] == [created["SnapshotId"]]
    sim.advance(60)
    body = old_sdk.call(
        "DescribeSnapshots",
        SnapshotIds=json.dumps([created["SnapshotId"]]),
        Filter1Key="CreationStartTime",
        Filter1Value="2000-01-01T00:00Z",
        MaxResults=10,
    )
    snapshot = body["Snapshots"]["Snapshot"][0]
    assert (snapshot["Status"], snapshot["Available"], snapshot["SnapshotName"]) == (
        "accomplished", True, "manual-old",
    )
    assert snapshot["Tags"]["Tag"] == [{"TagKey": "vsp", "TagValue": "once"}]

    old_sdk.call("DeleteSnapshot", SnapshotId=created["SnapshotId"], Force=True)
    body = old_sdk.call("DescribeSnapshots", DiskId=disk)
    assert body["Snapshots"]["Snapshot"] == []


def test_snapshot_group_lifecycle(sim, old_sdk):
    instance = sim.seed_instance()
    disks = [sim.seed_disk(instance), sim.seed_disk(instance)]
    created = old_sdk.call(
        "CreateSnapshotGroup", DiskIds=disks, Name="group-old", Tags=[{"Key": "k", "Value": "v"}]
    )
    group_id = created["SnapshotGroupId"]
    body = old_sdk.call("DescribeSnapshotGroups", SnapshotGroupIds=[group_id])
    group = body["SnapshotGroups"]["SnapshotGroup"][0]
    assert (group["Status"], group["InstanceId"], group["Tags"]["Tag"]) == (
        "progressing", instance, [{"Key": "k", "Value": "v"}],
    )
    body = old_sdk.call("DeleteSnapshotGroup", SnapshotGroupId=group_id)
    assert len(body["OperationProgressSet"]["OperationProgress"]) == 2


def test_tags(sim, old_sdk):
    disk = sim.seed_disk(sim.seed_instance())
    old_sdk.call(
        "TagResources", ResourceType="disk", ResourceIds=[disk], Tags=[{"Key": "a", "Value": "1"}]
    )
    body = old_sdk.call("ListTagResources", ResourceType="disk", ResourceIds=[disk])
    assert body["TagResources"]["TagResource"] == [
        {"ResourceId": disk, "ResourceType": "disk", "TagKey": "a", "TagValue": "1"}
    ]
    assert body["NextToken"] == ""
    old_sdk.call("UntagResources", ResourceType="disk", ResourceIds=[disk], All=True)
    body = old_sdk.call("ListTagResources", ResourceType="disk", ResourceIds=[disk])
    assert body["TagResources"]["TagResource"] == []

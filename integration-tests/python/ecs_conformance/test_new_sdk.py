"""Every simulated action through alibabacloud-ecs20140526 (tea-openapi), signed with V3 (the
SDK default) and with RPC signature v1 (`signature_algorithm="v2"`). The SDK's own models must
parse each response with every field filled."""

import json

import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException

from .sdks import assert_filled
from .simkit import REGION


def create_policy(client, name="nightly", tags=()):
    request = m.CreateAutoSnapshotPolicyRequest(
        region_id=REGION,
        time_points='["2","14"]',
        repeat_weekdays='["1","3","5"]',
        retention_days=7,
        auto_snapshot_policy_name=name,
        tag=[m.CreateAutoSnapshotPolicyRequestTag(key=k, value=v) for k, v in tags],
    )
    response = client.create_auto_snapshot_policy(request)
    assert_filled(response)
    assert response.body.auto_snapshot_policy_id.startswith("sp-")
    return response.body.auto_snapshot_policy_id


def test_policy_lifecycle(sim, new_sdk):
    instance = sim.seed_instance()
    disk = sim.seed_disk(instance)
    policy = create_policy(new_sdk, tags=[("cluster", "c1")])

    modify = m.ModifyAutoSnapshotPolicyExRequest(
        region_id=REGION, auto_snapshot_policy_id=policy, time_points='["3"]', retention_days=30
    )
    assert_filled(new_sdk.modify_auto_snapshot_policy_ex(modify))
    apply = m.ApplyAutoSnapshotPolicyRequest(
        region_id=REGION, auto_snapshot_policy_id=policy, disk_ids=json.dumps([disk])
    )
    assert_filled(new_sdk.apply_auto_snapshot_policy(apply))

    describe = m.DescribeAutoSnapshotPolicyExRequest(
        region_id=REGION, auto_snapshot_policy_id=policy, page_number=1, page_size=10
    )
    response = new_sdk.describe_auto_snapshot_policy_ex(describe)
    assert_filled(response)
    found = response.body.auto_snapshot_policies.auto_snapshot_policy[0]
    assert (found.time_points, found.repeat_weekdays) == ('["3"]', '["1","3","5"]')
    assert (found.retention_days, found.disk_nums, found.status) == (30, 1, "Normal")
    assert found.tags.tag[0].tag_key == "cluster" and found.tags.tag[0].tag_value == "c1"

    associations = m.DescribeAutoSnapshotPolicyAssociationsRequest(
        region_id=REGION, auto_snapshot_policy_id=policy
    )
    response = new_sdk.describe_auto_snapshot_policy_associations(associations)
    assert_filled(response)
    pairs = response.body.auto_snapshot_policy_associations.auto_snapshot_policy_association
    assert [(a.auto_snapshot_policy_id, a.disk_id) for a in pairs] == [(policy, disk)]

    by_id = m.DescribeDisksRequest(region_id=REGION, disk_ids=json.dumps([disk]))
    disks = new_sdk.describe_disks(by_id)
    assert_filled(disks)
    assert disks.body.disks.disk[0].auto_snapshot_policy_id == policy

    cancel = m.CancelAutoSnapshotPolicyRequest(
        region_id=REGION, disk_ids=json.dumps([disk]), auto_snapshot_policy_id=policy
    )
    assert_filled(new_sdk.cancel_auto_snapshot_policy(cancel))
    delete = m.DeleteAutoSnapshotPolicyRequest(region_id=REGION, auto_snapshot_policy_id=policy)
    assert_filled(new_sdk.delete_auto_snapshot_policy(delete))
    with pytest.raises(ClientException) as refused:
        new_sdk.delete_auto_snapshot_policy(delete)
    assert (refused.value.status_code, refused.value.code) == (404, "ParameterInvalid")
    assert refused.value.data["RequestId"]


def test_snapshot_lifecycle(sim, new_sdk):
    disk = sim.seed_disk(sim.seed_instance())
    token = f"token-{disk}"
    create = m.CreateSnapshotRequest(
        disk_id=disk,
        snapshot_name="manual-1",
        description="before upgrade",
        retention_days=3,
        client_token=token,
        tag=[m.CreateSnapshotRequestTag(key="vsp", value="nightly")],
    )
    first = new_sdk.create_snapshot(create)
    assert_filled(first)
    assert new_sdk.create_snapshot(create).body.snapshot_id == first.body.snapshot_id

    with pytest.raises(ClientException) as busy:
        new_sdk.create_snapshot(m.CreateSnapshotRequest(disk_id=disk))
    assert busy.value.status_code == 400
    assert busy.value.code == "IncorrectDiskStatus.CreatingSnapshot"

    sim.advance(60)
    describe = m.DescribeSnapshotsRequest(
        region_id=REGION,
        disk_id=disk,
        snapshot_ids=json.dumps([first.body.snapshot_id]),
        max_results=10,
        filter=[
            m.DescribeSnapshotsRequestFilter(key="CreationStartTime", value="2000-01-01T00:00Z")
        ],
        tag=[m.DescribeSnapshotsRequestTag(key="vsp", value="nightly")],
    )
    response = new_sdk.describe_snapshots(describe)
    assert_filled(response)
    snapshot = response.body.snapshots.snapshot[0]
    assert (snapshot.status, snapshot.progress, snapshot.snapshot_type) == (
        "accomplished", "100%", "user",
    )
    assert (snapshot.source_disk_id, snapshot.source_disk_size, snapshot.retention_days) == (
        disk, "40", 3,
    )
    assert snapshot.creation_time.endswith("Z")
    assert snapshot.tags.tag[0].tag_key == "vsp"

    delete = m.DeleteSnapshotRequest(snapshot_id=first.body.snapshot_id, force=True)
    assert_filled(new_sdk.delete_snapshot(delete))
    # Deleting it again succeeds: ECS ignores unknown snapshot IDs.
    assert_filled(new_sdk.delete_snapshot(delete))


def test_snapshot_group_lifecycle(sim, new_sdk):
    instance = sim.seed_instance()
    disks = [sim.seed_disk(instance), sim.seed_disk(instance)]
    create = m.CreateSnapshotGroupRequest(
        region_id=REGION,
        instance_id=instance,
        disk_id=disks,
        name="consistent-1",
        description="both disks",
        client_token=f"group-{instance}",
        tag=[m.CreateSnapshotGroupRequestTag(key="cluster", value="c1")],
    )
    created = new_sdk.create_snapshot_group(create)
    assert_filled(created)
    group_id = created.body.snapshot_group_id

    sim.advance(60)
    describe = m.DescribeSnapshotGroupsRequest(
        region_id=REGION, snapshot_group_id=[group_id], status=["accomplished"], max_results=10
    )
    response = new_sdk.describe_snapshot_groups(describe)
    assert_filled(response)
    group = response.body.snapshot_groups.snapshot_group[0]
    assert (group.snapshot_group_id, group.instance_id, group.status) == (
        group_id, instance, "accomplished",
    )
    assert (group.tags.tag[0].key, group.tags.tag[0].value) == ("cluster", "c1")
    assert sorted(s.source_disk_id for s in group.snapshots.snapshot) == sorted(disks)

    delete = m.DeleteSnapshotGroupRequest(region_id=REGION, snapshot_group_id=group_id)
    response = new_sdk.delete_snapshot_group(delete)
    assert_filled(response)
    progress = response.body.operation_progress_set.operation_progress
    assert [p.operation_status for p in progress] == ["Success", "Success"]


def test_tags(sim, new_sdk):
    disk = sim.seed_disk(sim.seed_instance())
    tag = m.TagResourcesRequest(
        region_id=REGION,
        resource_type="disk",
        resource_id=[disk],
        tag=[m.TagResourcesRequestTag(key="owner", value="team-a")],
    )
    assert_filled(new_sdk.tag_resources(tag))

    listing = m.ListTagResourcesRequest(region_id=REGION, resource_type="disk", resource_id=[disk])
    response = new_sdk.list_tag_resources(listing)
    assert_filled(response)
    rows = response.body.tag_resources.tag_resource
    assert [(r.resource_id, r.resource_type, r.tag_key, r.tag_value) for r in rows] == [
        (disk, "disk", "owner", "team-a")
    ]

    untag = m.UntagResourcesRequest(
        region_id=REGION, resource_type="disk", resource_id=[disk], tag_key=["owner"]
    )
    assert_filled(new_sdk.untag_resources(untag))
    assert new_sdk.list_tag_resources(listing).body.tag_resources.tag_resource == []


def test_describe_disks_pages_with_next_token(sim, new_sdk):
    instance = sim.seed_instance()
    disks = {sim.seed_disk(instance) for _ in range(12)}
    seen, token = [], None
    while True:
        request = m.DescribeDisksRequest(
            region_id=REGION, instance_id=instance, max_results=10, next_token=token
        )
        response = new_sdk.describe_disks(request)
        assert_filled(response)
        seen += [d.disk_id for d in response.body.disks.disk]
        token = response.body.next_token
        if not token:
            break
    assert sorted(seen) == sorted(disks)

"""Throttling and injected faults as the official SDKs classify them."""

import pytest
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException

from .simkit import REGION


@pytest.fixture
def clean_settings(sim):
    yield
    sim.admin("PUT", "settings/throttling", {})
    sim.admin("PUT", "settings/faults", [])


def test_account_flow_control_is_http_400_throttling_user(sim, new_sdk, clean_settings):
    sim.admin("PUT", "settings/throttling", {"account": {"per_second": 1, "burst": 1}})
    new_sdk.describe_disks(m.DescribeDisksRequest(region_id=REGION))
    with pytest.raises(ClientException) as refused:
        new_sdk.describe_disks(m.DescribeDisksRequest(region_id=REGION))
    assert (refused.value.status_code, refused.value.code) == (400, "Throttling.User")


def test_injected_server_error_is_a_server_exception(sim, new_sdk, clean_settings):
    rule = {"action": "DescribeSnapshots", "fault": {"kind": "server_error"}, "times": 1}
    sim.admin("PUT", "settings/faults", [rule])
    with pytest.raises(ServerException) as failed:
        new_sdk.describe_snapshots(m.DescribeSnapshotsRequest(region_id=REGION))
    assert (failed.value.status_code, failed.value.code) == (503, "ServiceUnavailable")
    new_sdk.describe_snapshots(m.DescribeSnapshotsRequest(region_id=REGION))

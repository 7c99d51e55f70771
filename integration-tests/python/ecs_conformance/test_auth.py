"""Signature checks as the official SDKs meet them, and the credential issuers."""

import json
import time
import urllib.parse
import urllib.request

import pytest
from alibabacloud_credentials.provider.ecs_ram_role import EcsRamRoleCredentialsProvider
from alibabacloud_ecs20140526 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.utils import parameter_helper

from . import sdks
from .simkit import ACCESS_KEY_ID, REGION


@pytest.mark.parametrize("algorithm", ["v3", "v2"])
def test_wrong_secret_is_rejected_for_the_new_sdk(sim, algorithm):
    client = sdks.new_client(sim.endpoint, algorithm, secret="not-the-secret")
    with pytest.raises(ClientException) as refused:
        client.describe_disks(m.DescribeDisksRequest(region_id=REGION))
    assert (refused.value.status_code, refused.value.code) == (400, "SignatureDoesNotMatch")


def test_wrong_secret_is_recognised_by_the_old_sdk(sim):
    """SDK core turns SignatureDoesNotMatch into InvalidAccessKeySecret only when the server's
    string to sign (quoted in the message) equals its own: proof of identical canonicalisation."""
    client = sdks.OldSdk(sim.endpoint, secret="not-the-secret")
    with pytest.raises(ServerException) as refused:
        client.call("DescribeDisks")
    assert (refused.value.get_http_status(), refused.value.get_error_code()) == (
        400, "InvalidAccessKeySecret",
    )


@pytest.mark.parametrize("algorithm", ["v3", "v2"])
def test_unknown_access_key(sim, algorithm):
    client = sdks.new_client(sim.endpoint, algorithm, key_id="LTAIunknown")
    with pytest.raises(ClientException) as refused:
        client.describe_disks(m.DescribeDisksRequest(region_id=REGION))
    assert refused.value.code == "InvalidAccessKeyId.NotFound"


def test_reused_nonce(sim, old_sdk, monkeypatch):
    monkeypatch.setattr(parameter_helper, "get_uuid", lambda: "fixed-nonce-for-replay")
    old_sdk.call("DescribeDisks")
    with pytest.raises(ServerException) as refused:
        old_sdk.call("DescribeDisks")
    assert (refused.value.get_http_status(), refused.value.get_error_code()) == (
        400, "SignatureNonceUsed",
    )


def test_skewed_timestamp(sim, old_sdk, monkeypatch):
    stale = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 16 * 60))
    monkeypatch.setattr(parameter_helper, "get_iso_8061_date", lambda: stale)
    with pytest.raises(ServerException) as refused:
        old_sdk.call("DescribeDisks")
    assert (refused.value.get_http_status(), refused.value.get_error_code()) == (
        400, "InvalidTimeStamp.Expired",
    )


@pytest.mark.parametrize("algorithm", ["v3", "v2"])
def test_sts_credentials_work_until_they_expire_on_the_virtual_clock(sim, algorithm):
    request = {"role_arn": "acs:ram::1:role/r", "duration_seconds": 900}
    issued = sim.admin("POST", "sts/credentials", request)
    client = sdks.new_client(
        sim.endpoint,
        algorithm,
        key_id=issued["access_key_id"],
        secret=issued["access_key_secret"],
        token=issued["security_token"],
    )
    client.describe_disks(m.DescribeDisksRequest(region_id=REGION))
    sim.advance(900)
    with pytest.raises(ClientException) as refused:
        client.describe_disks(m.DescribeDisksRequest(region_id=REGION))
    assert refused.value.code == "InvalidSecurityToken.Expired"


def test_assume_role_with_oidc_as_the_credentials_library_sends_it(sim):
    token = sim.admin("POST", "oidc/token", {})["token"]
    trust = sim.admin("GET", "settings/credentials")["oidc"]
    query = urllib.parse.urlencode({
        "Action": "AssumeRoleWithOIDC",
        "Format": "JSON",
        "Version": "2015-04-01",
        "DurationSeconds": "3600",
        "RoleArn": "acs:ram::1234567890:role/ecs-gateway",
        "OIDCProviderArn": trust["provider_arn"],
        "OIDCToken": token,
        "RoleSessionName": "conformance",
        "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    })
    with urllib.request.urlopen(f"{sim.base_url}/?{query}", timeout=5) as response:
        body = json.loads(response.read())
    credentials = body["Credentials"]
    client = sdks.new_client(
        sim.endpoint,
        "v3",
        key_id=credentials["AccessKeyId"],
        secret=credentials["AccessKeySecret"],
        token=credentials["SecurityToken"],
    )
    client.describe_disks(m.DescribeDisksRequest(region_id=REGION))


def test_metadata_credentials_through_the_official_credentials_library(sim):
    provider = EcsRamRoleCredentialsProvider(disable_imds_v1=True)
    provider._EcsRamRoleCredentialsProvider__metadata_service_host = sim.endpoint
    credentials = provider.get_credentials()
    assert credentials.get_access_key_id().startswith("STS.")
    client = sdks.new_client(
        sim.endpoint,
        "v3",
        key_id=credentials.get_access_key_id(),
        secret=credentials.get_access_key_secret(),
        token=credentials.get_security_token(),
    )
    client.describe_disks(m.DescribeDisksRequest(region_id=REGION))


def test_calls_are_counted_per_action_and_code(sim, old_sdk):
    before = sim.counters().get("DescribeSnapshotGroups", {})
    old_sdk.call("DescribeSnapshotGroups")
    wrong = sdks.OldSdk(sim.endpoint, key_id=ACCESS_KEY_ID, secret="wrong")
    with pytest.raises(ServerException):
        wrong.call("DescribeSnapshotGroups")
    after = sim.counters()["DescribeSnapshotGroups"]
    assert after.get("Success", 0) - before.get("Success", 0) == 1
    assert after.get("SignatureDoesNotMatch", 0) - before.get("SignatureDoesNotMatch", 0) == 1

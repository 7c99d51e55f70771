"""values.schema.json refuses wrong values at install time with a message naming the key."""

from __future__ import annotations

import copy
import json
import re

import helm_python as helm
import pytest

import chartkit
from chartkit import CI_VALUES


def _with(path: str, value):
    """The default ci values with one key (dotted path) set."""
    values = copy.deepcopy(CI_VALUES["default"])
    node = values
    *parents, leaf = path.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
    return values


RRSA = "ecsGateway.credentials"

# (values, JSON pointer the message must name, words the message must contain)
REFUSED = [
    (_with("clusterId", "Cluster_1"), "/clusterId", "does not match pattern"),
    (_with("clusterId", "c" * 41), "/clusterId", "maxLength"),
    (_with("region", "Hangzhou"), "/region", "does not match pattern"),
    (_with("csiDrivers", []), "/csiDrivers", "minItems"),
    (_with("logging", {"format": "yaml", "level": "info"}), "/logging/format", "one of"),
    (_with("image.pullPolicy", "Sometimes"), "/image/pullPolicy", "one of"),
    (_with("image.digest", "latest"), "/image/digest", "does not match pattern"),
    (_with("tls.mode", "none"), "/tls/mode", "one of"),
    (_with("ecsGateway.replicas", 0), "/ecsGateway/replicas", "minimum"),
    (_with("policyListener.replicas", "2"), "/policyListener/replicas", "want integer"),
    (_with("ecsGateway.port", 80), "/ecsGateway/port", "minimum"),
    (_with("ecsGateway.credentials.source", "password"), "/ecsGateway/credentials/source",
     "one of"),
    (_with(RRSA, {"source": "accessKey"}), "/ecsGateway/credentials/accessKey/accessKeyId",
     "minLength"),
    (_with(RRSA, {"source": "rrsa", "rrsa": {"roleArn": "my-role"}}),
     "/ecsGateway/credentials/rrsa/roleArn", "does not match pattern"),
    (_with(RRSA, {"source": "rrsa"}), "/ecsGateway/credentials/rrsa/oidcProviderArn",
     "does not match pattern"),
    (_with("ecsGateway.rateLimits.accountQps", 0), "/ecsGateway/rateLimits/accountQps",
     "exclusiveMinimum"),
    (_with("ecsGateway.rateLimits.queueCapacity", 0), "/ecsGateway/rateLimits/queueCapacity",
     "minimum"),
    (_with("ecsGateway.rateLimits.perActionQps", {"describe-disks": 5}),
     "/ecsGateway/rateLimits/perActionQps", "describe-disks"),
    (_with("pvcReconciler.gateway", {"rpcs": ["DescribeDisk"], "weight": 1}),
     "/pvcReconciler/gateway/rpcs/0", "one of"),
    (_with("snapshotReconciler.gateway", {"rpcs": ["DescribeSnapshots"], "weight": 0}),
     "/snapshotReconciler/gateway/weight", "minimum"),
    (_with("ecsGateway.extraCallers", [{"rpcs": ["DescribeDisks"]}]),
     "/ecsGateway/extraCallers/0", "identity"),
    (_with("networkPolicy.apiServer.cidrs", ["10.0.0.1"]), "/networkPolicy/apiServer/cidrs/0",
     "does not match pattern"),
    (_with("snapshotReconciler.snapshotClass", ""), "/snapshotReconciler/snapshotClass",
     "minLength"),
    (_with("pvcReconciler.ecsAccountMode", "multi"), "/pvcReconciler/ecsAccountMode",
     "one of"),
    (_with("snapshotReconciler.pollInterval", "1 minute"), "/snapshotReconciler/pollInterval",
     "does not match pattern"),
    (_with("pvcReconciler.extraArgs", ["-v"]), "/pvcReconciler/extraArgs/0",
     "does not match pattern"),
    (_with("tls.certManager.issuerRef", {"name": "ca", "kind": "Vault"}),
     "/tls/certManager/issuerRef", "kind"),
    (_with("ecsGateway.resources", {"requests": {"cpu": "lots"}}),
     "/ecsGateway/resources/requests/cpu", "cpu"),
    (_with("replicaCount", 3), "", "additional properties 'replicaCount' not allowed"),
    (_with("policyListener.replica", 3), "/policyListener", "'replica' not allowed"),
]


@pytest.mark.parametrize(("values", "pointer", "words"), REFUSED,
                         ids=[f"{p or 'root'}:{w}" for _, p, w in REFUSED])
def test_wrong_values_are_refused_with_the_key_named(chart, values, pointer, words):
    with pytest.raises(helm.HelmValuesError) as refused:
        chart.validate_schema(values)

    message = str(refused.value)
    assert f"at '{pointer}" in message, message
    assert words in message, message


def test_install_refuses_what_the_schema_refuses(chart):
    """render applies the schema the way `helm install` does, not only validate_schema."""
    with pytest.raises(helm.HelmValuesError, match="/clusterId"):
        chartkit.render(chart, _with("clusterId", "Cluster_1"))


# (values, what the refusal must say): values-check.yaml words what the schema cannot.
REFUSED_AT_RENDER = [
    ({"region": "cn-hangzhou"},
     "clusterId is required: set it to this cluster's ACK cluster ID, for example "
     "--set clusterId=c0123456789abcdef"),
    (_with("region", ""),
     "region is required: set it to the Alibaba Cloud region of the cluster's disks, for "
     "example --set region=cn-hangzhou"),
    (_with("defaultTimeZone", "Asia/Shangai"),
     'defaultTimeZone "Asia/Shangai" is not a time zone the services know: use an IANA name '
     "such as Asia/Shanghai"),
    (_with("defaultTimeZone", "UTC+8"), 'defaultTimeZone "UTC+8" is not a time zone'),
]


@pytest.mark.parametrize(("values", "words"), REFUSED_AT_RENDER,
                         ids=[w.split(":")[0] for _, w in REFUSED_AT_RENDER])
def test_missing_or_unknown_values_say_what_to_set(chart, values, words):
    with pytest.raises(helm.HelmRenderError) as refused:
        chartkit.render(chart, values)

    assert words in str(refused.value), str(refused.value)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires",
                                  "Etc/GMT-14", "asia/shanghai"])
def test_zones_the_services_know_are_accepted_in_any_case(chart, zone):
    """Like the services' lookup (jiff's bundled tzdb), the check ignores case."""
    rendered = chartkit.render(chart, _with("defaultTimeZone", zone))
    args = dict(chartkit.pod_specs(rendered))["policy-listener"]["containers"][0]["args"]
    assert f"--default-time-zone={zone}" in args


def test_the_zone_list_ships_with_the_chart():
    """files/time-zones.txt must be packaged (.helmignore) and hold one zone per line; the
    walkthrough crate's chart_time_zones test keeps it equal to the binaries' list."""
    zones = (chartkit.CHART_DIR / "files" / "time-zones.txt").read_text().splitlines()
    assert "Asia/Shanghai" in zones and "UTC" in zones
    assert zones == sorted(set(zones)) and all(z and " " not in z for z in zones)
    ignored = (chartkit.CHART_DIR / ".helmignore").read_text().splitlines()
    assert not any(p.strip() in ("files/", "files", "*.txt") for p in ignored)


def test_gateway_port_must_not_clash_with_the_admin_port(chart):
    with pytest.raises(helm.HelmRenderError, match="ecsGateway.port must not be 9090"):
        chartkit.render(chart, _with("ecsGateway.port", 9090))


@pytest.mark.parametrize("name", sorted(CI_VALUES))
def test_ci_value_sets_are_accepted(chart, name):
    chart.validate_schema(CI_VALUES[name])


def test_rpc_names_match_the_gateway_contract():
    """The allow-list enum in the schema lists exactly the RPCs of the gateway's proto."""
    schema = json.loads((chartkit.CHART_DIR / "values.schema.json").read_text())
    allowed = set(schema["definitions"]["rpc"]["enum"]) - {"*"}
    proto_rpcs = set(re.findall(r"^\s*rpc\s+(\w+)\s*\(", chartkit.PROTO.read_text(), re.M))

    assert proto_rpcs, f"no rpc found in {chartkit.PROTO}"
    assert allowed == proto_rpcs

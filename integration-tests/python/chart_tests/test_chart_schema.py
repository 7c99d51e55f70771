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
    ({"region": "cn-hangzhou"}, "/clusterId", "minLength"),
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
        chartkit.render(chart, {"region": "cn-hangzhou"})


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

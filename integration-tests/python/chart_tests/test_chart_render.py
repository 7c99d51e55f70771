"""The chart renders with real Helm for every ci/ value set, lints clean, and every object
passes the Kubernetes schemas (strict: unknown fields are errors)."""

from __future__ import annotations

import pytest
import yaml

import chartkit
from chartkit import CI_VALUES

EXPECTED_SETS = {"default", "access-key", "existing-secret", "rrsa-cert-manager", "ha", "minimal"}


def test_ci_value_sets_cover_the_combinations():
    missing = EXPECTED_SETS - set(CI_VALUES)
    assert not missing, f"missing ci value sets: {missing}"


@pytest.mark.parametrize("name", sorted(CI_VALUES))
def test_every_object_passes_kubernetes_schemas(renders, name):
    unchecked = set()
    for manifest in renders[name].manifests:
        if not chartkit.validate(manifest):
            unchecked.add((manifest.obj["apiVersion"], manifest.kind))

    assert unchecked <= chartkit.THIRD_PARTY_KINDS


@pytest.mark.parametrize("name", sorted(CI_VALUES))
def test_helm_lint_strict_has_no_errors(name):
    assert chartkit.lint_errors(CI_VALUES[name]) == []


def test_lint_check_can_fail():
    """lint_errors is not vacuous: lint with an invalid value set reports it."""
    errors = chartkit.lint_errors({**CI_VALUES["default"], "region": "Hangzhou"})
    assert any("/region" in error for error in errors), errors


def test_validation_rejects_a_broken_object(default_render):
    deployment = next(m for m in default_render.manifests if m.kind == "Deployment")
    broken = chartkit.Manifest(deployment.template, {**deployment.obj, "bogusField": 1})

    with pytest.raises(ValueError, match="bogusField"):
        chartkit.validate(broken)


def test_default_render_has_every_component(default_render):
    for kind in ("Deployment", "ServiceAccount", "PodDisruptionBudget", "NetworkPolicy"):
        components = {
            m.obj["metadata"]["labels"]["app.kubernetes.io/component"]
            for m in default_render.of_kind(kind)
        }
        assert components == set(chartkit.COMPONENTS), kind

    services = {m.name for m in default_render.of_kind("Service")}
    assert services == {
        "storage-snapshot-manager-ecs-gateway",
        *(f"storage-snapshot-manager-{c}-metrics" for c in chartkit.COMPONENTS),
    }


def test_replicas_follow_values(renders):
    for name, expected in (("ha", 3), ("minimal", 1), ("default", 2)):
        for m in renders[name].of_kind("Deployment"):
            assert m.obj["spec"]["replicas"] == expected, (name, str(m))


def test_service_monitor_only_when_enabled(renders):
    assert renders["default"].of_kind("ServiceMonitor") == []

    [monitor] = renders["rrsa-cert-manager"].of_kind("ServiceMonitor")
    spec = monitor.obj["spec"]
    assert monitor.obj["metadata"]["labels"]["release"] == "prometheus"
    assert spec["endpoints"][0]["port"] == "metrics"
    selected = spec["selector"]["matchLabels"]
    metrics_services = [
        m for m in renders["rrsa-cert-manager"].of_kind("Service")
        if selected.items() <= m.obj["metadata"]["labels"].items()
    ]
    assert len(metrics_services) == len(chartkit.COMPONENTS)
    for service in metrics_services:
        assert [p["name"] for p in service.obj["spec"]["ports"]] == ["metrics"]


def test_volume_snapshot_class_is_optional(renders):
    [vsc] = renders["default"].of_kind("VolumeSnapshotClass")
    assert vsc.name == "default-snapclass"
    assert vsc.obj["driver"] == "diskplugin.csi.alibabacloud.com"
    assert renders["minimal"].of_kind("VolumeSnapshotClass") == []


def test_snapshot_class_flag_matches_the_class(renders):
    for name in ("default", "ha"):
        rendered = renders[name]
        [vsc] = rendered.of_kind("VolumeSnapshotClass")
        args = rendered.get("Deployment", "storage-snapshot-manager-snapshot-reconciler")[
            "spec"]["template"]["spec"]["containers"][0]["args"]
        assert f"--snapshot-class={vsc.name}" in args


def test_crds_shipped_in_the_chart_are_valid_and_ours(chart):
    """Whatever lies in crds/ (not part of render output) passes the CRD schema, and is ours:
    the snapshot CRDs belong to external-snapshotter and must not be shipped here."""
    for name in chartkit.validate_crds(chart):
        assert name.startswith("storage-snapshot-manager/crds/")
    for crd in chart.crds:
        for obj in yaml.safe_load_all(crd["data"]):
            if obj:
                assert obj["kind"] == "CustomResourceDefinition", crd["filename"]
                assert obj["spec"]["group"] == "storage.alibabacloud.com", crd["filename"]


def test_notes_tell_the_operator_what_to_check(renders):
    notes = renders["default"].notes
    assert "kubectl -n kube-system get deploy" in notes
    assert "volumesnapshotpolicies.storage.alibabacloud.com" in notes
    assert "networkPolicy.apiServer.cidrs" in notes, "offline render must warn about API egress"

    assert "networkPolicy.apiServer.cidrs" not in renders["access-key"].notes
    assert "get certificate" in renders["rrsa-cert-manager"].notes


def _gateway_args(rendered):
    return rendered.get("Deployment", "storage-snapshot-manager-ecs-gateway")[
        "spec"]["template"]["spec"]["containers"][0]["args"]


def test_each_gateway_replica_gets_its_share_of_the_rate_limits(renders):
    """Replicas limit independently, so together they must stay under the account's limits."""
    for name, replicas in (("default", 2), ("ha", 3), ("minimal", 1)):
        values = CI_VALUES[name].get("ecsGateway", {}).get("rateLimits", {})
        args = dict(a.split("=", 1) for a in _gateway_args(renders[name]) if "=" in a)
        account = values.get("accountQps", 20)
        assert float(args["--account-rate"]) * replicas == pytest.approx(account)
        assert int(args["--account-burst"]) >= 1
        assert int(args["--account-burst"]) * replicas < values.get(
            "accountBurst", 20) + replicas

    per_action = [a.split("=", 1)[1] for a in _gateway_args(renders["ha"])
                  if a.startswith("--action-rate=")]
    rates = dict(entry.split("=") for entry in per_action)
    assert float(rates["DescribeSnapshots"]) * 3 == pytest.approx(20)
    assert float(rates["CreateSnapshot"]) * 3 == pytest.approx(5), "defaults merge with values"


def test_pod_metadata_and_extra_args_reach_the_component(chart):
    values = {**CI_VALUES["default"], "logging": {"format": "text", "level": "info"},
              "pvcReconciler": {"extraArgs": ["--gateway-call-timeout=45s"],
                                "logLevel": "debug",
                                "podAnnotations": {"example.com/team": "storage"},
                                "podLabels": {"team": "storage"}}}
    rendered = chartkit.render(chart, values)
    pod = rendered.get("Deployment", "storage-snapshot-manager-pvc-reconciler")["spec"]["template"]
    args = pod["spec"]["containers"][0]["args"]

    assert args[-1] == "--gateway-call-timeout=45s"
    assert "--log-level=debug" in args and "--log-format=text" in args
    assert pod["metadata"]["annotations"]["example.com/team"] == "storage"
    assert pod["metadata"]["labels"]["team"] == "storage"
    other = rendered.get("Deployment", "storage-snapshot-manager-policy-listener")
    assert "--log-level=info" in other["spec"]["template"]["spec"]["containers"][0]["args"]


def test_names_follow_the_release_and_namespace(chart):
    rendered = chartkit.render(chart, CI_VALUES["default"], namespace="storage", release="prod")
    prefix = "prod-storage-snapshot-manager"

    for m in rendered.manifests:
        assert m.name.startswith(prefix) or m.kind == "VolumeSnapshotClass", str(m)
        if m.kind not in ("ClusterRole", "ClusterRoleBinding", "VolumeSnapshotClass"):
            assert m.obj["metadata"]["namespace"] == "storage", str(m)
        for subject in m.obj.get("subjects", []):
            assert subject["namespace"] == "storage", str(m)

    args = rendered.get("Deployment", f"{prefix}-pvc-reconciler")["spec"]["template"]["spec"][
        "containers"][0]["args"]
    assert f"--gateway-endpoint=https://{prefix}-ecs-gateway.storage.svc:8443" in args
    assert "--lease-namespace=storage" in args
    callers = rendered.get("ConfigMap", f"{prefix}-ecs-gateway-callers")["data"]["callers.yaml"]
    assert f"{prefix}-pvc-reconciler.storage.serviceaccount.cluster.local" in callers


def test_long_release_names_are_cut_to_fit_service_names(chart):
    rendered = chartkit.render(chart, CI_VALUES["default"], release="r" * 53)
    for m in rendered.of_kind("Service"):
        assert len(m.name) <= 63, m.name
    for m in rendered.manifests:
        chartkit.validate(m)


def test_the_volume_snapshot_policy_crd_ships_with_the_chart(chart):
    crds = [obj for crd in chart.crds for obj in yaml.safe_load_all(crd["data"]) if obj]
    [vsp] = [c for c in crds if c["metadata"]["name"] ==
             "volumesnapshotpolicies.storage.alibabacloud.com"]

    assert vsp["spec"]["scope"] == "Cluster"
    assert "vsp" in vsp["spec"]["names"]["shortNames"]
    assert [v["name"] for v in vsp["spec"]["versions"] if v["served"]] == ["v1beta1"]
    assert all("status" in v.get("subresources", {}) for v in vsp["spec"]["versions"])

"""helm install and helm upgrade of the chart against the Kubernetes API simulator (kube-sim):
the API server takes every object, and generated TLS material survives upgrades because the
chart finds it again with `lookup` (which an offline render cannot exercise)."""

from __future__ import annotations

import base64
import json
import pathlib
import subprocess
import tempfile
import time

import helm_python as helm
import pytest
from cryptography import x509

import chartkit
from chartkit import CI_VALUES

PREFIX = "storage-snapshot-manager"
SNAPSHOT_CLASS_CRD = chartkit.FIXTURE_CRDS / "snapshot.storage.k8s.io_volumesnapshotclasses.yaml"


def _kube_sim_binary() -> pathlib.Path:
    binary = chartkit.workspace_binary("kube-sim")
    if binary is None or not binary.exists():
        pytest.fail(f"kube-sim is not built ({binary}); run `cargo build --workspace --bins`")
    return binary


@pytest.fixture(scope="module")
def cluster():
    """A running kube-sim with the VolumeSnapshotClass CRD: (helm Config, kubectl prefix)."""
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = pathlib.Path(tmp) / "kubeconfig"
        log_path = pathlib.Path(tmp) / "kube-sim.log"
        with open(log_path, "w") as log:
            sim = subprocess.Popen([_kube_sim_binary(), "--kubeconfig-out", kubeconfig],
                                   stdout=log, stderr=subprocess.STDOUT)
            try:
                _wait_for_kubeconfig(sim, kubeconfig, log_path)
                kubectl = ["kubectl", "--kubeconfig", str(kubeconfig)]
                _kubectl(kubectl, "apply", "-f", SNAPSHOT_CLASS_CRD)
                _kubectl(kubectl, "wait", "--for=condition=established", "--timeout=30s",
                         "crd/volumesnapshotclasses.snapshot.storage.k8s.io")
                # Release records in memory: the simulator does not speak protobuf, which
                # Helm's Secret storage driver uses. Every rendered object goes to the server.
                config = helm.Config(kubeconfig_path=kubeconfig, namespace=chartkit.NAMESPACE,
                                     storage_driver="memory")
                yield config, kubectl
                config.close()
            finally:
                sim.terminate()
                sim.wait(timeout=10)


def _wait_for_kubeconfig(sim, kubeconfig, log_path):
    deadline = time.monotonic() + 20
    while not kubeconfig.exists() or not kubeconfig.read_text():
        if sim.poll() is not None:
            pytest.fail(f"kube-sim exited with {sim.returncode}: {log_path.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"kube-sim wrote no kubeconfig in 20s: {log_path.read_text()[-2000:]}")
        time.sleep(0.05)


def _kubectl(kubectl, *args) -> str:
    run = subprocess.run([*kubectl, *map(str, args)], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, f"kubectl {' '.join(map(str, args))}: {run.stderr}"
    return run.stdout


def _get(kubectl, kind, name, namespace=chartkit.NAMESPACE):
    return json.loads(_kubectl(kubectl, "-n", namespace, "get", kind, name, "-o", "json"))


def _tls(kubectl):
    return {c: _get(kubectl, "secret", f"{PREFIX}-{c}-tls")["data"] for c in chartkit.COMPONENTS}


def _cert(data):
    return x509.load_pem_x509_certificate(base64.b64decode(data["tls.crt"]))


def _install(config, values, release=PREFIX):
    return config.install(chartkit.CHART_DIR, release, values, namespace=chartkit.NAMESPACE,
                          create_namespace=True, timeout=60)


@pytest.fixture(scope="module")
def installed(cluster):
    """The release installed once with the default ci values; tests upgrade it from there."""
    config, _ = cluster
    return _install(config, CI_VALUES["default"])


def test_install_then_upgrade_keeps_the_generated_tls_material(cluster, installed):
    config, kubectl = cluster
    values = CI_VALUES["default"]
    assert installed["status"] == "deployed"
    for component in chartkit.COMPONENTS:
        _get(kubectl, "deployment", f"{PREFIX}-{component}")
    _get(kubectl, "volumesnapshotclass", "default-snapclass", namespace="default")
    _kubectl(kubectl, "get", "crd", "volumesnapshotpolicies.storage.alibabacloud.com")
    ca, before = _get(kubectl, "secret", f"{PREFIX}-ca")["data"], _tls(kubectl)

    upgraded = {**values, "logging": {"format": "text", "level": "debug"},
                "pvcReconciler": {"gateway": {"rpcs": ["DescribeDisks"], "weight": 3}}}
    release = config.upgrade(chartkit.CHART_DIR, PREFIX, upgraded,
                             namespace=chartkit.NAMESPACE, timeout=60)
    assert release["revision"] > installed["revision"]

    assert _get(kubectl, "secret", f"{PREFIX}-ca")["data"] == ca
    assert _tls(kubectl) == before, "an upgrade must not re-issue certificates"
    callers = _get(kubectl, "configmap", f"{PREFIX}-ecs-gateway-callers")["data"]["callers.yaml"]
    assert "weight: 3" in callers


def _upgrade(config, values):
    return config.upgrade(chartkit.CHART_DIR, PREFIX, values, namespace=chartkit.NAMESPACE,
                          timeout=60)


def test_upgrade_reissues_only_what_is_missing_or_renamed(cluster, installed):
    config, kubectl = cluster
    ca = x509.load_pem_x509_certificate(
        base64.b64decode(_get(kubectl, "secret", f"{PREFIX}-ca")["data"]["tls.crt"]))
    before = _tls(kubectl)
    _kubectl(kubectl, "-n", chartkit.NAMESPACE, "delete", "secret",
             f"{PREFIX}-pvc-reconciler-tls")

    _upgrade(config, CI_VALUES["default"])
    after = _tls(kubectl)
    for component in chartkit.COMPONENTS:
        _cert(after[component]).verify_directly_issued_by(ca)
        reissued = after[component]["tls.crt"] != before[component]["tls.crt"]
        assert reissued == (component == "pvc-reconciler"), component

    # New names (cluster domain) mean new leaf certificates from the same CA.
    _upgrade(config, {**CI_VALUES["default"], "clusterDomain": "corp.local"})
    renamed = _tls(kubectl)
    for component in chartkit.COMPONENTS:
        assert renamed[component]["tls.crt"] != after[component]["tls.crt"], component
        _cert(renamed[component]).verify_directly_issued_by(ca)
    names = _cert(renamed["ecs-gateway"]).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert f"{PREFIX}-ecs-gateway.kube-system.svc.corp.local" in names


def test_schema_refuses_a_wrong_install_before_anything_is_created(cluster):
    config, kubectl = cluster
    with pytest.raises(helm.HelmError, match="/region"):
        _install(config, {**CI_VALUES["default"], "region": "Hangzhou"}, release="broken")
    run = subprocess.run([*kubectl, "get", "clusterrole", "broken-storage-snapshot-manager-"
                          "ecs-gateway"], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0

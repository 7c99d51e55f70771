"""The VolumeSnapshotPolicy CRD and the walkthrough's built-in manifests pass kubernetes-validate
in strict mode, on the oldest and newest Kubernetes versions kube-rs 5 supports. Custom resources
are judged in Rust against the CRD itself (crates/snapshot-k8s/tests/walkthrough.rs), because
kubernetes-validate has no schema for them."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]
VALIDATE = pathlib.Path(sys.executable).parent / "kubernetes-validate"
CRD = REPO / "charts/storage-snapshot-manager/crds/volumesnapshotpolicies.yaml"
WALKTHROUGH = REPO / "integration-tests/fixtures/walkthrough"
BUILT_IN = ["pv-static-disk.yaml", "pvc.yaml", "statefulset.yaml"]
VERSIONS = ["1.33.0", "1.37.0"]


def validate(path: pathlib.Path, version: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VALIDATE), "--strict", "-k", version, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", [CRD] + [WALKTHROUGH / name for name in BUILT_IN], ids=str)
def test_manifest_passes_strict_validation(path: pathlib.Path, version: str):
    result = validate(path, version)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed " in result.stdout, result.stdout


def test_crd_names_and_scope_are_the_contract():
    crd = yaml.safe_load(CRD.read_text())
    assert crd["metadata"]["name"] == "volumesnapshotpolicies.storage.alibabacloud.com"
    assert crd["spec"]["scope"] == "Cluster"
    assert crd["spec"]["names"]["shortNames"] == ["vsp"]
    (version,) = crd["spec"]["versions"]
    assert version["name"] == "v1beta1" and version["served"] and version["storage"]
    assert version["subresources"] == {"status": {}}
    columns = [c["name"] for c in version["additionalPrinterColumns"]]
    assert columns == ["Schedule", "Retention", "Volumes", "Applied", "ECS Policy", "Ready", "Age"]


def test_a_broken_crd_is_caught(tmp_path: pathlib.Path):
    crd = yaml.safe_load(CRD.read_text())
    crd["spec"]["versions"][0]["served"] = "yes"
    broken = tmp_path / "broken-crd.yaml"
    broken.write_text(yaml.safe_dump(crd))
    result = validate(broken, VERSIONS[-1])
    assert result.returncode != 0, result.stdout
    assert "served" in result.stdout + result.stderr

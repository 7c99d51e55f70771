"""Rendering, linting and validating the storage-snapshot-manager chart with real Helm.

Shared by the chart tests and by `scripts/chart.py` (the Makefile's chart targets), so that
`make chart-validate` and CI judge the chart the same way. Helm runs in-process through
helm-python-sdk (Helm's Go SDK); manifests are checked with kubernetes-validate's strict
schemas, and the snapshot CRs against the upstream CRDs in integration-tests/fixtures.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
from typing import Any, Iterator

import helm_python as helm
import jsonschema
import kubernetes_validate
import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]
CHART_DIR = REPO / "charts" / "storage-snapshot-manager"
CI_VALUES_DIR = CHART_DIR / "ci"
FIXTURE_CRDS = REPO / "integration-tests" / "fixtures" / "crds"
PROTO = REPO / "proto" / "storage" / "ecsgateway" / "v1" / "ecs_gateway.proto"

KUBE_VERSION = "1.35.0"
RELEASE = "storage-snapshot-manager"
NAMESPACE = "kube-system"

COMPONENTS = ("ecs-gateway", "policy-listener", "pvc-reconciler", "snapshot-reconciler")
CONTROLLERS = COMPONENTS[1:]

# Kinds kubernetes-validate has no schema for, that come from operators we do not ship.
# They are checked structurally by the tests instead.
THIRD_PARTY_KINDS = {
    ("cert-manager.io/v1", "Certificate"),
    ("cert-manager.io/v1", "Issuer"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
}


@dataclasses.dataclass(frozen=True)
class Manifest:
    """One rendered object and the template it came from."""

    template: str
    obj: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.obj["kind"]

    @property
    def name(self) -> str:
        return self.obj["metadata"]["name"]

    def __str__(self) -> str:
        return f"{self.kind}/{self.name} ({self.template})"


@dataclasses.dataclass(frozen=True)
class Rendered:
    """A whole render: the objects and the NOTES.txt text."""

    manifests: list[Manifest]
    notes: str

    def of_kind(self, kind: str) -> list[Manifest]:
        return [m for m in self.manifests if m.kind == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        for m in self.manifests:
            if m.kind == kind and m.name == name:
                return m.obj
        raise KeyError(f"{kind}/{name} not rendered")


def load_chart() -> helm.Chart:
    return helm.Chart.load(str(CHART_DIR))


def ci_values() -> dict[str, dict[str, Any]]:
    """The value sets under charts/storage-snapshot-manager/ci, by file stem."""
    sets = {}
    for path in sorted(CI_VALUES_DIR.glob("*-values.yaml")):
        sets[path.name.removesuffix("-values.yaml")] = yaml.safe_load(path.read_text()) or {}
    return sets


# The ci/ value sets, read once per process.
CI_VALUES = ci_values()


def render(chart: helm.Chart, values: dict[str, Any], *, namespace: str = NAMESPACE,
           release: str = RELEASE) -> Rendered:
    """Renders like `helm install` does (schema applied); raises helm errors unchanged."""
    out = chart.render(values, name=release, namespace=namespace, is_install=True)
    manifests: list[Manifest] = []
    notes = ""
    for template, text in sorted(out.items()):
        if template.endswith("NOTES.txt"):
            notes = text
            continue
        for obj in yaml.safe_load_all(text):
            if obj:
                manifests.append(Manifest(template, obj))
    return Rendered(manifests, notes)


def lint_errors(values: dict[str, Any]) -> list[str]:
    """Errors (not informational messages) of `helm lint --strict` with these values."""
    report = helm.lint(str(CHART_DIR), values, strict=True, namespace=NAMESPACE,
                       kube_version=f"v{KUBE_VERSION}")
    return list(report.get("errors") or [])


def _crd_validators() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    validators = {}
    for path in FIXTURE_CRDS.glob("snapshot.storage.k8s.io_*.yaml"):
        crd = yaml.safe_load(path.read_text())
        kind = crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = version["schema"]["openAPIV3Schema"]
            api_version = f"{crd['spec']['group']}/{version['name']}"
            validators[(api_version, kind)] = jsonschema.Draft7Validator(schema)
    return validators


_CRD_VALIDATORS: dict[tuple[str, str], jsonschema.protocols.Validator] | None = None


def validate(manifest: Manifest) -> bool:
    """Validates one object; True when a schema checked it, False for a third-party kind.

    Raises ValueError naming the object and the first schema violation.
    """
    global _CRD_VALIDATORS
    key = (manifest.obj.get("apiVersion"), manifest.obj.get("kind"))
    if key in THIRD_PARTY_KINDS:
        return False
    if _CRD_VALIDATORS is None:
        _CRD_VALIDATORS = _crd_validators()
    try:
        if key in _CRD_VALIDATORS:
            _CRD_VALIDATORS[key].validate(manifest.obj)
        else:
            kubernetes_validate.validate(manifest.obj, KUBE_VERSION, True)
    except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as err:
        raise ValueError(f"{manifest}: {err.message}") from None
    except kubernetes_validate.SchemaNotFoundError:
        raise ValueError(f"{manifest}: no Kubernetes {KUBE_VERSION} schema for {key}") from None
    return True


def validate_crds(chart: helm.Chart) -> list[str]:
    """Validates the CRDs shipped under crds/; returns their file names."""
    names = []
    for crd in chart.crds:
        text = crd["data"]
        if isinstance(text, bytes):
            text = text.decode()
        for obj in yaml.safe_load_all(text):
            if obj:
                validate(Manifest(crd["filename"], obj))
        names.append(crd["filename"])
    return names


def workspace_binary(name: str) -> pathlib.Path | None:
    """Where `cargo build --workspace --bins` puts binary `name` (the debug build), or None
    when no workspace crate has that binary target yet (a `[[bin]]` of that name,
    `src/bin/<name>.rs`, or `src/main.rs` of a package of that name).

    Reads the manifests directly rather than asking cargo, so one half-created crate in the
    shared work tree does not break the lookup."""
    named = re.compile(rf'^name\s*=\s*"{re.escape(name)}"\s*$', re.M)
    crates = [*REPO.glob("crates/*/Cargo.toml"), *REPO.glob("integration-tests/*/Cargo.toml")]
    if not any(_declares_bin(manifest, named) for manifest in crates):
        return None
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    if not target.is_absolute():
        target = REPO / target
    return target / "debug" / name


def _declares_bin(manifest: pathlib.Path, named: re.Pattern[str]) -> bool:
    text = manifest.read_text()
    package = text.split("[[bin]]")[0]
    bins = text.split("[[bin]]")[1:]
    crate = manifest.parent
    if any(named.search(section) for section in bins):
        return True
    match = re.search(r'^name\s*=\s*"([^"]+)"', package, re.M)
    if not match or not named.search(f'name = "{match.group(1)}"'):
        return False
    return (crate / "src" / "main.rs").exists() or (
        crate / "src" / "bin" / f"{match.group(1)}.rs").exists()


def pod_specs(rendered: Rendered) -> Iterator[tuple[str, dict[str, Any]]]:
    """(component, pod spec) of every Deployment."""
    for m in rendered.of_kind("Deployment"):
        component = m.obj["metadata"]["labels"]["app.kubernetes.io/component"]
        yield component, m.obj["spec"]["template"]["spec"]

#!/usr/bin/env python3
"""Lint, render and validate the Helm chart with the Helm SDK in .venv (no helm binary needed).

    scripts/chart.py lint                 # helm lint --strict with every ci/*-values.yaml
    scripts/chart.py render [VALUES]      # manifests for VALUES (default ci/default-values.yaml)
    scripts/chart.py validate             # every ci/ render + crds/ against Kubernetes schemas
    scripts/chart.py export DIR [VALUES]  # what the services get, as files, for local runs

The checks are the ones CI's chart tests use (integration-tests/python/chart_tests/chartkit.py).
"""

from __future__ import annotations

import base64
import json
import pathlib
import signal
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]
                       / "integration-tests" / "python" / "chart_tests"))

import helm_python as helm  # noqa: E402
import yaml  # noqa: E402

import chartkit  # noqa: E402

DEFAULT_VALUES = chartkit.CI_VALUES_DIR / "default-values.yaml"


def lint() -> int:
    failed = 0
    for name, values in chartkit.ci_values().items():
        errors = chartkit.lint_errors(values)
        print(f"lint {name}: {'ok' if not errors else 'FAILED'}")
        for error in errors:
            print(f"  {error}")
        failed += bool(errors)
    return 1 if failed else 0


def render(values_file: str | None) -> int:
    path = pathlib.Path(values_file) if values_file else DEFAULT_VALUES
    try:
        values = yaml.safe_load(path.read_text()) or {}
        out = chartkit.load_chart().render(values, name=chartkit.RELEASE,
                                           namespace=chartkit.NAMESPACE, is_install=True)
    except (OSError, yaml.YAMLError, helm.HelmError) as err:
        print(f"render {path}: {err}", file=sys.stderr)
        return 1
    for template, text in sorted(out.items()):
        if text.strip() and not template.endswith("NOTES.txt"):
            print(f"---\n# Source: {template}\n{text.strip()}")
    return 0


def validate() -> int:
    chart = chartkit.load_chart()
    failed = 0
    for name, values in chartkit.ci_values().items():
        checked = unchecked = 0
        try:
            for manifest in chartkit.render(chart, values).manifests:
                if chartkit.validate(manifest):
                    checked += 1
                else:
                    unchecked += 1
            print(f"validate {name}: {checked} objects valid for Kubernetes {chartkit.KUBE_VERSION}"
                  f" ({unchecked} cert-manager/prometheus-operator objects not schema-checked)")
        except (ValueError, helm.HelmError) as err:
            print(f"validate {name}: FAILED: {err}")
            failed += 1
    try:
        crds = chartkit.validate_crds(chart)
        print(f"validate crds/: {len(crds)} CRD file(s) valid: {', '.join(crds) or 'none'}")
    except ValueError as err:
        print(f"validate crds/: FAILED: {err}")
        failed += 1
    return 1 if failed else 0


RBAC_KINDS = ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")


def export(directory: str, values_file: str | None) -> int:
    """Writes what each component gets from the chart, so simulators and end-to-end tests run
    the binaries exactly as the chart would: per component `args.json` (command line),
    `serviceaccount.json` (the pod's ServiceAccount and whether it mounts a token) and its TLS
    files, the gateway's `callers.yaml`, and `rbac.yaml` (all RBAC objects)."""
    path = pathlib.Path(values_file) if values_file else DEFAULT_VALUES
    try:
        values = yaml.safe_load(path.read_text()) or {}
        rendered = chartkit.render(chartkit.load_chart(), values)
    except (OSError, yaml.YAMLError, helm.HelmError) as err:
        print(f"export {path}: {err}", file=sys.stderr)
        return 1
    if not rendered.of_kind("Secret") or not any(
            m.name.endswith("-tls") for m in rendered.of_kind("Secret")):
        print("export: needs tls.mode=generated (cert-manager makes the certificates in-cluster)",
              file=sys.stderr)
        return 1

    out = pathlib.Path(directory)
    for component, pod in chartkit.pod_specs(rendered):
        folder = out / component
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "args.json").write_text(json.dumps(pod["containers"][0]["args"], indent=2) + "\n")
        account = {"name": pod["serviceAccountName"], "namespace": chartkit.NAMESPACE,
                   "automountToken": bool(pod.get("automountServiceAccountToken", True))}
        (folder / "serviceaccount.json").write_text(json.dumps(account, indent=2) + "\n")
        secret = rendered.get("Secret", f"{chartkit.RELEASE}-{component}-tls")
        for key in ("ca.crt", "tls.crt", "tls.key"):
            target = folder / key
            target.write_bytes(base64.b64decode(secret["data"][key]))
            target.chmod(0o600)
    callers = rendered.get("ConfigMap", f"{chartkit.RELEASE}-ecs-gateway-callers")
    (out / "ecs-gateway" / "callers.yaml").write_text(callers["data"]["callers.yaml"])
    rbac = [m.obj for m in rendered.manifests if m.kind in RBAC_KINDS]
    (out / "rbac.yaml").write_text(yaml.safe_dump_all(rbac, sort_keys=False))
    print(f"export: wrote {out}/<component>/{{args.json,serviceaccount.json,ca.crt,tls.crt,"
          f"tls.key}}, "
          f"{out}/ecs-gateway/callers.yaml and {out}/rbac.yaml ({len(rbac)} objects)")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[1] == "lint":
        return lint()
    if len(argv) in (2, 3) and argv[1] == "render":
        return render(argv[2] if len(argv) == 3 else None)
    if len(argv) == 2 and argv[1] == "validate":
        return validate()
    if len(argv) in (3, 4) and argv[1] == "export":
        return export(argv[2], argv[3] if len(argv) == 4 else None)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `make chart-render | head` is fine
    sys.exit(main(sys.argv))

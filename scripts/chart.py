#!/usr/bin/env python3
"""Lint, render and validate the Helm chart with the Helm SDK in .venv (no helm binary needed).

    scripts/chart.py lint                 # helm lint --strict with every ci/*-values.yaml
    scripts/chart.py render [VALUES]      # manifests for VALUES (default ci/default-values.yaml)
    scripts/chart.py validate             # every ci/ render + crds/ against Kubernetes schemas

The checks are the ones CI's chart tests use (integration-tests/python/chart_tests/chartkit.py).
"""

from __future__ import annotations

import pathlib
import signal
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]
                       / "integration-tests" / "python" / "chart_tests"))

import helm_python as helm  # noqa: E402
import yaml  # noqa: E402

import chartkit  # noqa: E402


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
    path = pathlib.Path(values_file) if values_file else chartkit.CI_VALUES_DIR / "default-values.yaml"
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


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[1] == "lint":
        return lint()
    if len(argv) in (2, 3) and argv[1] == "render":
        return render(argv[2] if len(argv) == 3 else None)
    if len(argv) == 2 and argv[1] == "validate":
        return validate()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `make chart-render | head` is fine
    sys.exit(main(sys.argv))

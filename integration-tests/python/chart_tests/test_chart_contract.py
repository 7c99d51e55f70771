"""The deployment contract: every flag the chart passes is documented in the chart README, and
every built service binary accepts the flags the chart passes to it (clap refuses unknown
flags, so a mismatch would be a crash loop in the cluster)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml

import chartkit
from chartkit import CI_VALUES

README = chartkit.CHART_DIR / "README.md"


def _flags(arg: str) -> str:
    return arg.split("=", 1)[0]


@pytest.fixture(scope="module")
def chart_flags(renders) -> dict[str, set[str]]:
    """{component: every flag the chart passes it, over all ci/ value sets}."""
    flags: dict[str, set[str]] = {c: set() for c in chartkit.COMPONENTS}
    for name, rendered in renders.items():
        values = CI_VALUES[name]
        for component, pod in chartkit.pod_specs(rendered):
            key = {"ecs-gateway": "ecsGateway", "policy-listener": "policyListener",
                   "pvc-reconciler": "pvcReconciler",
                   "snapshot-reconciler": "snapshotReconciler"}[component]
            extra = set(values.get(key, {}).get("extraArgs", []))
            flags[component] |= {_flags(a) for a in pod["containers"][0]["args"]
                                 if a not in extra}
    return flags


def test_every_flag_is_documented_in_the_readme(chart_flags):
    documented = set(re.findall(r"`(--[a-z0-9-]+)", README.read_text()))
    for component, flags in chart_flags.items():
        assert flags <= documented, f"{component}: undocumented {sorted(flags - documented)}"


def test_every_component_gets_the_shared_runtime_flags(chart_flags):
    for component, flags in chart_flags.items():
        assert {"--admin-addr", "--log-format", "--log-level"} <= flags, component
    for component in chartkit.CONTROLLERS:
        assert {"--cluster-id", "--region", "--gateway-endpoint", "--gateway-ca-file",
                "--gateway-cert-file", "--gateway-key-file", "--lease-name", "--lease-namespace",
                "--default-time-zone", "--csi-driver"} <= chart_flags[component], component


@pytest.mark.parametrize("component", chartkit.COMPONENTS)
def test_the_service_binary_accepts_the_chart_flags(chart_flags, component):
    binary = chartkit.workspace_binary(component)
    if binary is None:
        pytest.skip(f"the workspace has no `{component}` binary yet")
    if not binary.exists():
        pytest.fail(f"{binary} is not built; run `cargo build --workspace --bins`")
    help_run = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30)
    if help_run.returncode == 0 and not help_run.stdout.strip():
        pytest.skip(f"`{component}` has no command line yet (empty --help)")
    assert help_run.returncode == 0, help_run.stderr

    accepted = set(re.findall(r"(--[a-z0-9][a-z0-9-]*)", help_run.stdout))
    missing = chart_flags[component] - accepted
    assert not missing, f"{component} --help does not list {sorted(missing)}"


def test_export_writes_what_each_component_gets(tmp_path, default_render):
    """scripts/chart.py export gives local runs the chart's exact args, TLS and RBAC."""
    run = subprocess.run([sys.executable, str(chartkit.REPO / "scripts" / "chart.py"), "export",
                          str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr

    for component, pod in chartkit.pod_specs(default_render):
        args = json.loads((tmp_path / component / "args.json").read_text())
        assert [_flags(a) for a in args] == [_flags(a) for a in pod["containers"][0]["args"]]
        for name in ("ca.crt", "tls.crt", "tls.key"):
            assert (tmp_path / component / name).read_text().startswith("-----BEGIN")
        account = json.loads((tmp_path / component / "serviceaccount.json").read_text())
        assert account == {"name": pod["serviceAccountName"], "namespace": chartkit.NAMESPACE,
                           "automountToken": pod["automountServiceAccountToken"]}
    callers = yaml.safe_load((tmp_path / "ecs-gateway" / "callers.yaml").read_text())
    assert len(callers["callers"]) == len(chartkit.CONTROLLERS)
    kinds = [o["kind"] for o in yaml.safe_load_all((tmp_path / "rbac.yaml").read_text())]
    assert kinds.count("ServiceAccount") == len(chartkit.COMPONENTS)


# clap reports a command line it refuses with exit code 2 and an "error:" line naming the flag.
CLAP_USAGE_ERROR = 2


@pytest.mark.parametrize("component", chartkit.COMPONENTS)
def test_the_service_binary_parses_every_command_line_the_chart_renders(
        renders, component, tmp_path):
    """Stronger than --help: each binary is started with the exact arguments of every ci/
    render (values included: durations, enums, rates, IDs). It then stops on the missing
    cluster environment, but must get past argument parsing first."""
    binary = chartkit.workspace_binary(component)
    if binary is None:
        pytest.skip(f"the workspace has no `{component}` binary yet")
    if not binary.exists():
        pytest.fail(f"{binary} is not built; run `cargo build --workspace --bins`")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "RUST_BACKTRACE": "0"}

    for name, rendered in renders.items():
        pod = dict(chartkit.pod_specs(rendered))[component]
        args = [a.replace("0.0.0.0:9090", "127.0.0.1:0").replace("0.0.0.0:8443", "127.0.0.1:0")
                for a in pod["containers"][0]["args"]]
        try:
            run = subprocess.run([binary, *args], capture_output=True, text=True, timeout=15,
                                 env=env, cwd=tmp_path)
        except subprocess.TimeoutExpired:
            continue  # it parsed its arguments and is running: good enough here
        usage = run.returncode == CLAP_USAGE_ERROR or "Usage:" in run.stderr
        assert not usage, f"{component} refuses the {name} command line:\n{run.stderr}"

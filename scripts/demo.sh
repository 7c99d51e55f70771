#!/usr/bin/env bash
# The walkthrough on the simulators, for a person: every service as its own process, the sample
# manifests applied, the ECS clock moved, then the environment stays up for kubectl until Ctrl-C.
# `make demo` builds first; extra arguments go to ssm-demo (e.g. --exit-after-walkthrough).
set -euo pipefail
cd "$(dirname "$0")/.."

# Cargo puts the binaries under CARGO_TARGET_DIR when it is set; ssm-demo finds the other
# binaries next to itself.
bin="${CARGO_TARGET_DIR:-target}/debug/ssm-demo"
if [[ ! -x "$bin" ]]; then
  echo "demo: $bin is missing; 'make demo' builds it (or: cargo build --workspace --bins)" >&2
  exit 1
fi
if ! command -v "${KUBECTL:-kubectl}" >/dev/null; then
  echo "demo: kubectl not found on PATH (set KUBECTL=/path/to/kubectl)" >&2
  exit 1
fi
# ssm-demo kills its child processes on Ctrl-C and on exit.
exec "$bin" --dir target/ssm-demo "$@"

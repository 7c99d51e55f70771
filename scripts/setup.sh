#!/usr/bin/env bash
# Installs everything the tests and the demo need on a fresh machine, and nothing by hand:
# the Python virtual environment with the official Alibaba Cloud SDKs, Helm's SDK and the
# Kubernetes schema validator. Safe to run again; it only does work when something changed.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
requirements=integration-tests/python/requirements.txt
stamp="$venv/.requirements.sha256"

if ! command -v cargo >/dev/null; then
    echo "setup: cargo is required (install the Rust toolchain with rustup)" >&2
    exit 1
fi
if ! command -v kubectl >/dev/null; then
    echo "setup: kubectl not found; the kubectl conformance tests will fail" >&2
fi

want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: creating Python environment in $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet -r "$requirements"
    echo "$want" > "$stamp"
fi

#!/usr/bin/env bash
# The whole test suite, in the order that fails fastest. CI runs exactly this through `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "formatting"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build binaries (the Python suites start them)"
cargo build --workspace --bins --locked

step "Rust tests"
cargo nextest run --workspace --locked --no-fail-fast
cargo test --workspace --doc --locked

step "Python suites against real SDKs, Helm and validators"
.venv/bin/pytest -q integration-tests/python

# Entry points for people and CI. `make help` lists them.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: help setup build test test-rust test-python lint fmt demo
.PHONY: chart-lint chart-render chart-validate images

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: ## Install the Python tools the tests use into .venv (idempotent)
	@./scripts/setup.sh

build: ## Build every binary of the workspace (debug)
	$(CARGO) build --workspace --bins

test: setup ## Run every test suite: formatting, lints, Rust tests, Python conformance suites
	./scripts/test.sh

lint: ## Formatting and clippy, as CI runs them
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: ## Format the Rust code
	$(CARGO) fmt --all

demo: setup build ## Run the walkthrough on the simulators, then stay up for kubectl (DEMO_ARGS=...)
	./scripts/demo.sh $(DEMO_ARGS)

chart-lint: setup ## helm lint --strict the chart with every ci/*-values.yaml (Helm SDK, no binary)
	.venv/bin/python scripts/chart.py lint

chart-render: setup ## Print the chart's manifests; VALUES=file (default: ci/default-values.yaml)
	@.venv/bin/python scripts/chart.py render $(VALUES)

chart-validate: setup ## Validate every ci/ render and crds/ against the Kubernetes 1.35 schemas
	.venv/bin/python scripts/chart.py validate

images: ## Build the multi-binary container image (needs a reachable docker or podman engine)
	./scripts/build-images.sh

#!/usr/bin/env bash
# Builds the one multi-binary image (Dockerfile at the repository root) with docker or podman.
# Fails with an explanation when no container engine can be reached, rather than pretending.
#   IMAGE=registry.example/ssm IMAGE_TAG=0.1.0 scripts/build-images.sh
set -euo pipefail
cd "$(dirname "$0")/.."

chart_version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' \
    charts/storage-snapshot-manager/Chart.yaml)
image=${IMAGE:-storage-snapshot-manager}
tag=${IMAGE_TAG:-$chart_version}

engine=${CONTAINER_ENGINE:-}
if [ -z "$engine" ]; then
    for candidate in docker podman; do
        if command -v "$candidate" >/dev/null; then engine=$candidate; break; fi
    done
fi
if [ -z "$engine" ]; then
    echo "images: no container engine: neither docker nor podman is installed." >&2
    echo "images: install one (or set CONTAINER_ENGINE) to build $image:$tag." >&2
    exit 1
fi
if ! "$engine" info >/dev/null 2>&1; then
    echo "images: the $engine CLI is installed but cannot reach a container engine" >&2
    echo "images: ('$engine info' failed); start the daemon or point DOCKER_HOST at one." >&2
    echo "images: nothing was built." >&2
    exit 1
fi

echo "images: building $image:$tag with $engine"
"$engine" build --build-arg "VERSION=$tag" -t "$image:$tag" .
echo "images: built $image:$tag; each component runs /usr/local/bin/<component>"

"""The image and the chart agree. No container engine runs in CI, so the Dockerfile is never
built here; these checks catch the mistakes that would otherwise only show in a cluster: a
Deployment whose command names a binary the image does not ship, a container user the image
does not run as, or a build stage older than the Rust version the workspace needs."""

from __future__ import annotations

import re

import pytest

import chartkit
from chartkit import CI_VALUES

DOCKERFILE = chartkit.REPO / "Dockerfile"


def _dockerfile() -> str:
    # Backslash continuations joined, so each instruction reads as one line.
    return re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())


def _built_binaries(text: str) -> set[str]:
    build = re.search(r"cargo build [^\n]*", text)
    assert build, "the Dockerfile has no `cargo build` step"
    return set(re.findall(r"--bin\s+([\w-]+)", build.group(0)))


def _copied_binaries(text: str) -> set[str]:
    copy = re.search(r"&& cp ([^\n]*?) /out/", text)
    assert copy, "the Dockerfile does not copy the built binaries to /out/"
    return {path.rsplit("/", 1)[-1] for path in copy.group(1).split()}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_the_image_builds_and_ships_every_service_binary():
    text = _dockerfile()
    built = _built_binaries(text)
    copied = _copied_binaries(text)

    assert built == set(chartkit.COMPONENTS), f"cargo build --bin targets: {sorted(built)}"
    assert copied == built, f"built {sorted(built)} but copied {sorted(copied)}"
    for name in built:
        assert chartkit.workspace_binary(name), f"no workspace crate declares binary {name}"
    assert "COPY --from=build /out/ /usr/local/bin/" in text


@pytest.mark.parametrize("values_name", sorted(CI_VALUES))
def test_every_command_the_chart_runs_is_in_the_image(renders, values_name):
    shipped = {f"/usr/local/bin/{name}" for name in _copied_binaries(_dockerfile())}

    for component, pod in chartkit.pod_specs(renders[values_name]):
        for container in pod["containers"]:
            command = container.get("command") or []
            assert command, f"{component}/{container['name']}: no command (the image has none)"
            assert command[0] in shipped, (
                f"{component}/{container['name']} runs {command[0]}, "
                f"which the image does not ship ({sorted(shipped)})")


def test_the_image_runs_as_the_user_the_chart_names(chart):
    user = re.search(r"^USER (\d+):(\d+)$", _dockerfile(), re.M)
    assert user, "the runtime stage must name a numeric USER uid:gid"
    uid = int(user.group(1))

    rendered = chartkit.render(chart, {"clusterId": "c0123456789abcdef", "region": "cn-hangzhou"})
    for component, pod in chartkit.pod_specs(rendered):
        assert pod["securityContext"]["runAsUser"] == uid, component
        assert pod["securityContext"]["runAsNonRoot"] is True, component
    assert uid != 0


def test_the_build_stage_is_new_enough_for_the_workspace():
    image = re.search(r"^ARG RUST_IMAGE=rust:([\d.]+)-", _dockerfile(), re.M)
    needed = re.search(r'^rust-version\s*=\s*"([\d.]+)"',
                       (chartkit.REPO / "Cargo.toml").read_text(), re.M)
    assert image and needed, "RUST_IMAGE tag or workspace rust-version not found"

    assert _version(image.group(1)) >= _version(needed.group(1)), (
        f"the build image has Rust {image.group(1)}, the workspace needs {needed.group(1)}")

"""Starting ecs-sim for the conformance suite and talking to its admin API.

The suite builds nothing: CI runs `cargo build --workspace --bins` first, and this module
starts `debug/ecs-sim` from cargo's target directory (`CARGO_TARGET_DIR`, else the repository's
`target/`); ECS_SIM_BINARY overrides the path.
"""

import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
_TARGET_DIR = Path(os.environ.get("CARGO_TARGET_DIR") or REPO_ROOT / "target")
BINARY = Path(os.environ.get("ECS_SIM_BINARY") or _TARGET_DIR / "debug" / "ecs-sim")

REGION = "cn-hangzhou"
ZONE = "cn-hangzhou-h"
ACCESS_KEY_ID = "LTAI5tConformanceKey"
ACCESS_KEY_SECRET = "conformance-secret-0123456789"


class AdminError(Exception):
    """The admin API refused a call; the message is the simulator's explanation."""


class Simulator:
    """One ecs-sim process on a free loopback port."""

    def __init__(self, process, endpoint, workdir):
        self.process = process
        self.endpoint = endpoint
        self.base_url = f"http://{endpoint}"
        self._workdir = workdir

    @classmethod
    def start(cls, *extra_args, timeout=15.0):
        if not BINARY.is_file():
            raise RuntimeError(
                f"{BINARY} does not exist: run `cargo build --workspace --bins` (or "
                "`cargo build -p ecs-sim`) before pytest, or point ECS_SIM_BINARY at the binary"
            )
        workdir = tempfile.TemporaryDirectory(prefix="ecs-sim-")
        ready = Path(workdir.name) / "ready"
        log = open(Path(workdir.name) / "sim.log", "w")
        args = [
            str(BINARY),
            "--listen", "127.0.0.1:0",
            "--ready-file", str(ready),
            "--access-key-id", ACCESS_KEY_ID,
            "--access-key-secret", ACCESS_KEY_SECRET,
            "--regions", f"{REGION},cn-beijing",
            "--log", "warn",
            *extra_args,
        ]
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if process.poll() is not None:
                log.flush()
                output = (Path(workdir.name) / "sim.log").read_text()
                raise RuntimeError(f"ecs-sim exited with {process.returncode}:\n{output}")
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"ecs-sim did not write {ready} within {timeout}s")
            time.sleep(0.02)
        return cls(process, ready.read_text().strip(), workdir)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._workdir.cleanup()

    def admin(self, method, path, body=None):
        """Calls /_sim/<path>; returns the decoded JSON answer (None for 204)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url}/_sim/{path}",
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read().decode()
        except urllib.error.HTTPError as err:
            raise AdminError(f"{method} /_sim/{path}: {err.code} {err.read().decode()}") from err
        return json.loads(text) if text else None

    def seed_instance(self, status="Running"):
        instance_id = f"i-{uuid.uuid4().hex[:16]}"
        self.admin("PUT", "instances", {"id": instance_id, "zone_id": ZONE, "status": status})
        return instance_id

    def seed_disk(self, instance_id=None, category="cloud_essd", zone=ZONE):
        disk_id = f"d-{uuid.uuid4().hex[:16]}"
        seed = {"id": disk_id, "instance_id": instance_id, "zone_id": zone, "category": category}
        self.admin("PUT", "disks", seed)
        return disk_id

    def advance(self, seconds):
        return self.admin("POST", "clock/advance", {"seconds": seconds})

    def counters(self):
        return self.admin("GET", "counters")["calls"]

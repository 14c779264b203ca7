"""`oms up` from nothing: embedded PostgreSQL, the tansu broker, every service of the
manifest healthy and ready; `oms status` sees them; Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from oms_dev.devstack import free_port
from oms_dev.manifest import SERVICES

OMS = [sys.executable, "-m", "oms_dev.cli"]


def _all(path: str) -> bool:
    try:
        return all(
            httpx.get(f"http://127.0.0.1:{e.port}{path}", timeout=1).status_code == 200
            for e in SERVICES.values()
        )
    except httpx.HTTPError:
        return False


def test_oms_up_brings_every_service_up_and_ctrl_c_stops_them() -> None:
    with tempfile.TemporaryDirectory(prefix="oms-up-") as home:
        os.chmod(home, 0o755)
        env = {
            k: v for k, v in os.environ.items() if k not in ("OMS_PG_DSN", "OMS_KAFKA_BOOTSTRAP")
        }
        env["OMS_HOME"] = home
        up = subprocess.Popen(
            [*OMS, "up", "--broker-port", str(free_port())],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            while not _all("/ready"):
                assert up.poll() is None, up.stdout.read() if up.stdout else ""
                assert time.monotonic() < deadline, "services did not become ready"
                time.sleep(0.5)
            assert _all("/health")
            status = subprocess.run(
                [*OMS, "status"], env=env, capture_output=True, text=True, timeout=60
            )
            assert status.returncode == 0, status.stderr
            for name in SERVICES:
                assert name in status.stdout
            assert (Path(home) / "stack.json").exists()
        finally:
            up.send_signal(signal.SIGINT)
            output, _ = up.communicate(timeout=60)
        assert up.returncode == 0, output
        assert "OMS is up" in output
        assert not _all("/health")
        assert not (Path(home) / "stack.json").exists()

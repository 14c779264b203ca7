"""A service runs several worker processes side by side: ``workers=2`` starts the keys
``worker`` and ``worker-2`` (the same module, the same environment, logs of their own), and
each is killed and restarted by its key while the other keeps running."""

from __future__ import annotations

from pathlib import Path

import pytest
from oms_dev.supervisor import Supervisor, role_of, worker_roles
from oms_dev.testing import Stack, running_services

SERVICE = "inventory"


def test_worker_keys_name_the_worker_role() -> None:
    assert worker_roles(1) == ["worker"]
    assert worker_roles(3) == ["worker", "worker-2", "worker-3"]
    assert {role_of(key) for key in worker_roles(3)} == {"worker"}
    assert role_of("api") == "api"
    with pytest.raises(ValueError, match="at least one worker"):
        Supervisor({}, Path("logs"), workers=0)


def test_two_workers_run_and_one_killed_leaves_the_other_running(
    stack: Stack, tmp_path: Path
) -> None:
    with running_services(stack, [SERVICE], tmp_path / "logs", workers=2) as running:
        supervisor = running.supervisor
        assert sorted(role for name, role in running.processes if name == SERVICE) == [
            "api",
            "worker",
            "worker-2",
        ]
        first, second = (
            running.processes[(SERVICE, "worker")],
            running.processes[(SERVICE, "worker-2")],
        )
        assert first.pid != second.pid
        assert first.poll() is None and second.poll() is None
        assert (tmp_path / "logs" / f"{SERVICE}-worker-2.log").is_file()
        assert supervisor.key_of(second.pid) == (SERVICE, "worker-2")

        supervisor.kill(SERVICE, "worker")
        assert first.poll() is not None
        assert second.poll() is None
        assert supervisor.key_of(first.pid) is None
        supervisor.spawn(SERVICE, "worker")  # as watch() does for a process that died
        supervisor.wait_ready([SERVICE], timeout=30)

        supervisor.restart(SERVICE, "worker-2")
        assert second.poll() is not None
        restarted = running.processes[(SERVICE, "worker-2")]
        assert restarted.pid != second.pid and restarted.poll() is None
        assert running.processes[(SERVICE, "api")].poll() is None

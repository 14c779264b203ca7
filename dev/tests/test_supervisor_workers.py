"""A service runs several worker processes side by side: ``workers=2`` starts the keys
``worker`` and ``worker-2`` (the same module, the same environment, logs of their own), and
each is killed and restarted by its key while the other keeps running: the one holding the
``relay`` lease killed, the other takes publishing over."""

from __future__ import annotations

from pathlib import Path

import pytest
from oms_dev.supervisor import Supervisor, role_of, worker_roles
from oms_dev.testing import Stack, running_services, wait_until
from oms_kit.leadership import holders
from oms_kit.settings import database_name
from psycopg.conninfo import make_conninfo

SERVICE = "inventory"


def test_worker_keys_name_the_worker_role() -> None:
    assert worker_roles(1) == ["worker"]
    assert worker_roles(3) == ["worker", "worker-2", "worker-3"]
    assert {role_of(key) for key in worker_roles(3)} == {"worker"}
    assert role_of("api") == "api"
    with pytest.raises(ValueError, match="at least one worker"):
        Supervisor({}, Path("logs"), workers=0)


def test_two_workers_run_and_the_relay_holder_killed_leaves_the_other_publishing(
    stack: Stack, tmp_path: Path
) -> None:
    with running_services(stack, [SERVICE], tmp_path / "logs", workers=2) as running:
        supervisor = running.supervisor
        assert sorted(role for name, role in running.processes if name == SERVICE) == [
            "api",
            "worker",
            "worker-2",
        ]
        workers = {key: running.processes[(SERVICE, key)].pid for key in ("worker", "worker-2")}
        assert len(set(workers.values())) == 2
        assert all(running.processes[(SERVICE, key)].poll() is None for key in workers)
        assert (tmp_path / "logs" / f"{SERVICE}-worker-2.log").is_file()

        # One of the two publishes the service's events (holds "relay"); kill that one.
        dsn = make_conninfo(stack.pg_dsn, dbname=database_name(SERVICE))
        holder = wait_until(lambda: holders(dsn).get("relay"), what="a relay holder")
        killed = supervisor.key_of(holder)
        assert killed is not None and killed[1] in workers
        (other,) = set(workers) - {killed[1]}
        supervisor.kill(*killed)
        assert running.processes[killed].poll() is not None
        assert supervisor.key_of(holder) is None
        assert running.processes[(SERVICE, other)].poll() is None
        wait_until(
            lambda: holders(dsn).get("relay") == workers[other],
            what=f"{other} taking the relay over",
        )

        supervisor.spawn(*killed)  # as watch() does for a process that died
        restarted = running.processes[killed]
        assert restarted.pid != holder and restarted.poll() is None
        supervisor.wait_ready([SERVICE], timeout=30)
        assert running.processes[(SERVICE, other)].poll() is None
        assert holders(dsn).get("relay") == workers[other]

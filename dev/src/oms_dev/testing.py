"""Pytest fixtures for tests that cross a boundary: a real PostgreSQL and a real
Kafka-protocol broker over sockets, the same dev stack ``oms up`` runs.

``OMS_PG_DSN`` / ``OMS_KAFKA_BOOTSTRAP`` point the tests at servers of your own; otherwise
the embedded PostgreSQL and an in-memory tansu broker are started for the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from oms_contracts import SERVICES
from oms_dev.devstack import (
    Broker,
    drop_service_databases,
    env_defaults,
    free_port,
    start_broker,
    start_postgres,
)
from oms_dev.stack import ROLES, entry, spawn
from oms_kit.kafka import all_topics, ensure_topics


def wait_until(
    predicate: Callable[[], Any],
    timeout: float = 60.0,
    what: str = "condition",
    interval: float = 0.1,
) -> Any:
    """Poll until ``predicate`` returns something truthy and return it; fail (not hang)
    after ``timeout`` seconds. A deadline for eventual consistency, not a timing check."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass(frozen=True)
class Stack:
    pg_dsn: str
    kafka_bootstrap: str

    def settings_overrides(self) -> dict[str, str]:
        return {"pg_dsn": self.pg_dsn, "kafka_bootstrap": self.kafka_bootstrap}

    def env(self) -> dict[str, str]:
        return {"OMS_PG_DSN": self.pg_dsn, "OMS_KAFKA_BOOTSTRAP": self.kafka_bootstrap}


@pytest.fixture(scope="session")
def stack_home() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="oms-test-") as tmp:
        os.chmod(tmp, 0o755)  # noqa: S103 - the embedded server runs as its own user
        yield Path(tmp)


@pytest.fixture(scope="session")
def postgres_dsn(stack_home: Path) -> Iterator[str]:
    pg_dsn, _ = env_defaults()
    postgres = start_postgres(stack_home / "pgdata", pg_dsn)
    try:
        yield postgres.dsn
    finally:
        postgres.stop()


@pytest.fixture
def broker(stack_home: Path) -> Iterator[Broker]:
    """A broker of its own for each test (an empty one starts in well under a second);
    with ``OMS_KAFKA_BOOTSTRAP`` set, that shared cluster instead."""
    _, bootstrap = env_defaults()
    started = start_broker(bootstrap, log_file=stack_home / "broker.log")
    asyncio.run(ensure_topics(started.bootstrap, 3, all_topics()))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def stack(postgres_dsn: str, broker: Broker) -> Iterator[Stack]:
    """Empty service databases on the session's PostgreSQL and a fresh broker."""
    drop_service_databases(postgres_dsn, list(SERVICES))
    yield Stack(pg_dsn=postgres_dsn, kafka_bootstrap=broker.bootstrap)


@dataclass
class RunningServices:
    """Services running as separate processes (api + worker each) on the test stack."""

    urls: dict[str, str]
    processes: dict[tuple[str, str], subprocess.Popen[bytes]]
    log_dir: Path

    def url(self, service: str) -> str:
        return self.urls[service]

    def logs(self, service: str, role: str) -> str:
        path = self.log_dir / f"{service}-{role}.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextlib.contextmanager
def running_services(
    stack: Stack, names: list[str], log_dir: Path, ready_timeout: float = 90.0
) -> Iterator[RunningServices]:
    """Start each named service's api and worker as processes, on free ports, and wait
    until every api answers ``/ready``. Stops them (SIGTERM, then SIGKILL) on exit."""
    procs: dict[tuple[str, str], subprocess.Popen[bytes]] = {}
    urls: dict[str, str] = {}
    try:
        for name in names:
            port = free_port()
            urls[name] = f"http://127.0.0.1:{port}"
            env = {**stack.env(), "OMS_HTTP_PORT": str(port)}
            for role in ROLES:
                procs[(name, role)] = spawn(entry(name), role, env, log_dir, port=port)
        deadline = time.monotonic() + ready_timeout
        with httpx.Client(timeout=1.0) as client:
            for name, url in urls.items():
                while True:
                    for (svc, role), proc in procs.items():
                        if proc.poll() is not None:
                            log = (log_dir / f"{svc}-{role}.log").read_text(errors="replace")
                            raise RuntimeError(f"{svc} {role} exited:\n{log[-3000:]}")
                    try:
                        if client.get(f"{url}/ready").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{name} not ready after {ready_timeout}s")
                    time.sleep(0.2)
        yield RunningServices(urls=urls, processes=procs, log_dir=log_dir)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

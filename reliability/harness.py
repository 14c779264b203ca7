"""The system under test and the faults: one embedded PostgreSQL for the whole run, and per
scenario empty service databases, a fresh in-memory broker and orders + inventory +
billing as separate processes (api + worker each), which a scenario can kill, restart,
cut off from PostgreSQL or from its broker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from oms_dev.devstack import (
    Broker,
    Postgres,
    drop_service_databases,
    free_port,
    start_broker,
    start_postgres,
)
from oms_dev.stack import ROLES, entry, spawn
from oms_kit.kafka import all_topics, ensure_topics

#: The services the order-to-cash flow crosses.
SERVICES = ["orders", "inventory", "billing"]
PARTITIONS = 3
READY_TIMEOUT_S = 120.0


@dataclass
class Harness:
    """Owns PostgreSQL, the broker and the service processes of a run."""

    home: Path
    postgres: Postgres | None = None
    broker: Broker | None = None
    broker_port: int = 0
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[tuple[str, str], subprocess.Popen[bytes]] = field(default_factory=dict)
    log_dir: Path = field(default_factory=Path)

    # --- PostgreSQL -----------------------------------------------------------------------

    def start_postgres(self) -> None:
        self.postgres = start_postgres(self.home / "pgdata", os.environ.get("OMS_PG_DSN"))

    @property
    def pg_dsn(self) -> str:
        assert self.postgres is not None
        return self.postgres.dsn

    def stop_postgres(self) -> None:
        """Stop the embedded server (pg_ctl stop, fast): every connection breaks."""
        assert self.postgres is not None and self.postgres.embedded, "needs embedded PostgreSQL"
        self.postgres.stop()

    def restart_postgres(self) -> None:
        """Start the server again on the same data directory: the same DSN (its socket
        lives in the data directory)."""
        assert self.postgres is not None
        dsn = self.postgres.dsn
        self.postgres = start_postgres(self.home / "pgdata")
        if self.postgres.dsn != dsn:
            raise RuntimeError(f"PostgreSQL came back elsewhere: {self.postgres.dsn} != {dsn}")

    # --- broker ---------------------------------------------------------------------------

    def start_broker(self) -> None:
        self.broker_port = self.broker_port or free_port()
        self.broker = start_broker(
            port=self.broker_port, log_file=self.home / f"broker-{self.broker_port}.log"
        )
        asyncio.run(ensure_topics(self.broker.bootstrap, PARTITIONS, all_topics()))

    @property
    def bootstrap(self) -> str:
        assert self.broker is not None
        return self.broker.bootstrap

    def replace_broker(self) -> None:
        """The broker loses everything: stop it and start an empty one on the same port."""
        assert self.broker is not None
        self.broker.stop()
        deadline = time.monotonic() + 30
        while True:
            try:
                self.broker = start_broker(
                    port=self.broker_port, log_file=self.home / f"broker-{self.broker_port}.log"
                )
                break
            except (TimeoutError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        asyncio.run(ensure_topics(self.broker.bootstrap, PARTITIONS, all_topics()))

    # --- services -------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        return {"OMS_PG_DSN": self.pg_dsn, "OMS_KAFKA_BOOTSTRAP": self.bootstrap}

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start_services(self, log_dir: Path) -> None:
        """Empty databases, then the processes; waits until every api is ready."""
        self.log_dir = log_dir
        drop_service_databases(self.pg_dsn, SERVICES)
        for name in SERVICES:
            self.ports[name] = free_port()
            for role in ROLES:
                self.spawn(name, role)
        self.wait_ready()

    def spawn(self, name: str, role: str) -> None:
        port = self.ports[name]
        env = {**self.env(), "OMS_HTTP_PORT": str(port)}
        self.procs[(name, role)] = spawn(entry(name), role, env, self.log_dir, port=port)

    def kill(self, name: str, role: str) -> None:
        """SIGKILL: no shutdown code runs."""
        proc = self.procs[(name, role)]
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def restart(self, name: str, role: str) -> None:
        self.kill(name, role)
        self.spawn(name, role)

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            for name in SERVICES:
                while True:
                    for (svc, role), proc in self.procs.items():
                        if proc.poll() is not None:
                            log = (self.log_dir / f"{svc}-{role}.log").read_text(errors="replace")
                            raise RuntimeError(f"{svc} {role} exited:\n{log[-3000:]}")
                    try:
                        if client.get(f"{self.url(name)}/ready").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{name} not ready after {timeout:.0f}s")
                    time.sleep(0.2)

    def stop_services(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()

    def cli(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """``oms ARGS`` against this stack (the operator's procedure)."""
        return subprocess.run(
            [sys.executable, "-m", "oms_dev.cli", *args],
            env={**os.environ, **self.env(), "OMS_HOME": str(self.home / "oms-home")},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def close(self) -> None:
        self.stop_services()
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None

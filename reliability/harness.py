"""The system under test and the faults: one embedded PostgreSQL for the whole run, and per
scenario empty service databases, a fresh in-memory broker and orders + inventory +
billing as separate processes (an api and one worker each, or several workers: ``workers``),
which a scenario can kill, restart, cut off from PostgreSQL or from its broker. Clients sign
in at orders like any other (``admin``: the user orders creates at start, with the run's
password)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from oms_dev.client import SignIn, new_password
from oms_dev.devstack import (
    Broker,
    Postgres,
    drop_service_databases,
    free_port,
    start_broker,
    start_postgres,
)
from oms_dev.mailsink import MailSink
from oms_dev.manifest import names
from oms_dev.supervisor import ISSUER, Supervisor
from oms_kit.kafka import all_topics, ensure_topics
from oms_kit.settings import database_name
from psycopg.conninfo import make_conninfo

#: Every service of the manifest (the order-to-cash flow crosses them all).
SERVICES = names()
#: What the quick run (CI) starts for a scenario that names none: the order-to-cash flow
#: itself. The full run starts every service; scenarios of their own cover the others
#: (mail: notifications, marketplace: marketplace-ingest, access: all of them).
FLOW = ["orders", "inventory", "billing"]
PARTITIONS = 3
READY_TIMEOUT_S = 120.0


@dataclass
class Harness:
    """Owns PostgreSQL, the broker and the service processes of a run."""

    home: Path
    #: The CI run: a scenario that names no services gets the flow's only.
    quick: bool = False
    postgres: Postgres | None = None
    broker: Broker | None = None
    broker_port: int = 0
    supervisor: Supervisor | None = None
    #: The password orders gives the user ``admin`` when it starts on empty databases.
    admin_password: str = field(default_factory=new_password, repr=False)
    _admin: SignIn | None = field(default=None, repr=False)
    #: Where the services send e-mail unless a scenario names its own server.
    sink: MailSink | None = None
    #: The services of the scenario running now.
    running: list[str] = field(default_factory=list)

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
        return {
            "OMS_PG_DSN": self.pg_dsn,
            "OMS_KAFKA_BOOTSTRAP": self.bootstrap,
            "OMS_DEV_STACK": "true",
        }

    def url(self, service: str) -> str:
        assert self.supervisor is not None
        return self.supervisor.url(service)

    @property
    def admin(self) -> SignIn:
        """The admin signed in at the running orders service (its token kept, renewed)."""
        assert self._admin is not None, "start the services first"
        return self._admin

    def start_services(
        self,
        log_dir: Path,
        env: Mapping[str, str] | None = None,
        only: Sequence[str] | None = None,
        workers: int = 1,
    ) -> None:
        """Empty databases, then the processes (orders first, making the admin), with
        ``env`` added to their environment (``only``: these services, not every one;
        ``workers``: worker processes per service); waits until every api is ready."""
        self.running = list(only or (FLOW if self.quick else SERVICES))
        drop_service_databases(self.pg_dsn, SERVICES)
        if self.sink is None:
            self.sink = MailSink(self.home / "mail").start()
        self.supervisor = Supervisor(
            {**self.env(), **self.sink.env(), **(env or {})}, log_dir, workers
        )
        self.supervisor.start_all(
            self.running, admin_password=self.admin_password, port=lambda _: free_port()
        )
        self._admin = SignIn(self.url(ISSUER), "admin", self.admin_password)
        self.supervisor.wait_ready(timeout=READY_TIMEOUT_S)

    def service_dsn(self, name: str) -> str:
        """The DSN of a service's own database (its event store, tracking table, leases)."""
        return make_conninfo(self.pg_dsn, dbname=database_name(name))

    def restart(self, name: str, role: str) -> None:
        """SIGKILL one process (no shutdown code runs) and start it again, on its port;
        ``role`` is the process's key (``api``, ``worker``, ``worker-2``)."""
        assert self.supervisor is not None
        self.supervisor.restart(name, role)

    def stop_services(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
            self.supervisor = None
        self._admin = None

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
        if self.sink is not None:
            self.sink.stop()
            self.sink = None
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None

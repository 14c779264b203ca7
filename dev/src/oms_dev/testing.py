"""Pytest fixtures for tests that cross a boundary: a real PostgreSQL and a real
Kafka-protocol broker over sockets, the same dev stack ``oms up`` runs, and an SMTP server
that keeps what it receives (``smtp_sink``), where the services started by a test send mail.

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
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from oms_dev.auth import TestIssuer
from oms_dev.client import SignIn, create_user, new_password
from oms_dev.devstack import (
    Broker,
    drop_service_databases,
    env_defaults,
    free_port,
    start_broker,
    start_postgres,
)
from oms_dev.inmemory import Fed
from oms_dev.mailsink import DEFAULT_MAIL_FROM, MailSink
from oms_dev.manifest import SERVICES
from oms_dev.supervisor import ISSUER, Supervisor
from oms_kit.kafka import all_topics, ensure_topics
from oms_kit.projection import ProjectionRunner, create_views
from oms_kit.runtime import http_app
from oms_kit.service import Service


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
    #: Signs tokens for any role; the services of a test accept them (its JWKS file is
    #: their OMS_AUTH_JWKS_URL), unless a test runs the orders service to sign in with.
    issuer: TestIssuer
    #: Where the services of a test send e-mail (the ``smtp_sink`` fixture); None: where
    #: the environment's OMS_SMTP_* say. A test with a server of its own replaces it
    #: (``dataclasses.replace(stack, smtp=...)``) or passes ``env`` to ``running_services``.
    smtp: MailSink | None = None

    def settings_overrides(self) -> dict[str, str]:
        return {"pg_dsn": self.pg_dsn, "kafka_bootstrap": self.kafka_bootstrap}

    def env(self) -> dict[str, str]:
        return {
            "OMS_PG_DSN": self.pg_dsn,
            "OMS_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "OMS_DEV_STACK": "true",
            **self.issuer.env(),
            **(self.smtp_env() if self.smtp is not None else {}),
        }

    def smtp_env(self) -> dict[str, str]:
        """The services' SMTP settings: the stack's sink, and a sender."""
        if self.smtp is None:
            raise LookupError("this stack has no SMTP sink")
        return {**self.smtp.env(), "OMS_MAIL_FROM": DEFAULT_MAIL_FROM}


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


@pytest.fixture(scope="session")
def issuer(stack_home: Path) -> TestIssuer:
    """Tokens for any role, accepted by the services the tests start (not by orders,
    which signs with keys of its own: sign in there)."""
    return TestIssuer(stack_home / "auth")


@pytest.fixture
def smtp_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    """An SMTP server in this process (a thread, a port of its own) keeping every message
    it accepts as a file: ``smtp_sink.messages()``; ``smtp_sink.refuse(n)`` answers 451."""
    with MailSink(tmp_path_factory.mktemp("mail")) as sink:
        yield sink


@pytest.fixture
def stack(
    postgres_dsn: str, broker: Broker, issuer: TestIssuer, smtp_sink: MailSink
) -> Iterator[Stack]:
    """Empty service databases on the session's PostgreSQL, a fresh broker, and an SMTP
    sink for the mail of the services a test starts."""
    drop_service_databases(postgres_dsn, list(SERVICES))
    yield Stack(
        pg_dsn=postgres_dsn, kafka_bootstrap=broker.bootstrap, issuer=issuer, smtp=smtp_sink
    )


@pytest.fixture(scope="module")
def module_stack(
    postgres_dsn: str,
    issuer: TestIssuer,
    stack_home: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """The ``stack`` fixture's stack (empty service databases, a broker and an SMTP sink of
    its own) kept for a whole test module: its tests share the services a module-scoped
    fixture starts on it (one start, not one per test), each test making data of its own."""
    _, bootstrap = env_defaults()
    started = start_broker(bootstrap, log_file=stack_home / "module-broker.log")
    try:
        asyncio.run(ensure_topics(started.bootstrap, 3, all_topics()))
        drop_service_databases(postgres_dsn, list(SERVICES))
        with MailSink(tmp_path_factory.mktemp("mail")) as sink:
            yield Stack(
                pg_dsn=postgres_dsn, kafka_bootstrap=started.bootstrap, issuer=issuer, smtp=sink
            )
    finally:
        started.stop()


class ServiceOnStack(Fed):
    """A service on the test stack's PostgreSQL, in this process: its routes through a test
    client, contract events fed through the kit's consumer, its views caught up on demand.
    It accepts the stack's test tokens (``issuer``) unless ``own_tokens`` keeps the
    verifier its bootstrap made (the orders service, which signs its own)."""

    def __init__(
        self,
        bootstrap: Callable[..., Service],
        stack: Stack,
        *,
        own_tokens: bool = False,
        **overrides: Any,
    ) -> None:
        super().__init__(bootstrap(**stack.settings_overrides(), **overrides))
        if not own_tokens:
            self.service.verifier = stack.issuer.verifier
        self.issuer = stack.issuer
        create_views(self.service.app, self.service.views)  # as the API process does
        self.client = TestClient(http_app(self.service))

    def headers(self, role: str, sub: str | None = None, **ids: str | None) -> dict[str, str]:
        """An Authorization header with a test token for ``role``."""
        return self.issuer.headers(role, sub, **ids)

    def catch_up(self) -> None:
        """Bring every read model up to date, as the worker's runners do."""
        for view in self.service.views:
            ProjectionRunner(self.service.app, view).catch_up()

    def close(self) -> None:
        self.client.close()
        super().close()


@dataclass
class RunningServices:
    """Services running as separate processes (api + worker(s) each) on the test stack. With
    orders among them, clients sign in there (``admin``, ``sign_in``, ``create_user``) and
    every service verifies its tokens; without it, the stack's test issuer's tokens."""

    supervisor: Supervisor
    #: The password of the user ``admin`` orders creates at start (None without orders).
    admin_password: str | None = None

    @cached_property
    def admin(self) -> SignIn:
        """The admin, signed in at orders (a token kept and renewed)."""
        if self.admin_password is None:
            raise LookupError("no orders service here to sign in at: use the stack's issuer")
        return SignIn(self.url(ISSUER), "admin", self.admin_password)

    def sign_in(self, username: str, password: str) -> SignIn:
        return SignIn(self.url(ISSUER), username, password)

    def create_user(self, role: str, username: str | None = None, **ids: str | None) -> SignIn:
        """A new user of ``role`` made by the admin through ``POST /users``, signed in;
        ``ids``: the sales_rep_id, customer_id or partner_id the role stands for."""
        return create_user(self.admin, role, username, **ids)

    @property
    def urls(self) -> dict[str, str]:
        return self.supervisor.urls

    @property
    def processes(self) -> dict[tuple[str, str], subprocess.Popen[bytes]]:
        return self.supervisor.processes

    @property
    def log_dir(self) -> Path:
        return self.supervisor.log_dir

    def url(self, service: str) -> str:
        return self.supervisor.url(service)

    def logs(self, service: str, role: str) -> str:
        return self.supervisor.log(service, role)


@contextlib.contextmanager
def running_services(
    stack: Stack,
    names: list[str],
    log_dir: Path,
    ready_timeout: float = 90.0,
    env: dict[str, str] | None = None,
    workers: int = 1,
) -> Iterator[RunningServices]:
    """Start each named service's api and ``workers`` worker processes (keys ``worker``,
    ``worker-2``, ...), on free ports, and wait until every api answers ``/ready``. With
    orders among them, orders starts first, with an admin of a new password, and every
    service verifies orders' tokens. ``env`` is added to the stack's environment (an SMTP
    server of the test's own, a setting). Stops them (SIGTERM, then SIGKILL) on exit."""
    password = new_password() if ISSUER in names else None
    with Supervisor({**stack.env(), **(env or {})}, log_dir, workers) as supervisor:
        supervisor.start_all(names, admin_password=password, port=lambda _: free_port())
        supervisor.wait_ready(timeout=ready_timeout)
        yield RunningServices(supervisor, password)

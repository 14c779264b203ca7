"""Pytest fixtures for tests that cross a boundary: a real PostgreSQL and a real
Kafka-protocol broker over sockets, the same dev stack ``oms up`` runs.

``OMS_PG_DSN`` / ``OMS_KAFKA_BOOTSTRAP`` point the tests at servers of your own; otherwise
the embedded PostgreSQL and an in-memory tansu broker are started for the session.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from oms_contracts import SERVICES

from oms_kit.devstack import (
    Broker,
    drop_service_databases,
    env_defaults,
    start_broker,
    start_postgres,
)
from oms_kit.kafka import all_topics, ensure_topics


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

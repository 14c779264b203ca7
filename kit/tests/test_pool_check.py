"""The pool's check of a connection it hands out: only for one that waited idle, so a
connection used a moment before costs no round trip, and one the server dropped while it
waited is replaced before anybody uses it."""

from __future__ import annotations

import time

import psycopg
import pytest
from oms_dev.testing import Stack
from oms_kit.eventstore import CheckWhenIdle
from psycopg_pool import ConnectionPool
from sample.app import orders_app


def terminate(dsn: str, pid: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


@pytest.mark.parametrize("pre_ping", [True, False])
def test_a_services_pool_checks_idle_connections_unless_told_not_to(
    stack: Stack, pre_ping: bool
) -> None:
    app, _ = orders_app(stack.pg_dsn, stack.kafka_bootstrap, pg_pre_ping=pre_ping)
    try:
        check = app.datastore.pool._check
        assert isinstance(check, CheckWhenIdle) if pre_ping else check is None
    finally:
        app.close()


def test_a_connection_is_checked_after_waiting_idle_and_not_between_quick_uses(
    stack: Stack,
) -> None:
    app, settings = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    app.close()  # only its database is used
    now = [time.monotonic()]
    check = CheckWhenIdle(clock=lambda: now[0])
    # One connection, so each checkout gets the one returned before.
    with ConnectionPool(settings.service_dsn, min_size=1, max_size=1, check=check) as pool:
        with pool.connection() as conn:  # new: checked
            first = conn.info.backend_pid
        assert check.checks == 1

        now[0] += 1.0  # a moment later: not checked
        with pool.connection() as conn:
            assert conn.info.backend_pid == first
        assert check.checks == 1

        # Dropped by the server between two quick uses: that use fails (the price of not
        # checking; callers retry), and the pool replaces the broken connection.
        terminate(settings.service_dsn, first)
        now[0] += 1.0
        with pytest.raises(psycopg.OperationalError), pool.connection() as conn:
            conn.execute("SELECT 1")
        with pool.connection() as conn:  # its replacement: new, checked
            second = conn.info.backend_pid
        assert second != first and check.checks == 2

        # Dropped while it waited idle: the check finds it, and a working one is handed out.
        terminate(settings.service_dsn, second)
        now[0] += check.idle_s + 1.0
        with pool.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
            assert conn.info.backend_pid != second
        assert check.checks == 4  # the dropped one, then its replacement

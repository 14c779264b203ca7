"""Repeated failed sign-ins are slowed down: after ``limit`` failures within the window,
for one username (or client id) or from one address, further attempts are refused (429,
``Retry-After``) until enough of them have left the window. The failures are counted in the
orders database (a small table), so the limit holds across the service's API processes;
a username that does not exist is counted like one that does."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from eventsourcing.postgres import PostgresDatastore

from oms_orders.identity.keys import IDENTITY_LOCK, Clock, utc_now

TABLE = "orders_sign_in_failures"
#: Keys are cut to this length (a username is the caller's to choose).
MAX_KEY = 200


class TooManyFailures(Exception):
    """Too many recent failures for this username, client or address."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed sign-ins; retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class FailureLog(Protocol):
    def record(self, keys: Iterable[str], at: datetime, forget_before: datetime) -> None:
        """Note a failure for each key at ``at``; failures before ``forget_before`` go."""
        ...

    def nth_newest(self, key: str, n: int, since: datetime) -> datetime | None:
        """When the ``n``-th newest failure of ``key`` after ``since`` happened (None when
        there are fewer)."""
        ...

    def forget(self, key: str) -> None: ...


class PostgresFailureLog:
    ddl = f"""
        CREATE TABLE IF NOT EXISTS {TABLE} (
            key text NOT NULL,
            failed_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS {TABLE}_key ON {TABLE} (key, failed_at DESC);
        CREATE INDEX IF NOT EXISTS {TABLE}_age ON {TABLE} (failed_at);
    """

    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore

    def create(self) -> None:
        with self.datastore.transaction(commit=True) as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (IDENTITY_LOCK,))
            cur.execute(self.ddl)

    def record(self, keys: Iterable[str], at: datetime, forget_before: datetime) -> None:
        with self.datastore.transaction(commit=True) as cur:
            cur.execute(f"DELETE FROM {TABLE} WHERE failed_at < %s", (forget_before,))
            cur.executemany(
                f"INSERT INTO {TABLE} (key, failed_at) VALUES (%s, %s)",
                [(key, at) for key in keys],
            )

    def nth_newest(self, key: str, n: int, since: datetime) -> datetime | None:
        with self.datastore.transaction(commit=False) as cur:
            cur.execute(
                f"SELECT failed_at FROM {TABLE} WHERE key = %s AND failed_at > %s "
                "ORDER BY failed_at DESC OFFSET %s LIMIT 1",
                (key, since, n - 1),
            )
            row = cur.fetchone()
        return row["failed_at"] if row else None

    def forget(self, key: str) -> None:
        with self.datastore.transaction(commit=True) as cur:
            cur.execute(f"DELETE FROM {TABLE} WHERE key = %s", (key,))


class MemoryFailureLog:
    """The same, in this process (the use-case tests)."""

    def __init__(self) -> None:
        self._failures: dict[str, list[datetime]] = {}
        self._lock = threading.Lock()

    def record(self, keys: Iterable[str], at: datetime, forget_before: datetime) -> None:
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, []).append(at)
            self._failures = {
                key: kept
                for key, times in self._failures.items()
                if (kept := [t for t in times if t >= forget_before])
            }

    def nth_newest(self, key: str, n: int, since: datetime) -> datetime | None:
        with self._lock:
            recent = sorted((t for t in self._failures.get(key, ()) if t > since), reverse=True)
        return recent[n - 1] if len(recent) >= n else None

    def forget(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


@dataclass(frozen=True)
class Limits:
    #: Failures allowed within the window for one username or client id ...
    per_subject: int = 5
    #: ... and from one address (several people may share one).
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)


class SignInThrottle:
    def __init__(self, log: FailureLog, limits: Limits, clock: Clock = utc_now) -> None:
        self.log = log
        self.limits = limits
        self.clock = clock

    def check(self, subject: str, address: str | None) -> None:
        """``TooManyFailures`` when the subject (``user:<name>`` or ``client:<id>``) or
        the address (if any) has reached its limit within the window."""
        now = self.clock()
        since = now - self.limits.window
        limits = [(_key(subject), self.limits.per_subject)]
        if address is not None:
            limits.append((_key(f"address:{address}"), self.limits.per_address))
        waits = []
        for key, limit in limits:
            oldest_counted = self.log.nth_newest(key, limit, since)
            if oldest_counted is not None:
                waits.append((oldest_counted + self.limits.window - now).total_seconds())
        if waits:
            raise TooManyFailures(max(1, math.ceil(max(waits))))

    def failed(self, subject: str, address: str | None) -> None:
        now = self.clock()
        keys = [_key(subject)] + ([_key(f"address:{address}")] if address is not None else [])
        self.log.record(keys, now, now - self.limits.window)

    def succeeded(self, subject: str) -> None:
        """The subject signed in: his earlier failures no longer count (the address's
        still do)."""
        self.log.forget(_key(subject))


def _key(key: str) -> str:
    return key[:MAX_KEY]

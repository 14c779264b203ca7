"""One active holder per job among a service's worker processes (DESIGN section 2: exactly one
relay per service is active, with failover).

A :class:`Lease` is a PostgreSQL session-level advisory lock held on a connection of its own,
named ``oms:<service>:<name>:<pid>``: the lock goes with the connection, so a holder that dies
(even SIGKILLed) frees it as soon as the server sees its socket close, and a holder that loses
its connection (a database restart) learns it on its next check and stops. :func:`lead` and
:func:`lead_thread` run a job only while its lease is held and contend again when it is lost;
:func:`holders` names the process holding each lease (``oms status``, the failover scenario).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import selectors
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

log = logging.getLogger(__name__)

#: PostgreSQL keeps the first 63 bytes of an application_name.
APPLICATION_NAME_MAX = 63
PREFIX = "oms:"
#: A holder checks its lease every ``retry_s``; one that takes over from another waits this
#: many checks before starting the job, so that a holder whose connection the server dropped
#: (a database restart) has stopped its own (the server frees the lease at once, the holder
#: learns it on its next check). A holder that dies needs no wait, but cannot be told apart.
TAKEOVER_CHECKS = 2


def lease_key(service: str, name: str) -> int:
    """The advisory lock key of a service's lease: a stable signed 64-bit integer."""
    digest = hashlib.blake2b(f"{service}/{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def application_name(service: str, name: str, pid: int) -> str:
    """``oms:<service>:<name>:<pid>``, the name cut short if need be (never the pid)."""
    tail = f":{pid}".encode()
    head = f"{PREFIX}{service}:{name}".encode()[: APPLICATION_NAME_MAX - len(tail)]
    return head.decode(errors="ignore") + tail.decode()


def app_conninfo(app: Any) -> str:
    """The conninfo of a service application's own database, as its pool connects."""
    pool = app.datastore.pool
    conninfo = pool.conninfo() if callable(pool.conninfo) else pool.conninfo
    kwargs = (pool.kwargs() if callable(pool.kwargs) else pool.kwargs) or {}
    params = {k: v for k, v in kwargs.items() if k != "row_factory" and v is not None}
    return make_conninfo(conninfo, **params)


class Lease:
    """A PostgreSQL session-level advisory lock held on a dedicated connection (autocommit),
    opened with ``application_name = oms:<service>:<name>:<pid>``. Released when the
    connection closes, so a SIGKILLed holder's lease is free as soon as PostgreSQL sees
    the socket close. Used by one thread at a time."""

    def __init__(self, conninfo: str, service: str, name: str) -> None:
        self.conninfo = conninfo
        self.service = service
        self.name = name
        self.key = lease_key(service, name)
        #: Whether this process holds the lease, as far as it knows (see :meth:`still_held`).
        self.held = False
        self._conn: psycopg.Connection[Any] | None = None

    def __repr__(self) -> str:
        return f"Lease({self.service}:{self.name}, held={self.held})"

    def _connect(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                self.conninfo,
                autocommit=True,
                application_name=application_name(self.service, self.name, os.getpid()),
                connect_timeout=5,
                # A server gone without a word (a cable, a frozen host) is noticed here in
                # about 5 s, not at the kernel's TCP timeout; the server gives up on a
                # silent holder (and frees its lease) later, in about 16 s.
                keepalives=1,
                keepalives_idle=3,
                keepalives_interval=1,
                keepalives_count=2,
                tcp_user_timeout=5_000,
                options="-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=2 "
                "-c tcp_keepalives_count=3",
            )
        return self._conn

    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it (``pg_try_advisory_lock``); reconnects if the
        connection was lost. False when another process holds it or the database is not
        reachable."""
        if self.held:
            return self.still_held()
        try:
            row = self._connect().execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        except psycopg.Error as exc:
            log.debug("lease %s/%s: %s", self.service, self.name, exc)
            self._close()
            return False
        self.held = bool(row and row[0])
        return self.held

    def still_held(self) -> bool:
        """Whether the lease is still this process's: its connection is open. The server
        says nothing on a healthy idle connection, so one with nothing to read is taken as
        held without a round trip (an idle worker's leases cost the database nothing);
        when the server spoke (it is shutting down or ended the session: a message, then
        the close) or the socket failed (the keepalives gave up), a ``SELECT 1`` decides.
        False once the connection is lost (the server may already have given the lease to
        another)."""
        if not self.held or self._conn is None:
            return False
        try:
            if not self._conn.closed and not _readable(self._conn.fileno()):
                return True
            self._conn.execute("SELECT 1")
        except (psycopg.Error, OSError, ValueError):
            self._close()
            return False
        return True

    def release(self) -> None:
        """Give the lease up (``pg_advisory_unlock``) and close its connection."""
        if self._conn is not None and self.held:
            with contextlib.suppress(psycopg.Error):
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        self._close()

    def _close(self) -> None:
        self.held = False
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


def _readable(fd: int) -> bool:
    """Whether the socket has something to read (or failed), without waiting."""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        return bool(selector.select(timeout=0))


def holders(conninfo: str) -> dict[str, int]:
    """Lease name -> pid of the OMS process holding it in this database (granted advisory
    locks of connections named ``oms:<service>:<name>:<pid>``)."""
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT a.application_name FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND a.application_name LIKE %s",
            (PREFIX + "%",),
        ).fetchall()
    found: dict[str, int] = {}
    for (name,) in rows:
        rest, _, pid = name.removeprefix(PREFIX).rpartition(":")
        _service, _, lease = rest.partition(":")
        if lease and pid.isdigit():
            found[lease] = int(pid)
    return found


def _taken(lease: Lease) -> None:
    log.info("took the %s lease of %s (pid %s)", lease.name, lease.service, os.getpid())


def _lost(lease: Lease) -> None:
    log.info("lost the %s lease of %s; stopping it and contending again", lease.name, lease.service)


async def lead(
    lease: Lease,
    run: Callable[[asyncio.Event], Awaitable[None]],
    stop: asyncio.Event,
    retry_s: float,
) -> None:
    """Run ``run`` (with a stop event of its own) while ``lease`` is held, until ``stop``
    is set: contend every ``retry_s`` seconds (after a takeover, start the job
    ``TAKEOVER_CHECKS`` checks later); once held, check it every ``retry_s``; when it is
    lost, stop the job, wait ``retry_s`` (another process takes over) and contend again."""
    refused = False
    try:
        while not stop.is_set():
            if not await asyncio.to_thread(lease.try_acquire):
                refused = True
                await _wait(stop, retry_s)
                continue
            if refused:  # taken over: let the last holder notice it lost the lease
                refused = False
                await _wait(stop, TAKEOVER_CHECKS * retry_s)
                if stop.is_set() or not await asyncio.to_thread(lease.still_held):
                    continue
            _taken(lease)
            own_stop = asyncio.Event()
            job = asyncio.ensure_future(run(own_stop))
            stopping = asyncio.ensure_future(stop.wait())
            try:
                while not stop.is_set():
                    await asyncio.wait(
                        {job, stopping}, timeout=retry_s, return_when=asyncio.FIRST_COMPLETED
                    )
                    if job.done():
                        if not job.cancelled() and job.exception() is not None:
                            log.error(
                                "%s of %s failed",
                                lease.name,
                                lease.service,
                                exc_info=job.exception(),
                            )
                        break
                    if not stop.is_set() and not await asyncio.to_thread(lease.still_held):
                        _lost(lease)
                        break
            finally:
                own_stop.set()
                stopping.cancel()
                await asyncio.gather(job, return_exceptions=True)
                await asyncio.to_thread(lease.release)
            await _wait(stop, retry_s)
    finally:
        await asyncio.to_thread(lease.release)


def lead_thread(
    lease: Lease,
    run: Callable[[threading.Event], None],
    stop: threading.Event,
    retry_s: float,
) -> None:
    """:func:`lead` for a blocking job (a projection runner, a background loop): ``run``
    goes in a thread of its own while the lease is held; this one checks the lease."""
    refused = False
    try:
        while not stop.is_set():
            if not lease.try_acquire():
                refused = True
                stop.wait(retry_s)
                continue
            if refused:  # taken over: let the last holder notice it lost the lease
                refused = False
                if stop.wait(TAKEOVER_CHECKS * retry_s) or not lease.still_held():
                    continue
            _taken(lease)
            own_stop = threading.Event()
            job = threading.Thread(
                target=run,
                args=(own_stop,),
                name=f"{threading.current_thread().name}-job",
                daemon=True,
            )
            job.start()
            try:
                while not stop.wait(retry_s):
                    if not job.is_alive():
                        log.error("%s of %s stopped on its own", lease.name, lease.service)
                        break
                    if not lease.still_held():
                        _lost(lease)
                        break
            finally:
                own_stop.set()
                job.join()
                lease.release()
            stop.wait(retry_s)
    finally:
        lease.release()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)

"""CPU accounting of the processes under test: each OMS process, PostgreSQL and the broker.

PostgreSQL is a postmaster with backends and helpers that come and go; a process tree's CPU
is its own, its live descendants' and what its reaped children used (``children_user`` and
``children_system``: the postmaster reaps its backends, so an exited backend's CPU stays in
the figure). The broker (tansu) and the service processes are counted the same way."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from urllib.parse import urlsplit

import psutil
import psycopg

#: Not among the processes under test: the load generator (this process) is reported beside.
LOAD_GENERATOR = "load-generator"


def tree_cpu_s(proc: psutil.Process) -> float:
    """User + system seconds of ``proc``, its live descendants and its reaped children."""
    try:
        t = proc.cpu_times()
        total = float(t.user + t.system + t.children_user + t.children_system)
        children = proc.children(recursive=True)
    except psutil.Error:
        return 0.0
    for child in children:
        with contextlib.suppress(psutil.Error):
            c = child.cpu_times()
            total += c.user + c.system + c.children_user + c.children_system
    return total


def own_cpu_s(proc: psutil.Process) -> float:
    """User + system seconds of ``proc`` alone (the load generator, whose children are the
    embedded broker and whatever the bench starts)."""
    try:
        t = proc.cpu_times()
    except psutil.Error:
        return 0.0
    return float(t.user + t.system)


def snapshot(procs: Mapping[str, psutil.Process]) -> dict[str, float]:
    """CPU seconds so far of each named process tree (the load generator's own only)."""
    return {
        name: own_cpu_s(proc) if name == LOAD_GENERATOR else tree_cpu_s(proc)
        for name, proc in procs.items()
    }


def delta(start: Mapping[str, float], end: Mapping[str, float]) -> dict[str, float]:
    """CPU seconds each process used between two snapshots (0 for one started since)."""
    return {name: max(0.0, end[name] - start.get(name, 0.0)) for name in end}


def postmaster(dsn: str) -> psutil.Process | None:
    """The PostgreSQL server's postmaster, when it runs on this machine: the parent of the
    backend that serves a connection. None for a server elsewhere."""
    host = urlsplit(dsn).hostname if "://" in dsn else None
    if host not in (None, "", "localhost", "127.0.0.1", "::1"):
        return None
    try:
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            row = conn.execute("SELECT pg_backend_pid()").fetchone()
            assert row is not None
            # While the connection is open: its backend exits once it is closed (a busy
            # machine's full run lost PostgreSQL from the count that way).
            parent = psutil.Process(int(row[0])).parent()
    except (psycopg.Error, psutil.Error):
        return None
    return parent


def listener(bootstrap: str) -> psutil.Process | None:
    """The process listening on the broker's port, when it is on this machine."""
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    if host not in ("localhost", "127.0.0.1", "::1") or not port.isdigit():
        return None
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.Error:
        return None
    for conn in connections:
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == int(port) and conn.pid:
            with contextlib.suppress(psutil.Error):
                return psutil.Process(conn.pid)
    return None


def infrastructure(
    pg_dsn: str, bootstrap: str, broker_pid: int | None = None
) -> dict[str, psutil.Process]:
    """PostgreSQL and the broker as processes to watch (those that run on this machine)."""
    out: dict[str, psutil.Process] = {}
    pg = postmaster(pg_dsn)
    if pg is not None:
        out["postgres"] = pg
    broker: psutil.Process | None = None
    if broker_pid is not None:
        with contextlib.suppress(psutil.Error):
            broker = psutil.Process(broker_pid)
    broker = broker or listener(bootstrap)
    if broker is not None:
        out["broker"] = broker
    return out

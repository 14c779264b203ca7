"""The event store of a service: its own PostgreSQL database, eventsourcing's persistence in
the default (table-locking) mode, so notification ids become visible in commit order and a
follower asking for "ids after the last seen" never skips one (DESIGN section 8)."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

import psycopg
from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Mapper,
    ProcessRecorder,
    Recording,
    StoredEvent,
    Tracking,
)
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import get_topic
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from oms_kit.context import current_metadata
from oms_kit.settings import ServiceSettings

META_KEY = "__meta__"

#: Advisory lock key that serialises schema creation in a service database.
SCHEMA_LOCK = 0x0A5_5C4E


class MetadataMapper(Mapper[UUID]):
    """Stores the current metadata scope (actor, correlation, traceparent) beside each event,
    so that history, the relay and tracing can read it back; domain events never see it."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        meta = current_metadata()
        if not meta:
            return super().to_stored_event(domain_event)
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        state[META_KEY] = meta
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(type(domain_event)),
            state=self.transcoder.encode(state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        event = super().to_domain_event(stored_event)
        event.__dict__.pop(META_KEY, None)
        return event

    def metadata(self, stored_event: StoredEvent) -> dict[str, str]:
        state: dict[str, Any] = self.transcoder.decode(stored_event.state)
        meta: dict[str, str] = state.get(META_KEY) or {}
        return meta


class ServiceApplication(Application[UUID]):
    """Base of each service's Application. Its recorder is a ProcessRecorder, so events that
    a consumed message causes are stored with the message's tracking record in one
    transaction (exactly-once)."""

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    @property
    def process_recorder(self) -> ProcessRecorder:
        assert isinstance(self.recorder, ProcessRecorder)
        return self.recorder

    @property
    def datastore(self) -> PostgresDatastore:
        datastore = getattr(self.recorder, "datastore", None)
        assert isinstance(datastore, PostgresDatastore), "the OMS event store is PostgreSQL"
        return datastore

    @property
    def metadata_mapper(self) -> MetadataMapper:
        assert isinstance(self.mapper, MetadataMapper)
        return self.mapper

    def record_processing(self, processing: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """Store the new events and the tracking record of ``processing`` atomically."""
        recordings = self._record(processing)
        self._notify(recordings)
        return recordings

    def is_processed(self, tracking: Tracking) -> bool:
        """Whether exactly this (source, position) was applied. Not the library's
        ``has_tracking_id``, which compares with the highest position seen: events from
        different partitions arrive out of position order, and a redriven dead letter
        comes after later ones, yet each must still be applied once."""
        table = getattr(self.recorder, "tracking_table_name", "notification_tracking")
        with self.datastore.transaction(commit=False) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT 1 FROM {} WHERE application_name = %s AND notification_id = %s"
                ).format(sql.Identifier(table)),
                (tracking.application_name, tracking.notification_id),
            )
            return cur.fetchone() is not None


A = TypeVar("A", bound=ServiceApplication)


def eventsourcing_env(settings: ServiceSettings) -> dict[str, str]:
    """The eventsourcing library's environment for a service's own database."""
    params = conninfo_to_dict(settings.service_dsn)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "MAPPER_TOPIC": get_topic(MetadataMapper),
        "POSTGRES_DBNAME": str(params["dbname"]),
        "POSTGRES_HOST": str(params.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": str(params.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
        "POSTGRES_POOL_SIZE": str(settings.pg_pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.pg_pool_size * 2),
        "POSTGRES_PRE_PING": "y",
        "POSTGRES_LOCK_TIMEOUT": "10",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        # One tracking row per (source, position): events from different partitions may
        # arrive out of position order, and a redriven dead letter must still apply.
        "SINGLE_ROW_TRACKING": "n",
        # Tables are created by build_application, one process at a time.
        "CREATE_TABLE": "n",
    }


def app_name(service: str) -> str:
    """The Application name of a service; its tables are ``<name>_events`` and
    ``<name>_tracking``."""
    return service.replace("-", "_")


def events_table(service: str) -> str:
    return f"{app_name(service)}_events"


def ensure_database(server_dsn: str, database: str) -> bool:
    """Create the database on the server if it is missing. True when it was created."""
    with psycopg.connect(make_conninfo(server_dsn, dbname="postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
        if exists.fetchone():
            return False
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            return False  # another process won the race
        return True


def build_application(cls: type[A], settings: ServiceSettings) -> A:
    """The service's Application on its own database (database and tables created if
    missing). Creating them is serialised by an advisory lock: a service's processes start
    together, and concurrent CREATE statements fail with "tuple concurrently updated"."""
    if cls.name != app_name(settings.service):
        raise ValueError(f"{cls.__name__}.name must be {app_name(settings.service)!r}")
    ensure_database(settings.pg_dsn, settings.database)
    app = cls(env=eventsourcing_env(settings))
    with psycopg.connect(settings.service_dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            app.recorder.create_table()  # type: ignore[attr-defined]
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
    return app

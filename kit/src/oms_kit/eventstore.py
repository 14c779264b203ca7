"""The event store of a service: its own PostgreSQL database, eventsourcing's persistence in
the default (table-locking) mode, so notification ids become visible in commit order and a
follower asking for "ids after the last seen" never skips one (DESIGN section 8).

Writes are group-committed: concurrent ``save()`` / ``record_processing()`` calls of a
process are queued, and one of them (the leader) writes the whole group in ONE transaction
(one table lock, one multi-row insert of the events, one of the tracking rows). A conflict
in a group (an aggregate version taken, a tracking row already present) makes the leader
write the group's requests one by one instead, so only the request that caused it raises
``IntegrityError`` to its caller, exactly as an ungrouped write would."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import BaseAggregate, DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import (
    InterfaceError,
    Mapper,
    OperationalError,
    ProcessRecorder,
    Recording,
    StoredEvent,
    Tracking,
)
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from eventsourcing.utils import get_topic, retry
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
        return self.with_metadata(stored_event)[0]

    def with_metadata(
        self, stored_event: StoredEvent
    ) -> tuple[DomainEventProtocol[UUID], dict[str, str]]:
        """The domain event and its metadata, decoding the stored state once."""
        event = super().to_domain_event(stored_event)
        meta: dict[str, str] = event.__dict__.pop(META_KEY, None) or {}
        return event, meta

    def metadata(self, stored_event: StoredEvent) -> dict[str, str]:
        state: dict[str, Any] = self.transcoder.decode(stored_event.state)
        meta: dict[str, str] = state.get(META_KEY) or {}
        return meta


@dataclass(eq=False)
class _Write:
    """One caller's request in a group: its events, its tracking record, its outcome."""

    events: Sequence[StoredEvent]
    tracking: Tracking | None
    wake: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    done: bool = False
    ids: Sequence[int] | None = None
    error: BaseException | None = None


class GroupCommitRecorder(PostgresProcessRecorder):
    """eventsourcing's process recorder (default locking mode) with group commit.

    ``insert_events`` queues the request; when no write is in flight the caller becomes the
    leader, takes every queued request (up to ``max_group`` events) and writes them in one
    transaction; otherwise it waits, and is either woken with its result or handed the
    leadership for the next group. Order in the group is queue order, so notification ids
    are gap-free and increasing in commit order, as before."""

    #: Most events written in one group transaction.
    max_group = 2000
    #: Groups one leader writes in a row before handing over (bounds its caller's wait).
    max_rounds = 4

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking",
    ) -> None:
        super().__init__(
            datastore, events_table_name=events_table_name, tracking_table_name=tracking_table_name
        )
        self._mutex = threading.Lock()
        self._queue: list[_Write] = []
        self._leading = False
        self.insert_trackings_statement = sql.SQL(
            "INSERT INTO {0}.{1} (application_name, notification_id) "
            "SELECT * FROM unnest(%s::text[], %s::bigint[])"
        ).format(sql.Identifier(datastore.schema), sql.Identifier(tracking_table_name))
        self.insert_columns_statement = sql.SQL(
            "INSERT INTO {0}.{1} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::{2}[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(
            sql.Identifier(datastore.schema),
            sql.Identifier(events_table_name),
            sql.SQL(datastore.originator_id_type),
        )
        #: Groups written and requests they held (for the benchmark and tests).
        self.groups = 0
        self.grouped_requests = 0

    def _insert_stored_events(
        self, curs: psycopg.Cursor[Any], stored_events: Sequence[StoredEvent], **_: Any
    ) -> None:
        """The library's insert (table lock, NOTIFY, one multi-row INSERT .. RETURNING), with
        the rows sent as four binary arrays rather than an array of composites, which
        psycopg dumps as escaped text (the bulk of the leader's time for large groups)."""
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(
            self.insert_columns_statement,
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ),
            binary=True,
        )

    @property
    def queued(self) -> int:
        """Requests waiting for the write in flight to finish."""
        with self._mutex:
            return len(self._queue)

    @property
    def writing(self) -> bool:
        """Whether a group is being written."""
        with self._mutex:
            return self._leading

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        tracking: Tracking | None = kwargs.get("tracking")
        if not stored_events and tracking is None:
            return None
        write = _Write(stored_events, tracking)
        with self._mutex:
            self._queue.append(write)
            if not self._leading:
                self._leading = write.lead = True
        if not write.lead:
            write.wake.wait()
        if not write.done:
            self._lead()
        if write.error is not None:
            raise write.error
        return write.ids

    def _lead(self) -> None:
        """Write the queued requests (this leader's own is in the first group). While more
        are queued, write up to ``max_rounds`` groups in a row: the next transaction starts
        at once, while the callers just served run; then hand the leadership over."""
        for round_ in range(self.max_rounds):
            with self._mutex:
                group = self._take_group()
            self._write_group(group)  # never raises: each caller gets its own outcome
            for write in group:
                write.done = True
                write.wake.set()
            with self._mutex:
                if not self._queue:
                    self._leading = False
                    return
                if round_ == self.max_rounds - 1:
                    successor = self._queue[0]
                    successor.lead = True
                    successor.wake.set()

    def _take_group(self) -> list[_Write]:
        group: list[_Write] = []
        size = 0
        while self._queue and (not group or size + len(self._queue[0].events) <= self.max_group):
            write = self._queue.pop(0)
            group.append(write)
            size += len(write.events)
        return group

    def _write_group(self, group: list[_Write]) -> None:
        if len(group) > 1 and not (
            self.datastore.single_row_tracking and any(w.tracking for w in group)
        ):
            try:
                ids = self._insert_group(group)
            except (InterfaceError, OperationalError) as exc:
                # The database is unreachable (after the retries): no request can succeed.
                for write in group:
                    write.error = exc
                return
            except Exception:  # noqa: S110 - decided per request just below
                # A conflict (IntegrityError: a version taken, a tracking row present) or
                # bad data in some request: write them one by one, so that only the request
                # that caused it fails, with the error it would have had on its own.
                pass
            except BaseException as exc:
                for write in group:
                    write.error = exc
                return
            else:
                self.groups += 1
                self.grouped_requests += len(group)
                offset = 0
                for write in group:
                    if write.events:
                        write.ids = ids[offset : offset + len(write.events)]
                        offset += len(write.events)
                return
        for write in group:
            try:
                # Our own insert, not the library's: its pipeline can report a duplicate
                # tracking row as "pipeline aborted" (see _insert_group).
                write.ids = self._insert_group([write])
            except BaseException as exc:
                write.error = exc
            self.groups += 1
            self.grouped_requests += 1

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_group(self, group: list[_Write]) -> list[int]:
        """One transaction: the tracking rows, the table lock, one multi-row insert."""
        events = [e for w in group for e in w.events]
        trackings = [w.tracking for w in group if w.tracking is not None]
        exc: Exception | None = None
        ids: list[int] = []
        with self.datastore.get_connection() as conn:
            with conn.pipeline() as pipeline, conn.transaction():
                with conn.cursor() as curs:
                    if trackings:
                        self._check_has_multi_row_tracking_table(curs)
                        try:
                            curs.execute(
                                self.insert_trackings_statement,
                                (
                                    [t.application_name for t in trackings],
                                    [t.notification_id for t in trackings],
                                ),
                            )
                            # Sync here: otherwise a duplicate tracking row may surface as
                            # "pipeline aborted" (an OperationalError, read as "database
                            # down") on the next statement instead of an IntegrityError.
                            pipeline.sync()
                        except Exception as e:
                            exc = e
                # A cursor of its own, so that its last result is the insert's ids.
                with conn.cursor() as curs:
                    try:
                        if exc is not None:
                            raise exc
                        if events:
                            self._insert_stored_events(curs, events)
                        # Sync now: a unique violation raises IntegrityError here, not
                        # an InternalError at commit.
                        pipeline.sync()
                        if events:
                            ids = list(self._fetch_ids_after_insert_events(curs, events) or [])
                    except Exception as e:
                        exc = e  # raised after the pipeline exits (no pipeline warning)
            if exc:
                raise exc
        if len(ids) != len(events):
            raise RuntimeError(f"group insert returned {len(ids)} ids for {len(events)} events")
        return ids


class ServiceApplication(Application[UUID]):
    """Base of each service's Application. Its recorder is a ProcessRecorder, so events that
    a consumed message causes are stored with the message's tracking record in one
    transaction (exactly-once); concurrent writes are group-committed
    (:class:`GroupCommitRecorder`)."""

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """The library's ``save``, collecting aggregates without its runtime-protocol
        ``isinstance`` checks (~25 us per aggregate, paid under the GIL by every writer)."""
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                processing.events.extend(obj.collect_events())
                processing.aggregates[obj.id] = obj
            else:
                processing.collect_events(obj)
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        self.notify(processing.events)  # the library's deprecated hook, kept
        return recordings

    def construct_recorder(self) -> ProcessRecorder:
        factory = self.factory
        datastore = getattr(factory, "datastore", None)
        if not isinstance(datastore, PostgresDatastore):
            return factory.process_recorder()
        # The table names eventsourcing's factory would give.
        prefix = factory.env.name.lower()
        recorder = GroupCommitRecorder(
            datastore,
            events_table_name=f"{prefix or 'stored'}_events",
            tracking_table_name=f"{prefix or 'notification'}_tracking",
        )
        if getattr(factory, "env_create_table", lambda: False)():
            recorder.create_table()
        return recorder

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
        "POSTGRES_LOCK_TIMEOUT": str(settings.pg_lock_timeout_s),
        "POSTGRES_CONNECT_TIMEOUT": "2",
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

"""The event store of a service: its own PostgreSQL database, eventsourcing's persistence in
the default (table-locking) mode, so notification ids become visible in commit order and a
follower asking for "ids after the last seen" never skips one (DESIGN section 8).

Writes are group-committed: concurrent ``save()`` / ``record_processing()`` calls of a
process are queued, and one of them (the leader) writes the whole group in ONE transaction
(one table lock, one multi-row insert of the events, one of the tracking rows). A conflict
in a group (an aggregate version taken, a tracking row already present) makes the leader
write the group's requests one by one instead, so only the request that caused it raises
``IntegrityError`` to its caller, exactly as an ungrouped write would.

The port is eventsourcing's ``ProcessRecorder`` plus an exact tracking check
(``is_processed``); it has two adapters, chosen by ``Settings.event_store``: the PostgreSQL
group-commit recorder above, and :class:`MemoryProcessRecorder` (eventsourcing's in-memory
recorder) for the use-case tests, which need no database and no broker.

Positions (where the relay, each read model and each consumed source got to) live in ONE
table shape, the recorder's tracking table ``(application_name, notification_id)``: the
consumer writes a row per applied (source, position), in the transaction of the events it
causes; the relay and the read models keep one row each, named ``relay:<name>`` and
``view:<name>`` (see :class:`Positions`)."""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast
from uuid import UUID

import psycopg
from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import (
    Aggregate,
    BaseAggregate,
    DomainEventProtocol,
    MutableOrImmutableAggregate,
)
from eventsourcing.persistence import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    Mapper,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProcessRecorder,
    ProgrammingError,
    Recording,
    StoredEvent,
    Tracking,
)
from eventsourcing.popo import POPOProcessRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from eventsourcing.utils import Environment, EnvType, get_topic, retry
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool

from oms_kit.context import current_metadata
from oms_kit.domain import NotFound
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


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(eq=False)
class _Write:
    """One caller's request in a group: its events, its tracking record, its outcome.
    ``wake`` is held until the caller may go on: its request was written by another
    caller's group (``done``), or it is first in the queue and writes the next group
    itself (a lock rather than an Event: acquiring and releasing it costs a fraction of an
    Event's wait and set)."""

    events: Sequence[StoredEvent]
    tracking: Tracking | None
    wake: threading.Lock = field(default_factory=_held_lock)
    done: bool = False
    ids: Sequence[int] | None = None
    error: BaseException | None = None


class GroupCommitRecorder(PostgresProcessRecorder):
    """eventsourcing's process recorder (default locking mode) with group commit.

    ``insert_events`` queues the request. The caller first in the queue is the leader: it
    takes what is queued (up to ``max_group`` events) and writes it in ONE statement, a
    call of a function made with the tables (:meth:`append_function`): the tracking rows,
    the table lock, NOTIFY and the multi-row insert run inside PostgreSQL in one round
    trip, so the table lock that serialises commits is never held across a trip back to
    this process (which may be waiting for the GIL). The others wait; once the group is
    written its callers are woken and the first caller still queued leads the next group.
    One group is written at a time (commits are serialised by the table lock anyway).

    The leader is a caller, not a thread of the recorder: a write that finds the queue
    empty (most writes of a lightly loaded service) is written by its own thread with no
    hand-off; a writer thread cost two thread switches (there and back) per write, a fifth
    of a consumer's CPU per event. Notification ids stay gap-free and increasing in commit
    order, as with the library's own insert; within a group they follow queue order."""

    #: Most events taken into one group (a single request may be larger).
    max_group = 2000

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking",
    ) -> None:
        if datastore.single_row_tracking:
            raise ValueError("group commit needs multi-row tracking (SINGLE_ROW_TRACKING=n)")
        super().__init__(
            datastore, events_table_name=events_table_name, tracking_table_name=tracking_table_name
        )
        #: Requests not yet written, in order; the first ``_writing`` of them are the
        #: group being written.
        self._queue: deque[_Write] = deque()
        self._queue_lock = threading.Lock()
        #: Held by the leader while it writes (and by ``stop_writers``).
        self._write_lock = threading.Lock()
        self._writing = 0
        self._connection: psycopg.Connection[Any] | None = None
        function = sql.Identifier(datastore.schema, f"{events_table_name}_append")
        self.sql_create_statements.append(self.append_function(function, tracking_table_name))
        self.append_statement = sql.SQL(
            "SELECT id FROM {0}(%b::{1}[], %b::bigint[], %b::text[], %b::bytea[], "
            "%b::text[], %b::bigint[]) AS appended(id)"
        ).format(function, sql.SQL(datastore.originator_id_type))
        #: Groups written and requests they held (for the benchmark and tests).
        self.groups = 0
        self.grouped_requests = 0

    def append_function(self, function: sql.Identifier, tracking_table_name: str) -> sql.Composed:
        """``<events table>_append(events as four arrays, trackings as two)``: the library's
        insert (lock_timeout, EXCLUSIVE table lock, one multi-row INSERT .. RETURNING, a
        NOTIFY) after the tracking rows. Rows come as binary arrays rather than an array
        of composites, which psycopg dumps as escaped text. The NOTIFY names the last id
        written (the library's names none): a follower handed that id knows the commit is
        read and need not look again (see ``feed``)."""
        return sql.SQL(
            "CREATE OR REPLACE FUNCTION {function}("
            "ids {id_type}[], versions bigint[], topics text[], states bytea[], "
            "sources text[], positions bigint[]) "
            "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
            "BEGIN "
            "  IF cardinality(sources) > 0 THEN "
            "    INSERT INTO {schema}.{tracking} (application_name, notification_id) "
            "    SELECT * FROM unnest(sources, positions); "
            "  END IF; "
            "  IF cardinality(ids) > 0 THEN "
            "    SET LOCAL lock_timeout = '{lock_timeout}s'; "
            "    LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE; "
            "    RETURN QUERY INSERT INTO {schema}.{events} "
            "      (originator_id, originator_version, topic, state) "
            "      SELECT * FROM unnest(ids, versions, topics, states) "
            "      RETURNING notification_id; "
            # This session's last id from the sequence: the insert's highest.
            "    PERFORM pg_notify({channel_name}, "
            "      currval(pg_get_serial_sequence({events_name}, 'notification_id'))::text); "
            "  END IF; "
            "END; $BODY$"
        ).format(
            function=function,
            id_type=sql.SQL(self.datastore.originator_id_type),
            schema=sql.Identifier(self.datastore.schema),
            tracking=sql.Identifier(tracking_table_name),
            events=sql.Identifier(self.events_table_name),
            channel_name=sql.Literal(self.channel_name),
            events_name=sql.Literal(
                sql.Identifier(self.datastore.schema, self.events_table_name).as_string()
            ),
            lock_timeout=sql.SQL(str(int(self.datastore.lock_timeout))),
        )

    def is_processed(self, tracking: Tracking) -> bool:
        with self.datastore.transaction(commit=False) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT 1 FROM {} WHERE application_name = %s AND notification_id = %s"
                ).format(sql.Identifier(self.tracking_table_name)),
                (tracking.application_name, tracking.notification_id),
            )
            return cur.fetchone() is not None

    @property
    def queued(self) -> int:
        """Requests waiting for a group."""
        with self._queue_lock:
            return len(self._queue) - self._writing

    @property
    def writing(self) -> int:
        """Groups being written (0 or 1)."""
        return 1 if self._writing else 0

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        tracking: Tracking | None = kwargs.get("tracking")
        if not stored_events and tracking is None:
            return None
        write = _Write(stored_events, tracking)
        with self._queue_lock:
            self._queue.append(write)
            leads = len(self._queue) == 1
        if not leads:
            write.wake.acquire()  # written by a leader, or first in the queue now
        if not write.done:
            self._lead()
        if write.error is not None:
            raise write.error
        return write.ids

    def _lead(self) -> None:
        """Write the group at the head of the queue (the caller's request first), then
        wake its callers and the next leader, if any caller is still queued."""
        with self._queue_lock:
            group = [self._queue[0]]
            size = len(group[0].events)
            for write in itertools.islice(self._queue, 1, None):
                if size + len(write.events) > self.max_group:
                    break
                group.append(write)
                size += len(write.events)
            self._writing = len(group)
        try:
            with self._write_lock:
                self._write_group(group)  # never raises: each caller gets its own outcome
        finally:
            with self._queue_lock:
                for _ in group:
                    self._queue.popleft()
                self._writing = 0
                following = self._queue[0] if self._queue else None
            for write in group:
                write.done = True
            for write in group[1:]:
                write.wake.release()
            if following is not None:
                following.wake.release()

    def stop_writers(self) -> None:
        """Give back the writers' connection once the group being written is written (a
        later write takes a new one)."""
        with self._write_lock:
            self._drop_writer_connection()

    def _write_group(self, group: list[_Write]) -> None:
        if len(group) > 1:
            try:
                ids = self._append(group)
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
                write.ids = self._append([write])
            except BaseException as exc:
                write.error = exc
            self.groups += 1
            self.grouped_requests += 1

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _append(self, group: list[_Write]) -> list[int]:
        """One statement, one transaction (autocommit): the group's tracking rows and
        events, through the append function."""
        events = [e for w in group for e in w.events]
        trackings = [w.tracking for w in group if w.tracking is not None]
        conn = self._writer_connection()
        try:
            with conn.cursor() as curs:
                curs.execute(
                    self.append_statement,
                    (
                        [e.originator_id for e in events],
                        [e.originator_version for e in events],
                        [e.topic for e in events],
                        [e.state for e in events],
                        [t.application_name for t in trackings],
                        [t.notification_id for t in trackings],
                    ),
                    binary=True,
                )
                ids = [row["id"] for row in curs.fetchall()]
        except psycopg.Error as exc:
            if conn.broken or conn.closed:
                self._drop_writer_connection()
            raise persistence_error(exc) from exc
        if len(ids) != len(events):
            raise RuntimeError(f"group insert returned {len(ids)} ids for {len(events)} events")
        return ids

    def _writer_connection(self) -> psycopg.Connection[Any]:
        """The writers' connection, kept from group to group: taking one from the pool
        for each group would add the pool's check (a round trip) to every commit. A
        broken one is given back (the pool discards it) and replaced on the next try."""
        if self._connection is None:
            try:
                pool = self.datastore.pool
                pool.open(self.datastore.pool_open_timeout is not None, 30.0)
                self._connection = pool.getconn()
            except psycopg.Error as exc:
                raise persistence_error(exc) from exc
        return self._connection

    def _drop_writer_connection(self) -> None:
        conn, self._connection = self._connection, None
        if conn is not None:
            with contextlib.suppress(Exception):
                self.datastore.pool.putconn(conn)


#: A pooled connection not taken for this long is checked before it is handed out again.
CHECK_AFTER_IDLE_S = 5.0


class CheckWhenIdle:
    """The pool's check of a connection it hands out (a round trip: ``OMS_PG_PRE_PING``),
    only for one that was not taken for ``idle_s``: a new one, or one that waited in the
    pool long enough for the server or a firewall to have dropped it. Checking every
    checkout cost about 12 CPU ms per order across the processes and PostgreSQL (a third
    of the statements some services send), for connections used a moment before. One the
    server dropped between two quick uses fails that use, as it would between the check
    and the query: reads answer 503 once, writes, relays, consumers and projections retry.

    Installed on the pool eventsourcing's datastore builds (psycopg_pool takes its check
    only at construction, and the datastore passes the check-everything one)."""

    def __init__(
        self, idle_s: float = CHECK_AFTER_IDLE_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.idle_s = idle_s
        self.clock = clock
        self.checks = 0
        self._taken: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, conn: psycopg.Connection[Any]) -> None:
        now = self.clock()
        with self._lock:
            last = self._taken.get(conn)
            self._taken[conn] = now
            if last is not None and now - last < self.idle_s:
                return
            self.checks += 1
        ConnectionPool.check_connection(conn)

    @classmethod
    def install(cls, datastore: PostgresDatastore) -> None:
        if datastore.pre_ping:
            datastore.pool._check = cls()


class MemoryProcessRecorder(POPOProcessRecorder):
    """eventsourcing's in-memory process recorder with exact tracking: a (source, position)
    is refused only when that very pair was recorded, as in PostgreSQL (the library's
    in-memory recorder refuses any position not above the highest seen, which would drop
    events that arrive out of position order)."""

    def __init__(self) -> None:
        super().__init__()
        self._tracked: set[tuple[str, int]] = set()

    def _assert_tracking_uniqueness(self, tracking: Tracking) -> None:
        if (tracking.application_name, tracking.notification_id) in self._tracked:
            raise IntegrityError(
                f"tracking {tracking.application_name}@{tracking.notification_id} exists"
            )

    def _insert_tracking(self, tracking: Tracking) -> None:
        self._tracked.add((tracking.application_name, tracking.notification_id))
        highest = self._max_tracking_ids[tracking.application_name]
        if highest is None or tracking.notification_id > highest:
            self._max_tracking_ids[tracking.application_name] = tracking.notification_id

    def is_processed(self, tracking: Tracking) -> bool:
        with self._database_lock:
            return (tracking.application_name, tracking.notification_id) in self._tracked


_PERSISTENCE_ERRORS: tuple[tuple[type[psycopg.Error], type[PersistenceError]], ...] = (
    (psycopg.InterfaceError, InterfaceError),
    (psycopg.OperationalError, OperationalError),
    (psycopg.DataError, DataError),
    (psycopg.IntegrityError, IntegrityError),
    (psycopg.InternalError, InternalError),
    (psycopg.ProgrammingError, ProgrammingError),
    (psycopg.NotSupportedError, NotSupportedError),
)


def persistence_error(exc: psycopg.Error) -> PersistenceError:
    """The library's error for a psycopg error, as its ``get_connection`` raises it."""
    for raised, ours in _PERSISTENCE_ERRORS:
        if isinstance(exc, raised):
            return ours(str(exc))
    return DatabaseError(str(exc))


#: What a reaction to a consumed event changed: the aggregates to record (their pending
#: events), one aggregate, or nothing.
Changed = Sequence[BaseAggregate[UUID]] | BaseAggregate[UUID] | None

T = TypeVar("T", bound=Aggregate)

#: Reads of one aggregate, one at a time (striped by id): the library fast-forwards its
#: cached copy under a lock but deep-copies it for the caller outside that lock, so a
#: thread copying it while another thread's read fast-forwards it failed with "dictionary
#: changed size during iteration" (a consumer's worker threads reserving the same sku).
_READ_LOCKS = tuple(threading.Lock() for _ in range(64))


def parse_id(value: str | UUID) -> UUID | None:
    """The UUID in ``value``, or None when it is not one (then nothing has that id)."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(value)
    except (ValueError, TypeError, AttributeError):
        return None


class ServiceApplication(Application[UUID]):
    """Base of each service's Application: one method per command (it saves) or reaction
    to a consumed event (it returns what it changed; the kit records it with the event's
    tracking record in one transaction, exactly once). Its recorder is a ProcessRecorder
    with an exact tracking check: PostgreSQL with group commit, or in memory."""

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """The library's environment from what the kit passes only: the library would
        also merge in ``os.environ``, where a stray ``ORDERS_POSTGRES_DBNAME`` or
        ``PERSISTENCE_MODULE`` would silently move the event store (the service's
        Settings are the one door for configuration)."""
        return Environment(name, {**type(self).env, **(env or {})})

    def find(self, cls: type[T], aggregate_id: str | UUID) -> T | None:
        """The aggregate of type ``cls`` with that id, or None (also for an id that is not
        a UUID, or an aggregate of another type)."""
        uid = parse_id(aggregate_id)
        if uid is None:
            return None
        try:
            with _READ_LOCKS[hash(uid) % len(_READ_LOCKS)]:
                aggregate: Aggregate = self.repository.get(uid)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def get(self, cls: type[T], aggregate_id: str | UUID, *, field: str) -> T:
        """:meth:`find`, raising ``NotFound`` naming ``field`` when there is none."""
        aggregate = self.find(cls, aggregate_id)
        if aggregate is None:
            raise NotFound(f"no {cls.__name__.lower()} {aggregate_id}", field=field)
        return aggregate

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

    def close(self) -> None:
        if isinstance(self.recorder, GroupCommitRecorder):
            self.recorder.stop_writers()
        super().close()

    def construct_recorder(self) -> ProcessRecorder:
        factory = self.factory
        datastore = getattr(factory, "datastore", None)
        if not isinstance(datastore, PostgresDatastore):
            return MemoryProcessRecorder()
        # The table names eventsourcing's factory would give.
        prefix = factory.env.name.lower()
        CheckWhenIdle.install(datastore)
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

    def record_reaction(self, changed: Changed, tracking: Tracking) -> list[Recording[UUID]]:
        """Store the pending events of what a reaction ``changed`` and the tracking record of
        the event it reacted to, atomically (exactly once: a repeat fails the tracking
        insert with ``IntegrityError``)."""
        processing: ProcessingEvent[UUID] = ProcessingEvent(tracking=tracking)
        if isinstance(changed, BaseAggregate):
            changed = [changed]
        for aggregate in changed or ():
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        recordings = self._record(processing)
        self._notify(recordings)
        return recordings

    def is_processed(self, tracking: Tracking) -> bool:
        """Whether exactly this (source, position) was applied. Not the library's
        ``has_tracking_id``, which compares with the highest position seen: events from
        different partitions arrive out of position order, and a redriven dead letter
        comes after later ones, yet each must still be applied once."""
        recorder = cast(GroupCommitRecorder | MemoryProcessRecorder, self.recorder)
        return recorder.is_processed(tracking)


A = TypeVar("A", bound=ServiceApplication)


class Positions:
    """Where a follower of the notification log got to (the relay, a read model), as one
    row of the tracking table, the shape the consumer's exactly-once records have: name
    ``relay:<name>`` or ``view:<name>``, position ``notification_id``. A follower's row is
    moved on (updated in place) on every move, inside the caller's transaction when it
    gives its cursor."""

    def __init__(self, app: ServiceApplication) -> None:
        self._app = app
        self._table = sql.Identifier(
            getattr(app.recorder, "tracking_table_name", "notification_tracking")
        )

    def get(self, name: str, cur: Any = None) -> int:
        if cur is None:
            with self._app.datastore.transaction(commit=False) as own:
                return self.get(name, own)
        cur.execute(
            sql.SQL(
                "SELECT max(notification_id) AS position FROM {} WHERE application_name = %s"
            ).format(self._table),
            (name,),
        )
        row = cur.fetchone()
        return int(row["position"]) if row and row["position"] is not None else 0

    def set(self, name: str, position: int, cur: Any = None) -> None:
        if cur is None:
            with self._app.datastore.transaction(commit=True) as own:
                self.set(name, position, own)
            return
        # One statement (it was a delete and an insert): the row is moved where there is
        # one, made where there is none. The caller holds the name's lock (``claim``).
        cur.execute(
            sql.SQL(
                "WITH moved AS (UPDATE {table} SET notification_id = %(position)s "
                "WHERE application_name = %(name)s RETURNING 1) "
                "INSERT INTO {table} (application_name, notification_id) "
                "SELECT %(name)s, %(position)s WHERE NOT EXISTS (SELECT 1 FROM moved)"
            ).format(table=self._table),
            {"name": name, "position": position},
        )

    def claim(self, name: str, cur: Any) -> int:
        """``name``'s position, held for the caller's transaction (a second follower of
        the same name waits, then sees the moved position). Locking the follower's row
        waits for a mover and then reads the row as it moved it (PostgreSQL re-reads a row
        it waited for): one statement. A follower with no row yet takes the name's
        advisory lock (the first ``set`` inserts the row under it) and then looks again,
        so one that was waiting for the insert locks the new row too."""
        if (position := self._lock_row(name, cur)) is not None:
            return position
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (name,))
        position = self._lock_row(name, cur)
        return 0 if position is None else position

    def _lock_row(self, name: str, cur: Any) -> int | None:
        cur.execute(
            sql.SQL("SELECT notification_id FROM {} WHERE application_name = %s FOR UPDATE").format(
                self._table
            ),
            (name,),
        )
        row = cur.fetchone()
        return None if row is None else int(row["notification_id"])


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
        "POSTGRES_PRE_PING": "y" if settings.pg_pre_ping else "n",
        "POSTGRES_LOCK_TIMEOUT": str(settings.pg_lock_timeout_s),
        "POSTGRES_CONNECT_TIMEOUT": "2",
        # One tracking row per (source, position): events from different partitions may
        # arrive out of position order, and a redriven dead letter must still apply.
        "SINGLE_ROW_TRACKING": "n",
        # Tables are created by build_application, one process at a time.
        "CREATE_TABLE": "n",
        # The library's aggregate cache, fast-forwarded from the database on every get
        # (so writes of the service's other process are seen) and deep-copied for the
        # caller: an aggregate is read with the events after its cached version only.
        **(
            {
                "AGGREGATE_CACHE_MAXSIZE": str(settings.aggregate_cache_size),
                "AGGREGATE_CACHE_FASTFORWARD": "y",
            }
            if settings.aggregate_cache_size
            else {}
        ),
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


def memory_env() -> dict[str, str]:
    """The eventsourcing library's environment for the in-memory event store."""
    return {"PERSISTENCE_MODULE": "eventsourcing.popo", "MAPPER_TOPIC": get_topic(MetadataMapper)}


def build_application(cls: type[A], settings: ServiceSettings) -> A:
    """The service's Application on the event store its settings name. On PostgreSQL, its
    own database (database and tables created if missing); creating them is serialised by
    an advisory lock: a service's processes start together, and concurrent CREATE
    statements fail with "tuple concurrently updated"."""
    if cls.name != app_name(settings.service):
        raise ValueError(f"{cls.__name__}.name must be {app_name(settings.service)!r}")
    if settings.event_store == "memory":
        return cls(env=memory_env())
    ensure_database(settings.server_dsn, settings.database)
    app = cls(env=eventsourcing_env(settings))
    with psycopg.connect(settings.service_dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            app.recorder.create_table()  # type: ignore[attr-defined]
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))
    return app

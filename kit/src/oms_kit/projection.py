"""Read models: one ``<Thing>View`` per read model holds its tables, its ``on_<event>``
methods and its ``get_``/``list_`` queries. A runner keeps it up to date in batches, the
rows and the view's position written in one transaction; every view can be cleared and
rebuilt from the event store (``oms replay``)."""

from __future__ import annotations

import inspect
import logging
import threading
import time
import typing
from abc import ABC
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic
from psycopg import Cursor, sql

from oms_kit.eventstore import SCHEMA_LOCK, Positions, ServiceApplication
from oms_kit.feed import NotificationFeed

log = logging.getLogger(__name__)

DictCursor = Cursor[dict[str, Any]]


@dataclass(frozen=True)
class Stored:
    """Where an event sits in the log, and what was stored beside it (actor, correlation)."""

    position: int
    meta: dict[str, str]


class View(ABC):
    """A read model. Subclasses set ``name``, ``tables`` and ``ddl``, and write one
    ``on_<event>(self, cur, event: <DomainEvent>, stored: Stored)`` method per domain event
    they follow: the event's annotated type picks the method (the most specific one in
    the event's class hierarchy, so ``event: Order.Event`` follows every order event that
    has no method of its own). Queries read through :meth:`reading`."""

    name: ClassVar[str]
    #: The tables it owns, cleared on rebuild.
    tables: ClassVar[tuple[str, ...]]
    #: Idempotent DDL creating them.
    ddl: ClassVar[str]

    def __init__(self, app: ServiceApplication) -> None:
        self.app = app
        self._handlers = self._find_handlers()
        self._dispatch: dict[type[Any], Callable[[DictCursor, Any, Stored], None] | None] = {}

    def _find_handlers(self) -> dict[type[Any], Callable[[DictCursor, Any, Stored], None]]:
        handlers: dict[type[Any], Callable[[DictCursor, Any, Stored], None]] = {}
        for attribute, method in inspect.getmembers(type(self), inspect.isfunction):
            if not attribute.startswith("on_"):
                continue
            hints = typing.get_type_hints(method)
            event_type = hints.get("event")
            if not isinstance(event_type, type):
                raise TypeError(f"{type(self).__name__}.{attribute}: annotate its 'event'")
            handlers[event_type] = getattr(self, attribute)
        return handlers

    def handler(self, event_type: type[Any]) -> Callable[[DictCursor, Any, Stored], None] | None:
        """The method that follows events of ``event_type``, or None."""
        if event_type not in self._dispatch:
            own = (self._handlers[k] for k in event_type.__mro__ if k in self._handlers)
            self._dispatch[event_type] = next(own, None)
        return self._dispatch[event_type]

    def create(self, cur: DictCursor) -> None:
        cur.execute(self.ddl)

    def apply(self, cur: DictCursor, event: DomainEventProtocol[UUID], stored: Stored) -> None:
        handler = self.handler(type(event))
        if handler is not None:
            handler(cur, event, stored)

    def clear(self, cur: DictCursor) -> None:
        if self.tables:
            cur.execute(
                sql.SQL("TRUNCATE {}").format(
                    sql.SQL(", ").join(sql.Identifier(t) for t in self.tables)
                )
            )

    @contextmanager
    def reading(self) -> Iterator[DictCursor]:
        """A cursor for the view's queries (a read-only transaction)."""
        with self.app.datastore.transaction(commit=False) as cur:
            yield cur

    @property
    def position_name(self) -> str:
        return f"view:{self.name}"


def create_views(app: ServiceApplication, views: typing.Sequence[View]) -> None:
    """Create the views' tables (idempotent; serialised with the service's other
    processes), so that queries work before the worker has applied anything."""
    if not views:
        return
    with app.datastore.transaction(commit=True) as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        for view in views:
            view.create(cur)


class PositionMoved(RuntimeError):
    """Another runner (or a rebuild) moved the view's position: start over from it."""


class ProjectionRunner:
    """Keeps one view up to date. A batch with no event the view follows (most of a
    service's events are of no use to most of its views) is passed over without a
    transaction: its position is written with the next batch that has one, or once the log
    goes quiet, or at the latest ``save_every_s`` after (a view rereads what it passed
    over after a restart and passes over it again)."""

    #: Longest a passed-over position stays unwritten while events keep coming.
    save_every_s = 1.0

    def __init__(self, app: ServiceApplication, view: View, batch_size: int = 500) -> None:
        self.app = app
        self.view = view
        self.batch_size = batch_size
        self.positions = Positions(app)
        self._expected: int | None = None
        #: The last position passed over and not yet written, and when one was written.
        self._passed: int | None = None
        self._saved_at = time.monotonic()
        self._follows_topic: dict[str, bool] = {}
        create_views(app, [view])
        with app.datastore.transaction(commit=True) as cur:
            if self.positions.claim(view.position_name, cur) == 0:
                # No position: whatever rows there are were not written with one (a
                # rebuild that stopped half-way): start clean.
                view.clear(cur)

    def position(self) -> int:
        return self.positions.get(self.view.position_name)

    def follows(self, topic: str) -> bool:
        """Whether the view follows the stored events of ``topic`` (an event class)."""
        follows = self._follows_topic.get(topic)
        if follows is None:
            try:
                follows = self.view.handler(resolve_topic(topic)) is not None
            except Exception:  # decoding it in apply_batch reports it
                follows = True
            self._follows_topic[topic] = follows
        return follows

    def apply_batch(self, notifications: list[Notification]) -> int:
        """Apply a batch in one transaction; returns the new position. A batch the view
        has no use for is passed over (see the class)."""
        if (
            notifications
            and time.monotonic() - self._saved_at < self.save_every_s
            and not any(self.follows(n.topic) for n in notifications)
        ):
            self._passed = notifications[-1].id
            return self._passed
        mapper = self.app.metadata_mapper
        name = self.view.position_name
        with self.app.datastore.transaction(commit=True) as cur:
            tracked = self.positions.claim(name, cur)
            if self._expected is not None and tracked != self._expected:
                self._expected = self._passed = None
                raise PositionMoved(f"{self.view.name}: tracked position is {tracked}")
            position = tracked
            # Pipeline mode: the row changes go out without waiting for each reply (a read
            # that a view fetches syncs first); any error still aborts the batch.
            with cur.connection.pipeline():
                for notification in notifications:
                    if notification.id <= tracked:
                        continue
                    if not self.follows(notification.topic):
                        # Not decoded: most events of a batch are of no use to a given
                        # view (the orders worker has eight views of one log).
                        position = notification.id
                        continue
                    event, meta = mapper.with_metadata(notification)
                    self.view.apply(cur, event, Stored(notification.id, meta))
                    position = notification.id
                if self._passed is not None:
                    position = max(position, self._passed)
                self.positions.set(name, position, cur)
        self._expected = position
        self._passed = None
        self._saved_at = time.monotonic()
        return position

    def save_passed(self) -> None:
        """Write the position of what was passed over, if any."""
        if self._passed is not None:
            self.apply_batch([])

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Apply everything stored so far; returns how many events were read."""
        read = 0
        position = self.position()
        self._expected, self._passed = position, None
        while True:
            batch = list(
                self.app.recorder.select_notifications(
                    position + 1, self.batch_size, inclusive_of_start=True
                )
            )
            if not batch:
                self.save_passed()
                return read
            position = self.apply_batch(batch)
            read += len(batch)
            if progress:
                progress(len(batch))

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Clear the read model and rebuild it from the first event."""
        with self.app.datastore.transaction(commit=True) as cur:
            self.positions.claim(self.view.position_name, cur)
            self.view.clear(cur)
            self.positions.set(self.view.position_name, 0, cur)
        return self.catch_up(progress)

    def run(self, stop: threading.Event) -> None:
        """Follow the notification log until ``stop`` is set."""
        while not stop.is_set():
            try:
                position = self.position()
                self._expected, self._passed = position, None
                with NotificationFeed(self.app.recorder, position, self.batch_size) as feed:
                    while not stop.is_set():
                        batch = feed.next_batch(timeout=0.5)
                        if batch:
                            self.apply_batch(batch)
                        else:
                            self.save_passed()
            except PositionMoved as exc:
                log.info("%s", exc)
            except Exception:
                log.exception("view %s failed; restarting", self.view.name)
                stop.wait(1.0)

"""Projection runners: read models in the service's own database, updated in batches, with
the rows and the tracking position written in one transaction. Every projection can be
cleared and rebuilt from the event store (``oms replay``)."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from psycopg import Cursor, sql

from oms_kit.eventstore import SCHEMA_LOCK, ServiceApplication
from oms_kit.feed import NotificationFeed

log = logging.getLogger(__name__)

TRACKING_DDL = """
CREATE TABLE IF NOT EXISTS projection_tracking (
    projection text PRIMARY KEY,
    position bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
)
"""

DictCursor = Cursor[dict[str, Any]]


class Projection(ABC):
    """A read model: its tables and how each domain event changes them."""

    name: ClassVar[str]
    #: The tables it owns, cleared on rebuild.
    tables: ClassVar[tuple[str, ...]]

    @abstractmethod
    def create(self, cur: DictCursor) -> None:
        """Create the tables if missing (idempotent DDL)."""

    @abstractmethod
    def apply(
        self,
        cur: DictCursor,
        event: DomainEventProtocol[UUID],
        position: int,
        meta: dict[str, str],
    ) -> None:
        """Change the rows for one event; ignore events it does not care about."""

    def clear(self, cur: DictCursor) -> None:
        if self.tables:
            cur.execute(
                sql.SQL("TRUNCATE {}").format(
                    sql.SQL(", ").join(sql.Identifier(t) for t in self.tables)
                )
            )


class PositionMoved(RuntimeError):
    """Another runner (or a rebuild) moved the tracking position: start over from it."""


class ProjectionRunner:
    def __init__(
        self, app: ServiceApplication, projection: Projection, batch_size: int = 500
    ) -> None:
        self.app = app
        self.projection = projection
        self.batch_size = batch_size
        self._expected: int | None = None
        with app.datastore.transaction(commit=True) as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            cur.execute(TRACKING_DDL)
            projection.create(cur)
            cur.execute(
                "INSERT INTO projection_tracking (projection, position) VALUES (%s, 0) "
                "ON CONFLICT (projection) DO NOTHING",
                (projection.name,),
            )

    def position(self) -> int:
        with self.app.datastore.transaction(commit=False) as cur:
            cur.execute(
                "SELECT position FROM projection_tracking WHERE projection = %s",
                (self.projection.name,),
            )
            row = cur.fetchone()
        return int(row["position"]) if row else 0

    def apply_batch(self, notifications: list[Notification]) -> int:
        """Apply a batch in one transaction; returns the new position."""
        mapper = self.app.metadata_mapper
        with self.app.datastore.transaction(commit=True) as cur:
            cur.execute(
                "SELECT position FROM projection_tracking WHERE projection = %s FOR UPDATE",
                (self.projection.name,),
            )
            row = cur.fetchone()
            tracked = int(row["position"]) if row else 0
            if self._expected is not None and tracked != self._expected:
                self._expected = None
                raise PositionMoved(f"{self.projection.name}: tracked position is {tracked}")
            position = tracked
            # Pipeline mode: the row changes go out without waiting for each reply (a read
            # that a projection fetches syncs first); any error still aborts the batch.
            with cur.connection.pipeline():
                for notification in notifications:
                    if notification.id <= tracked:
                        continue
                    event, meta = mapper.with_metadata(notification)
                    self.projection.apply(cur, event, notification.id, meta)
                    position = notification.id
                cur.execute(
                    "UPDATE projection_tracking SET position = %s, updated_at = now() "
                    "WHERE projection = %s",
                    (position, self.projection.name),
                )
        self._expected = position
        return position

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Apply everything stored so far; returns how many events were read."""
        read = 0
        position = self.position()
        self._expected = position
        while True:
            batch = list(
                self.app.recorder.select_notifications(
                    position + 1, self.batch_size, inclusive_of_start=True
                )
            )
            if not batch:
                return read
            position = self.apply_batch(batch)
            read += len(batch)
            if progress:
                progress(len(batch))

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Clear the read model and rebuild it from the first event."""
        with self.app.datastore.transaction(commit=True) as cur:
            cur.execute(
                "SELECT position FROM projection_tracking WHERE projection = %s FOR UPDATE",
                (self.projection.name,),
            )
            self.projection.clear(cur)
            cur.execute(
                "UPDATE projection_tracking SET position = 0, updated_at = now() "
                "WHERE projection = %s",
                (self.projection.name,),
            )
        return self.catch_up(progress)

    def run(self, stop: threading.Event) -> None:
        """Follow the notification log until ``stop`` is set."""
        while not stop.is_set():
            try:
                position = self.position()
                self._expected = position
                with NotificationFeed(self.app.recorder, position, self.batch_size) as feed:
                    while not stop.is_set():
                        batch = feed.next_batch(timeout=0.5)
                        if batch:
                            self.apply_batch(batch)
            except PositionMoved as exc:
                log.info("%s", exc)
            except Exception:
                log.exception("projection %s failed; restarting", self.projection.name)
                stop.wait(1.0)

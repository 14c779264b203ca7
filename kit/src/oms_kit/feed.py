"""Follow a service's notification log in batches: select what follows the last position
seen; when nothing does, wait on the log's LISTEN/NOTIFY channel (no busy polling).

The library's ``recorder.subscribe`` does the same with a thread that hands notifications
over one by one through a queue; here a batch is one select on the feed's own connection
(the one that listens: no pool checkout and its check per batch) and nothing crosses
threads, which is several microseconds less per event for the relay and the projection
runners. Positions need no extra care: in the default locking mode ids become visible in
order, so "ids after the last seen" never skips one."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import psycopg
from eventsourcing.persistence import ApplicationRecorder, Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql


class NotificationFeed:
    """Notifications after position ``gt``, in order, in batches of at most ``batch_size``."""

    def __init__(self, recorder: ApplicationRecorder, gt: int | None, batch_size: int) -> None:
        assert isinstance(recorder, PostgresApplicationRecorder), (
            "the OMS event store is PostgreSQL"
        )
        self._recorder = recorder
        self._batch_size = batch_size
        self.position = gt or 0
        self._listener: psycopg.Connection[tuple[Any, ...]] | None = None
        #: The last look found nothing and no commit was announced since (see next_batch).
        self._quiet = False
        self._select_statement = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {}.{} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(
            sql.Identifier(recorder.datastore.schema), sql.Identifier(recorder.events_table_name)
        )

    def __enter__(self) -> NotificationFeed:
        pool = self._recorder.datastore.pool
        conninfo = pool.conninfo() if callable(pool.conninfo) else pool.conninfo
        kwargs = (pool.kwargs() if callable(pool.kwargs) else pool.kwargs) or {}
        kwargs = {k: v for k, v in kwargs.items() if k != "row_factory"}
        kwargs.setdefault("connect_timeout", 5)
        # LISTEN before the first select: a commit after it is announced even if it lands
        # between an empty select and the wait.
        self._listener = psycopg.connect(conninfo, **kwargs, autocommit=True)
        self._listener.execute(
            sql.SQL("LISTEN {}").format(sql.Identifier(self._recorder.channel_name))
        )
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def next_batch(self, timeout: float) -> list[Notification]:
        """What follows the last position handed out, up to the batch size; if nothing
        does, wait up to ``timeout`` seconds for a commit and look once more if one came.

        Every commit of events notifies the channel, and the channel is listened to since
        before the first look: so once a look found nothing, only a notification can bring
        anything new. A wait that ends without one needs no look, and neither does the next
        call (the feed is "quiet" until a notification comes): an idle follower asks the
        database nothing at all, however often it is called."""
        if not self._quiet:
            batch = self._select()
            if batch:
                return batch
        if not self._notified(timeout):
            self._quiet = True
            return []
        self._quiet = False
        return self._select()

    def _notified(self, timeout: float) -> bool:
        """Whether a commit was announced, waiting up to ``timeout`` seconds for one."""
        assert self._listener is not None, "use the feed as a context manager"
        return any(True for _ in self._listener.notifies(timeout=timeout, stop_after=1))

    def _drain(self) -> None:
        """Forget the notifications received so far: the select that follows covers their
        commits. (psycopg keeps those that came in with a select's answer; each would
        otherwise end a later wait at once for a select that finds nothing: under load,
        one select per commit per follower however large the batches.)"""
        assert self._listener is not None, "use the feed as a context manager"
        for _ in self._listener.notifies(timeout=0):
            pass

    def _select(self) -> list[Notification]:
        assert self._listener is not None, "use the feed as a context manager"
        self._drain()
        rows = self._listener.execute(
            self._select_statement, (self.position, self._batch_size), binary=True
        ).fetchall()
        batch = [
            Notification(
                id=nid, originator_id=oid, originator_version=version, topic=topic, state=state
            )
            for nid, oid, version, topic, state in rows
        ]
        if batch:
            self.position = batch[-1].id
        return batch

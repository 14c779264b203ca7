"""Follow a service's notification log in batches: select what follows the last position
seen; when nothing does, wait on the log's LISTEN/NOTIFY channel (no busy polling).

The library's ``recorder.subscribe`` does the same with a thread that hands notifications
over one by one through a queue; here a batch is one select on the feed's own connection
(the one that listens: no pool checkout and its check per batch) and nothing crosses
threads, which is several microseconds less per event for the relay and the projection
runners. Positions need no extra care: in the default locking mode ids become visible in
order, so "ids after the last seen" never skips one.

The feeds of one process share what they read (:class:`RecentNotifications`): a service's
views each follow the same log, and after a commit each of them selected the same rows
(eight selects of one commit in the orders worker). The first to look selects; the others
are handed the rows it read, as far as its select covered the log.

Each commit's announcement names its last id (the kit's append function; one without an id,
from another writer, counts as "unknown"). A feed that has handed out every id the
announcements it took named waits for the next one without looking again; so does one whose
own select came back short. Before, every batch was followed by a select that found
nothing: one per follower per commit (twelve of the orders database's fourteen selects per
commit under load)."""

from __future__ import annotations

import bisect
import threading
import weakref
from collections.abc import Iterable
from types import TracebackType
from typing import Any

import psycopg
from eventsourcing.persistence import ApplicationRecorder, Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql


class RecentNotifications:
    """The notifications the feeds of one log in this process read last: every one with
    an id in ``(low, high]`` (a select of "ids after ``a``" that returned rows up to ``b``
    saw every id in ``(a, b]`` there will ever be, ids becoming visible in order), at most
    ``capacity`` of them. Thread-safe: each feed reads in a thread of its own."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._low = self._high = 0
        self._ids: list[int] = []
        self._rows: list[Notification] = []

    def after(self, position: int, limit: int) -> list[Notification] | None:
        """Up to ``limit`` notifications after ``position``, or None when what follows it
        is not known here (the caller selects)."""
        with self._lock:
            if not self._low <= position < self._high:
                return None
            start = bisect.bisect_right(self._ids, position)
            return self._rows[start : start + limit]

    def add(self, position: int, rows: list[Notification]) -> None:
        """What a select of the ids after ``position`` returned (in order, not empty)."""
        with self._lock:
            high = rows[-1].id
            if self._ids and self._low <= position <= self._high:
                # It starts within what is known or right after it: what is new extends it.
                if high > self._high:
                    new = [row for row in rows if row.id > self._high]
                    self._rows += new
                    self._ids += [row.id for row in new]
                    self._high = high
            else:  # nothing known yet, or elsewhere in the log (a view far behind)
                self._rows, self._ids = list(rows), [row.id for row in rows]
                self._low, self._high = position, high
            if len(self._rows) > self.capacity:
                cut = len(self._rows) - self.capacity
                self._low = self._ids[cut - 1]
                del self._rows[:cut], self._ids[:cut]


_RECENT: weakref.WeakKeyDictionary[ApplicationRecorder, RecentNotifications] = (
    weakref.WeakKeyDictionary()
)
_RECENT_LOCK = threading.Lock()


def recent_notifications(recorder: ApplicationRecorder) -> RecentNotifications:
    """The process's shared record of what the feeds of ``recorder``'s log read last."""
    with _RECENT_LOCK:
        recent = _RECENT.get(recorder)
        if recent is None:
            recent = _RECENT[recorder] = RecentNotifications()
        return recent


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
        self._recent = recent_notifications(recorder)
        #: Everything announced so far has been handed out (see next_batch).
        self._quiet = False
        #: The highest id an announcement taken from the channel named; whether anything
        #: may have been committed that no named announcement covers (one that named none
        #: was taken) since this feed's last short select of its own. True at first: what
        #: was committed before the feed listened was announced to nobody.
        self._announced = 0
        self._unnamed = True
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
        before the first look: so once a feed has handed out all that the notifications it
        took announced (a short select of its own, or shared rows reaching the highest id
        announced), only a notification can bring anything new. The next call waits for one
        without looking, and a wait that ends without one needs no look either (the feed is
        "quiet" until a notification comes): an idle follower asks the database nothing at
        all, however often it is called, and a busy one selects once per commit at most."""
        if not self._quiet:
            batch = self._select()
            if batch:
                return batch
        if not self._notified(timeout):
            self._quiet = True
            return []
        self._drain()
        if not self._unnamed and self._announced <= self.position:
            # Announcements of commits already handed out (they can come after the rows).
            self._quiet = True
            return []
        return self._select()

    def _notified(self, timeout: float) -> bool:
        """Whether a commit was announced, waiting up to ``timeout`` seconds for one."""
        assert self._listener is not None, "use the feed as a context manager"
        return self._take(self._listener.notifies(timeout=timeout, stop_after=1)) > 0

    def _drain(self) -> None:
        """Take the notifications received so far: the batch that follows covers their
        commits, or says it does not. (psycopg keeps those that came in with a select's
        answer; each would otherwise end a later wait at once for a select that finds
        nothing: under load, one select per commit per follower however large the
        batches.)"""
        assert self._listener is not None, "use the feed as a context manager"
        self._take(self._listener.notifies(timeout=0))

    def _take(self, notifies: Iterable[psycopg.Notify]) -> int:
        """Note what the announcements name; how many there were."""
        taken = 0
        for notify in notifies:
            taken += 1
            if notify.payload.isdigit():
                self._announced = max(self._announced, int(notify.payload))
            else:
                self._unnamed = True
        return taken

    def _select(self) -> list[Notification]:
        assert self._listener is not None, "use the feed as a context manager"
        # Drained before the shared rows too: the announcements taken say whether they
        # cover every commit announced so far.
        self._drain()
        batch = self._recent.after(self.position, self._batch_size)
        if batch:
            # Another feed's rows: they cover what was announced if they reach its ids.
            self._quiet = not self._unnamed and batch[-1].id >= self._announced
        else:  # not read by another feed of this process yet
            rows = self._listener.execute(
                self._select_statement, (self.position, self._batch_size), binary=True
            ).fetchall()
            batch = [
                Notification(
                    id=nid, originator_id=oid, originator_version=version, topic=topic, state=state
                )
                for nid, oid, version, topic, state in rows
            ]
            # A short answer is everything committed before the drain: all it announced.
            self._quiet = len(batch) < self._batch_size
            if self._quiet:
                self._unnamed = False
            if batch:
                self._recent.add(self.position, batch)
        if batch:
            self.position = batch[-1].id
        return batch

"""The notification feed the relay and the projection runners follow: one select per look,
and a wait on the log's channel when there is nothing to read."""

from __future__ import annotations

from typing import Any

from oms_dev.testing import Stack
from oms_kit.feed import NotificationFeed
from psycopg import sql
from sample.app import orders_app
from test_relay import write_customers


class CountingFeed(NotificationFeed):
    """Counts its selects: the database round trips a follower makes."""

    selects = 0

    def _select(self):  # type: ignore[no-untyped-def]
        self.selects += 1
        return super()._select()


def test_commits_a_look_has_read_do_not_wake_the_feed_again(stack: Stack) -> None:
    app, _ = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    with CountingFeed(app.recorder, app.recorder.max_notification_id(), 100) as feed:
        versions = write_customers(app, customers=5, renames=0)  # five commits, five NOTIFYs
        batch = feed.next_batch(timeout=5.0)
        assert len(batch) == len(versions)
        feed.selects = 0
        # Nothing was committed since, and the look came back short: no look at all, and
        # the wait is not ended by the five notifications the look already covered.
        assert feed.next_batch(timeout=0.3) == []
        assert feed.selects == 0
        # A commit after the look does wake it, and is read.
        write_customers(app, customers=1, renames=0)
        assert len(feed.next_batch(timeout=5.0)) == 1


def test_an_idle_feed_asks_nothing_until_a_commit_is_announced(stack: Stack) -> None:
    app, _ = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    with CountingFeed(app.recorder, app.recorder.max_notification_id(), 100) as feed:
        assert feed.next_batch(timeout=0.1) == []
        looked = feed.selects
        for _ in range(5):  # waits with nothing committed: no look at all
            assert feed.next_batch(timeout=0.1) == []
        assert feed.next_batch(timeout=0.0) == []
        assert feed.selects == looked
        write_customers(app, customers=2, renames=0)
        assert len(feed.next_batch(timeout=0.0)) + len(feed.next_batch(timeout=5.0)) == 2


class SelectingFeed(NotificationFeed):
    """Counts the selects that went to the database."""

    from_database = 0

    def __enter__(self) -> SelectingFeed:
        super().__enter__()
        listener = self._listener
        assert listener is not None
        execute = listener.execute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.from_database += 1
            return execute(*args, **kwargs)

        listener.execute = counted  # type: ignore[method-assign]
        return self


def test_the_feeds_of_one_process_select_a_commit_once_and_then_wait(stack: Stack) -> None:
    app, _ = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    start = app.recorder.max_notification_id()
    with (
        SelectingFeed(app.recorder, start, 100) as first,
        SelectingFeed(app.recorder, start, 100) as second,
    ):
        # Their first looks: nothing yet (what was committed before a feed listened is
        # known only once a select of its own has come back short).
        assert first.next_batch(timeout=0.0) == [] and second.next_batch(timeout=0.0) == []
        first.from_database = second.from_database = 0
        write_customers(app, customers=3, renames=0)
        read = first.next_batch(timeout=5.0)
        assert len(read) == 3 and first.from_database == 1
        assert second.next_batch(timeout=5.0) == read  # handed what the first read
        assert second.from_database == 0
        # The announcements name the commits' last ids: both feeds know they have them.
        assert first.next_batch(timeout=0.3) == [] and second.next_batch(timeout=0.3) == []
        assert (first.from_database, second.from_database) == (1, 0)
        # An announcement naming no id (another writer's) is looked into: once.
        with app.datastore.pool.connection() as other:
            other.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(app.recorder.channel_name)))
            other.commit()
        assert second.next_batch(timeout=5.0) == []
        assert second.next_batch(timeout=0.3) == []
        assert second.from_database == 1


def test_a_feed_handed_rows_still_reads_what_was_committed_before_it_listened(
    stack: Stack,
) -> None:
    app, _ = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    start = app.recorder.max_notification_id()
    write_customers(app, customers=3, renames=0)  # announced before either feed listens
    with SelectingFeed(app.recorder, start, 2) as first:
        assert len(first.next_batch(timeout=5.0)) == 2
        with SelectingFeed(app.recorder, start, 2) as second:
            assert len(second.next_batch(timeout=5.0)) == 2  # handed what the first read
            assert len(second.next_batch(timeout=0.3)) == 1  # and looks for the rest

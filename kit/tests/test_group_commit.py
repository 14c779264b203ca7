"""Group commit in the event store: concurrent writes share one transaction, keep gap-free
notification order, and a conflict fails only the request that caused it."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, Tracking
from helpers import envelope, read_topic, wait_until
from oms_dev.testing import Stack
from oms_kit.eventstore import GroupCommitRecorder, Positions
from oms_kit.relay import OutboxRelay
from sample.app import Customer, OrdersSettings, SampleOrders, orders_app, to_contract


def recorder_of(app: SampleOrders) -> GroupCommitRecorder:
    assert isinstance(app.recorder, GroupCommitRecorder)
    return app.recorder


@contextlib.contextmanager
def events_table_locked(settings: OrdersSettings) -> Iterator[None]:
    """Hold the events table's write lock from another connection, so that the write in
    flight waits and the next requests queue up behind it."""
    with psycopg.connect(settings.service_dsn) as conn:
        conn.execute("LOCK TABLE orders_events IN EXCLUSIVE MODE")
        yield
        conn.rollback()


class Calls:
    """Runs each call in a thread of its own and keeps what it returned or raised."""

    def __init__(self) -> None:
        self.results: dict[str, Any] = {}
        self.errors: dict[str, BaseException] = {}
        self.threads: list[threading.Thread] = []

    def start(self, name: str, call: Callable[[], Any]) -> None:
        def run() -> None:
            try:
                self.results[name] = call()
            except BaseException as exc:
                self.errors[name] = exc

        thread = threading.Thread(target=run, name=name)
        self.threads.append(thread)
        thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), f"{thread.name} still running"


def queue_behind_a_blocked_leader(
    app: SampleOrders, settings: OrdersSettings, calls: Calls, queued: list[tuple[str, Any]]
) -> None:
    """Start a leader that blocks on the table lock, then each of ``queued`` in order, each
    waiting in the queue before the next starts; then release the lock."""
    recorder = recorder_of(app)
    with events_table_locked(settings):
        calls.start("leader", lambda: app.save(Customer(name="leader", email="l@x")))
        wait_until(lambda: recorder.writing and recorder.queued == 0, what="leader writing")
        for n, (name, call) in enumerate(queued, start=1):
            calls.start(name, call)
            wait_until(lambda n=n: recorder.queued == n, what=f"{name} queued")
    calls.join()


def stored_ids(app: SampleOrders) -> list[int]:
    return [n.id for n in app.recorder.select_notifications(1, 100_000)]


def test_sixteen_threads_saving_at_once_land_gap_free_and_each_gets_its_own_ids(
    stack: Stack,
) -> None:
    app, _ = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    recorder = recorder_of(app)
    returned: dict[UUID, list[int]] = {}
    lock = threading.Lock()
    start = threading.Barrier(16)

    def client(n: int) -> None:
        start.wait()
        for i in range(25):
            customers = [Customer(name=f"c{n}-{i}-{k}", email="c@x") for k in range(1 + i % 3)]
            recordings = app.save(*customers)
            with lock:
                for r in recordings:
                    returned.setdefault(r.notification.originator_id, []).append(r.notification.id)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    total = 16 * sum(1 + i % 3 for i in range(25))
    ids = stored_ids(app)
    assert ids == list(range(1, total + 1))  # gap-free, increasing
    by_originator = {n.originator_id: n.id for n in app.recorder.select_notifications(1, 100_000)}
    assert {k: v[0] for k, v in returned.items()} == by_originator  # each caller's own ids
    assert all(len(v) == 1 for v in returned.values())
    assert recorder.grouped_requests == 16 * 25


def test_queued_writes_share_one_transaction(stack: Stack) -> None:
    app, settings = orders_app(stack.pg_dsn, stack.kafka_bootstrap, pg_lock_timeout_s=120)
    recorder = recorder_of(app)
    calls = Calls()
    queued = [
        (f"w{n}", lambda n=n: app.save(Customer(name=f"w{n}", email="w@x"))) for n in range(15)
    ]
    queue_behind_a_blocked_leader(app, settings, calls, queued)

    assert not calls.errors
    assert recorder.groups == 2  # the blocked leader's write, then one group of 15
    assert recorder.grouped_requests == 16
    ids = [calls.results[f"w{n}"][0].notification.id for n in range(15)]
    assert ids == list(range(2, 17))  # queue order is notification order
    assert stored_ids(app) == list(range(1, 17))


def test_a_version_conflict_in_a_group_fails_only_its_own_request(stack: Stack) -> None:
    app, settings = orders_app(stack.pg_dsn, stack.kafka_bootstrap, pg_lock_timeout_s=120)
    cid = app.register("ann")
    first: Customer = app.repository.get(cid)
    second: Customer = app.repository.get(cid)  # the same version, loaded twice
    first.rename("first")
    second.rename("second")
    calls = Calls()
    queued = [
        ("first", lambda: app.save(first)),
        ("other-1", lambda: app.save(Customer(name="bob", email="b@x"))),
        ("second", lambda: app.save(second)),
        ("other-2", lambda: app.save(Customer(name="cy", email="c@x"))),
    ]
    queue_behind_a_blocked_leader(app, settings, calls, queued)

    assert set(calls.errors) == {"second"}
    assert isinstance(calls.errors["second"], IntegrityError)
    assert set(calls.results) == {"leader", "first", "other-1", "other-2"}
    assert app.repository.get(cid).name == "first"
    # 1 register + leader + first + 2 others; the failed group's ids were used up (as with
    # any rolled-back insert), and the retried writes come after them, in queue order.
    ids = stored_ids(app)
    assert len(ids) == 5 and ids == sorted(ids)
    assert [calls.results[n][0].notification.id for n in ("first", "other-1", "other-2")] == ids[2:]


def test_duplicate_tracking_records_in_a_group_are_detected(stack: Stack) -> None:
    app, settings = orders_app(stack.pg_dsn, stack.kafka_bootstrap, pg_lock_timeout_s=120)

    def process(source_position: int, name: str) -> Callable[[], Any]:
        def call() -> Any:
            customer = Customer(name=name, email="p@x")
            return app.record_reaction(customer, Tracking("billing", source_position))

        return call

    process(1, "already-applied")()  # tracking (billing, 1) is stored before the group
    calls = Calls()
    queued = [
        ("p2", process(2, "p2")),
        ("p1-again", process(1, "p1-again")),
        ("p3", process(3, "p3")),
        ("p2-again", process(2, "p2-again")),
        ("tracking-only", lambda: app.record_reaction(None, Tracking("billing", 4))),
    ]
    queue_behind_a_blocked_leader(app, settings, calls, queued)

    assert set(calls.errors) == {"p1-again", "p2-again"}, calls.errors
    assert all(isinstance(e, IntegrityError) for e in calls.errors.values()), calls.errors
    assert app.is_processed(Tracking("billing", 4))
    names = {
        app.repository.get(n.originator_id).name for n in app.recorder.select_notifications(1, 100)
    }
    assert names == {"already-applied", "leader", "p2", "p3"}


@pytest.mark.parametrize("writers", [16])
def test_a_follower_sees_every_group_committed_event(stack: Stack, writers: int) -> None:
    app, settings = orders_app(stack.pg_dsn, stack.kafka_bootstrap, pg_lock_timeout_s=120)
    relay = OutboxRelay(app, settings, to_contract)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    follower = threading.Thread(target=loop.run_until_complete, args=(relay.run(stop),))
    follower.start()
    versions: dict[UUID, int] = {}
    lock = threading.Lock()

    def writer(n: int) -> None:
        for i in range(10):
            cid = app.register(f"w{n}-{i}")
            app.rename(cid, "renamed")
            with lock:
                versions[cid] = 2

    try:
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        last = app.recorder.max_notification_id()
        wait_until(
            lambda: Positions(app).get("relay:kafka") == last, what="follower to relay everything"
        )
    finally:
        loop.call_soon_threadsafe(stop.set)
        follower.join()
        loop.close()
    assert stored_ids(app) == list(range(1, writers * 20 + 1))
    published = {
        (envelope(r)["aggregate_id"], envelope(r)["aggregate_version"])
        for r in read_topic(stack.kafka_bootstrap, "oms.orders.events")
    }
    assert published == {(str(c), v) for c, last in versions.items() for v in (1, last)}

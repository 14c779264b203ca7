"""The outbox relay against a real PostgreSQL and broker: nothing skipped, nothing lost,
order kept per key, even when the relay is killed mid-stream."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path
from uuid import UUID

from helpers import envelope, read_topic, wait_until
from oms_contracts import parse_message
from oms_dev.testing import Stack
from oms_kit.eventstore import Positions
from oms_kit.relay import OutboxRelay
from sample.app import SampleOrders, orders_app, to_contract

PROCESSES = Path(__file__).parent / "sample" / "processes.py"


def start_process(role: str, stack: Stack) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(PROCESSES), role], env={**os.environ, **stack.env()}
    )


def relayed_position(app: SampleOrders) -> int:
    return Positions(app).get("relay:kafka")


def stored_position(app: SampleOrders) -> int:
    return app.recorder.max_notification_id() or 0


def write_customers(app: SampleOrders, customers: int, renames: int) -> dict[UUID, int]:
    """Register customers and rename each ``renames`` times; returns id -> last version."""
    versions: dict[UUID, int] = {}
    for i in range(customers):
        versions[app.register(f"c{i}")] = 1
    for r in range(renames):
        for cid in versions:
            app.rename(cid, f"r{r}")
            versions[cid] += 1
    return versions


def assert_every_event_in_order_per_key(stack: Stack, versions: dict[UUID, int]) -> None:
    seen: dict[str, list[int]] = defaultdict(list)
    for record in read_topic(stack.kafka_bootstrap, "oms.orders.events"):
        data = envelope(record)
        parse_message(record.value)  # a full, valid contract message
        assert record.key == data["aggregate_id"].encode()
        seen[data["aggregate_id"]].append(data["aggregate_version"])
    assert set(seen) == {str(k) for k in versions}
    for cid, last in versions.items():
        delivered = seen[str(cid)]
        first_seen = list(dict.fromkeys(delivered))  # republished repeats come later
        assert first_seen == list(range(1, last + 1)), f"{cid}: {delivered}"


def test_relay_killed_mid_stream_still_delivers_every_event_in_order(stack: Stack) -> None:
    app, _ = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    relay = start_process("relay", stack)
    try:
        versions = write_customers(app, customers=40, renames=5)
        total = stored_position(app)
        # Kill it while it is part-way: something relayed, not yet everything.
        wait_until(lambda: relayed_position(app) > 0, what="relay to start publishing")
        relay.send_signal(signal.SIGKILL)
        relay.wait()
        killed_at = relayed_position(app)
        versions.update(write_customers(app, customers=10, renames=2))
        relay = start_process("relay", stack)
        wait_until(
            lambda: relayed_position(app) == stored_position(app),
            what="relay to catch up after the restart",
        )
    finally:
        relay.send_signal(signal.SIGKILL)
        relay.wait()
    assert total > 0 and killed_at <= total
    assert_every_event_in_order_per_key(stack, versions)


def test_ten_concurrent_writers_and_a_follower_skip_no_event(stack: Stack) -> None:
    app, settings = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    relay = OutboxRelay(app, settings, to_contract)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    follower = threading.Thread(target=loop.run_until_complete, args=(relay.run(stop),))
    follower.start()
    written: dict[UUID, int] = {}
    lock = threading.Lock()

    def writer(n: int) -> None:
        own, _ = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
        versions = write_customers(own, customers=10, renames=4)
        with lock:
            written.update(versions)

    try:
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wait_until(
            lambda: relayed_position(app) == stored_position(app),
            what="follower to relay every event",
        )
    finally:
        loop.call_soon_threadsafe(stop.set)
        follower.join()
    assert len(written) == 100
    published = {
        (envelope(r)["aggregate_id"], envelope(r)["aggregate_version"])
        for r in read_topic(stack.kafka_bootstrap, "oms.orders.events")
    }
    expected = {(str(cid), v) for cid, last in written.items() for v in range(1, last + 1)}
    assert published == expected


def test_private_events_advance_the_position_but_are_not_published(stack: Stack) -> None:
    app, settings = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    cid = app.register("ann")
    customer = app.repository.get(cid)
    customer.add_note("private")
    app.save(customer)
    sent = asyncio.run(OutboxRelay(app, settings, to_contract).republish(0))
    assert sent == 2
    records = read_topic(stack.kafka_bootstrap, "oms.orders.events")
    assert [envelope(r)["event_type"] for r in records] == ["CustomerRegistered"]

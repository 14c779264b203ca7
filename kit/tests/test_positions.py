"""Followers' positions (``Positions``): a position is held for its claimer's transaction;
a second claimer of the same name waits and then reads the position as it was moved, with
or without a row for the name before."""

from __future__ import annotations

import threading
import uuid

from oms_dev.testing import Stack
from oms_kit.eventstore import Positions
from sample.app import SampleOrders, orders_app


def claim_in_thread(
    positions: Positions, app: SampleOrders, name: str, seen: list[int]
) -> threading.Thread:
    def claim() -> None:
        with app.datastore.transaction(commit=True) as cur:
            seen.append(positions.claim(name, cur))

    thread = threading.Thread(target=claim)
    thread.start()
    return thread


def test_a_second_claimer_waits_and_reads_the_moved_position(stack: Stack) -> None:
    app, _ = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    positions = Positions(app)
    for before in (None, 5):  # a follower's first move (no row yet), and a later one
        name = f"view:test-{uuid.uuid4().hex[:8]}"
        if before is not None:
            positions.set(name, before)
        seen: list[int] = []
        with app.datastore.transaction(commit=True) as cur:
            assert positions.claim(name, cur) == (before or 0)
            second = claim_in_thread(positions, app, name, seen)
            second.join(timeout=0.5)
            assert second.is_alive() and seen == []  # held: the second claimer waits
            positions.set(name, 42, cur)
        second.join(timeout=10)
        assert seen == [42]
        assert positions.get(name) == 42

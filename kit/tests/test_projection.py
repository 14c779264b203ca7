"""Projection runner: rows and position in one transaction; a rebuild gives the same rows."""

from __future__ import annotations

import threading
from typing import Any

from helpers import wait_until
from oms_dev.testing import Stack
from oms_kit.context import metadata_scope
from oms_kit.projection import ProjectionRunner
from sample.app import CustomerListView, SampleOrders, orders_app
from test_relay import write_customers


def rows(app: SampleOrders) -> list[dict[str, Any]]:
    return CustomerListView(app).list_names()


def test_a_projection_dropped_and_rebuilt_gives_identical_rows(stack: Stack) -> None:
    app, _ = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    runner = ProjectionRunner(app, CustomerListView(app), batch_size=7)  # batches cut mid-stream
    stop = threading.Event()
    live = threading.Thread(target=runner.run, args=(stop,))
    live.start()
    try:
        with metadata_scope(actor="rep-7"):
            versions = write_customers(app, customers=25, renames=3)
        wait_until(
            lambda: runner.position() == app.recorder.max_notification_id(),
            what="the live runner to catch up",
        )
    finally:
        stop.set()
        live.join()
    before = rows(app)
    assert {r["customer_id"]: r["version"] for r in before} == versions
    assert all(r["name"] == "r2" and r["actor"] == "rep-7" for r in before)

    read = ProjectionRunner(app, CustomerListView(app), batch_size=10).rebuild()

    assert read == sum(versions.values())
    assert rows(app) == before


def test_a_second_runner_does_not_apply_an_event_twice(stack: Stack) -> None:
    app, _ = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    write_customers(app, customers=5, renames=1)
    first = ProjectionRunner(app, CustomerListView(app), batch_size=3)
    second = ProjectionRunner(app, CustomerListView(app), batch_size=4)
    first.catch_up()
    assert second.catch_up() == 0  # starts from the tracked position: nothing left to do
    assert len(rows(app)) == 5

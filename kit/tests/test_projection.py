"""Projection runner: rows and position in one transaction; a rebuild gives the same rows."""

from __future__ import annotations

import threading
from typing import Any

from helpers import wait_until
from oms_dev.testing import Stack
from oms_kit.context import metadata_scope
from oms_kit.projection import DictCursor, ProjectionRunner, Stored, View
from sample.app import Customer, CustomerListView, SampleOrders, orders_app
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


class RenamesView(View):
    """Follows renames only: a customer's registration is of no use to it."""

    name = "renames"
    tables = ()
    ddl = "SELECT 1"

    def __init__(self, app: SampleOrders) -> None:
        super().__init__(app)
        self.applied: list[int] = []

    def on_renamed(self, cur: DictCursor, event: Customer.Renamed, stored: Stored) -> None:
        self.applied.append(stored.position)


def test_a_batch_the_view_has_no_use_for_is_passed_over_and_its_position_written_later(
    stack: Stack,
) -> None:
    app, _ = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    view = RenamesView(app)
    runner = ProjectionRunner(app, view)
    runner.save_every_s = 3600.0  # only the next used batch or the quiet log writes it
    first, second = app.register("a"), app.register("b")

    registrations = list(app.recorder.select_notifications(1, 10))
    assert runner.apply_batch(registrations) == 2
    assert runner.position() == 0  # passed over: no transaction, nothing written

    app.rename(first, "a2")
    rename = list(app.recorder.select_notifications(3, 10))
    assert runner.apply_batch(rename) == 3
    assert (view.applied, runner.position()) == ([3], 3)

    app.rename(second, "b2")
    app.register("c")
    runner.catch_up()  # the rename is applied; the last registration passed over, then written
    assert (view.applied, runner.position()) == ([3, 4], 5)


def test_events_the_view_has_no_use_for_are_not_decoded(stack: Stack) -> None:
    app, _ = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    view = RenamesView(app)
    runner = ProjectionRunner(app, view)
    customer = app.register("a")
    app.rename(customer, "a2")
    app.register("b")
    decoded: list[int] = []
    mapper = app.metadata_mapper
    with_metadata = mapper.with_metadata

    def counted(stored: Any) -> Any:
        decoded.append(stored.id)
        return with_metadata(stored)

    mapper.with_metadata = counted  # type: ignore[method-assign]
    # One batch of three, one of them a rename: only the rename is decoded and applied.
    assert runner.apply_batch(list(app.recorder.select_notifications(1, 10))) == 3
    assert (decoded, view.applied, runner.position()) == ([2], [2], 3)

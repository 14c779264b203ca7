"""Confirmed orders reserve stock and cancelled ones release it, through the inbound
handlers on the kit's exactly-once consumer path (in memory): FEFO allocation, all or
nothing, repeats, events out of order, dead letters."""

from __future__ import annotations

from decimal import Decimal

from inventory_examples import levels, order_cancelled, order_confirmed
from oms_contracts.inventory import (
    PickListCreated,
    StockLevelChanged,
    StockReleased,
    StockReserved,
    StockShortage,
)
from oms_contracts.orders import OrderApproved
from oms_dev.inmemory import ServiceInMemory
from oms_inventory.domain import OrderReservation
from oms_inventory.domain.reservation import CANCELLED, RELEASED

D = Decimal


def test_a_confirmed_order_is_reserved_fefo_all_lines_with_one_pick_list(
    inventory: ServiceInMemory,
) -> None:
    app = inventory.app
    app.receive_stock("A", "W2", "LATE", D(5), "2031-01-01")
    app.receive_stock("A", "W1", "EARLY", D(2), "2030-01-01")
    app.receive_stock("A", "W3", "NO-EXPIRY", D(9))
    app.receive_stock("B", "W1", "B1", D(1))

    assert inventory.deliver(order_confirmed("o-1", ("A", 3), ("B", 1))).status == "applied"

    assert levels(app, "A") == (D(16), D(3), D(13))
    assert levels(app, "B") == (D(1), D(1), D(0))
    (reserved,) = inventory.published(StockReserved)
    assert reserved.order_id == "o-1"
    assert [(a.sku, a.warehouse, a.lot, a.quantity) for a in reserved.allocations] == [
        ("A", "W1", "EARLY", D(2)),
        ("A", "W2", "LATE", D(1)),
        ("B", "W1", "B1", D(1)),
    ]
    (created,) = inventory.published(PickListCreated)
    (pick_list,) = app.pick_lists_of("o-1")
    assert created.pick_list_id == str(pick_list.id)
    assert created.lines == reserved.allocations
    assert pick_list.status == "open"
    assert [(x.sku, x.lot, x.quantity) for x in pick_list.lines] == [
        ("A", "EARLY", D(2)),
        ("A", "LATE", D(1)),
        ("B", "B1", D(1)),
    ]
    assert [(e.sku, e.reserved) for e in inventory.published(StockLevelChanged)[-2:]] == [
        ("A", D(3)),
        ("B", D(1)),
    ]


def test_a_repeated_event_and_the_same_order_confirmed_again_change_nothing(
    inventory: ServiceInMemory,
) -> None:
    app = inventory.app
    app.receive_stock("A", "W1", "L1", D(5))
    confirmed = order_confirmed("o-1", ("A", 3))
    assert inventory.deliver(confirmed, position=7).status == "applied"
    before = app.recorder.max_notification_id()

    # The same message redelivered (same source position), then the order confirmed again
    # later (a new position: e.g. after it was put on hold and approved again).
    assert inventory.deliver(confirmed, position=7).status == "duplicate"
    assert inventory.deliver(confirmed, position=8).status == "applied"

    assert app.recorder.max_notification_id() == before
    assert levels(app, "A") == (D(5), D(3), D(2))
    assert len(app.pick_lists_of("o-1")) == 1
    assert len(inventory.published(StockReserved)) == 1


def test_a_shortage_reserves_nothing_names_the_sku_and_a_later_repeat_tries_again(
    inventory: ServiceInMemory,
) -> None:
    app = inventory.app
    app.receive_stock("A", "W1", "L1", D(5))
    app.receive_stock("B", "W1", "L1", D(1))

    assert inventory.deliver(order_confirmed("o-1", ("A", 2), ("B", 2))).status == "applied"
    assert inventory.published(StockShortage) == [
        StockShortage(order_id="o-1", sku="B", requested=D(2), available=D(1))
    ]
    assert inventory.published(StockReserved) == []
    assert levels(app, "A") == (D(5), D(0), D(5))
    assert app.pick_lists_of("o-1") == []

    app.receive_stock("B", "W1", "L2", D(1))
    assert inventory.deliver(order_confirmed("o-1", ("A", 2), ("B", 2))).status == "applied"
    assert len(inventory.published(StockReserved)) == 1
    assert levels(app, "A") == (D(5), D(2), D(3))
    assert levels(app, "B") == (D(2), D(2), D(0))
    assert len(app.pick_lists_of("o-1")) == 1


def test_a_sku_never_received_is_a_shortage_of_all_it_asks(inventory: ServiceInMemory) -> None:
    inventory.deliver(order_confirmed("o-1", ("GHOST", 2)))
    assert inventory.published(StockShortage) == [
        StockShortage(order_id="o-1", sku="GHOST", requested=D(2), available=D(0))
    ]


def test_one_order_after_another_never_reserves_more_than_is_available(
    inventory: ServiceInMemory,
) -> None:
    app = inventory.app
    app.receive_stock("HOT", "W1", "L1", D(3), "2030-01-01")
    app.receive_stock("HOT", "W2", "L2", D(2))
    outcomes = [inventory.deliver(order_confirmed(f"o-{i}", ("HOT", 1))) for i in range(8)]
    assert {o.status for o in outcomes} == {"applied"}
    assert [e.order_id for e in inventory.published(StockReserved)] == [f"o-{i}" for i in range(5)]
    assert [e.order_id for e in inventory.published(StockShortage)] == ["o-5", "o-6", "o-7"]
    assert levels(app, "HOT") == (D(5), D(5), D(0))


def test_a_cancel_releases_the_reservation_and_cancels_the_open_pick_list(
    inventory: ServiceInMemory,
) -> None:
    app = inventory.app
    app.receive_stock("A", "W1", "L1", D(10))
    inventory.deliver(order_confirmed("o-1", ("A", 4)))

    assert inventory.deliver(order_cancelled("o-1", "customer asked")).status == "applied"

    assert levels(app, "A") == (D(10), D(0), D(10))
    (released,) = inventory.published(StockReleased)
    assert (released.order_id, released.reason) == ("o-1", "customer asked")
    assert [(a.lot, a.quantity) for a in released.allocations] == [("L1", D(4))]
    (pick_list,) = app.pick_lists_of("o-1")
    assert pick_list.status == "cancelled"
    order = app.find(OrderReservation, OrderReservation.create_id("o-1"))
    assert order is not None and order.status == RELEASED

    # The cancel again, and the order confirmed again later: nothing changes.
    before = app.recorder.max_notification_id()
    assert inventory.deliver(order_cancelled("o-1")).status == "applied"
    assert inventory.deliver(order_confirmed("o-1", ("A", 4))).status == "applied"
    assert app.recorder.max_notification_id() == before
    assert levels(app, "A") == (D(10), D(0), D(10))


def test_a_cancel_that_arrives_before_the_confirmation_keeps_the_order_from_reserving(
    inventory: ServiceInMemory,
) -> None:
    app = inventory.app
    app.receive_stock("A", "W1", "L1", D(10))

    assert inventory.deliver(order_cancelled("o-1"), position=9).status == "applied"
    assert inventory.deliver(order_confirmed("o-1", ("A", 4)), position=8).status == "applied"

    assert levels(app, "A") == (D(10), D(0), D(10))
    assert app.pick_lists_of("o-1") == []
    assert inventory.published(StockReserved) == []
    assert inventory.published(StockReleased) == []  # there was nothing to release
    order = app.find(OrderReservation, OrderReservation.create_id("o-1"))
    assert order is not None and order.status == CANCELLED


def test_an_order_with_a_quantity_of_nothing_goes_to_the_dead_letters_changing_nothing(
    inventory: ServiceInMemory,
) -> None:
    app = inventory.app
    app.receive_stock("A", "W1", "L1", D(10))
    before = app.recorder.max_notification_id()

    outcome = inventory.deliver(order_confirmed("o-1", ("A", 2), ("B", 0)))

    assert outcome.status == "dead-letter"
    assert outcome.dead_letter is not None
    assert "InvalidQuantity" in outcome.dead_letter.reason
    assert "quantity of B" in outcome.dead_letter.reason
    assert app.recorder.max_notification_id() == before
    assert levels(app, "A") == (D(10), D(0), D(10))


def test_events_inventory_has_no_use_for_are_ignored(inventory: ServiceInMemory) -> None:
    outcome = inventory.deliver(OrderApproved(order_id="o-1", approved_by="ana"))
    assert outcome.status == "ignored"
    assert inventory.published() == []

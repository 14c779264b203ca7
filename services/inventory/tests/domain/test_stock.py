"""Stock and order reservations, given/when/then on the aggregates (no I/O)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from oms_inventory.domain import (
    ExpiryMismatch,
    InvalidQuantity,
    LotLine,
    OrderReservation,
    Shortage,
    Stock,
    allocate,
    demands,
)
from oms_inventory.domain.reservation import RESERVED, SHORT

D = Decimal


def stock_with(sku: str, *lots: tuple[str, str, int, str | None]) -> Stock:
    stock = Stock(sku=sku)
    for warehouse, lot, quantity, expires_on in lots:
        stock.receive(warehouse, lot, D(quantity), expires_on)
    return stock


def test_receiving_into_an_existing_lot_adds_to_it() -> None:
    stock = stock_with("A", ("W1", "L1", 3, "2030-01-01"))
    stock.receive("W1", "L1", D(2))
    assert stock.on_hand == D(5)
    assert [(lot.lot, lot.on_hand) for lot in stock.locations()] == [("L1", D(5))]


def test_receiving_with_another_expiry_into_a_lot_is_refused_naming_the_field() -> None:
    stock = stock_with("A", ("W1", "L1", 3, "2030-01-01"))
    with pytest.raises(ExpiryMismatch) as err:
        stock.receive("W1", "L1", D(2), "2031-01-01")
    assert err.value.field == "expires_on"
    assert stock.on_hand == D(3)


@pytest.mark.parametrize("quantity", [D(0), D(-1), D("NaN")])
def test_receiving_nothing_or_less_is_refused(quantity: Decimal) -> None:
    with pytest.raises(InvalidQuantity):
        Stock(sku="A").receive("W1", "L1", quantity)


def test_every_change_records_the_level_after_it() -> None:
    stock = stock_with("A", ("W1", "L1", 3, None))
    events = stock.collect_events()
    level = events[-1]
    assert isinstance(level, Stock.LevelChanged)
    assert (level.sku, level.on_hand, level.reserved, level.available) == ("A", D(3), D(0), D(3))


def test_allocation_is_first_expiry_first_out_lots_without_expiry_last() -> None:
    stock = stock_with(
        "A",
        ("W2", "NOEXP", 10, None),
        ("W2", "LATE", 2, "2031-06-01"),
        ("W1", "EARLY", 2, "2030-01-01"),
        ("W2", "EARLY-TOO", 2, "2030-01-01"),
    )
    plan = allocate({"A": D(7)}, {"A": stock})
    assert plan == [
        LotLine("A", "W1", "EARLY", D(2), "2030-01-01"),
        LotLine("A", "W2", "EARLY-TOO", D(2), "2030-01-01"),
        LotLine("A", "W2", "LATE", D(2), "2031-06-01"),
        LotLine("A", "W2", "NOEXP", D(1), None),
    ]


def test_allocation_never_takes_what_is_reserved_already() -> None:
    stock = stock_with("A", ("W1", "L1", 3, "2030-01-01"), ("W1", "L2", 3, "2031-01-01"))
    stock.reserve("o-1", [LotLine("A", "W1", "L1", D(2), "2030-01-01")])
    assert allocate({"A": D(2)}, {"A": stock}) == [
        LotLine("A", "W1", "L1", D(1), "2030-01-01"),
        LotLine("A", "W1", "L2", D(1), "2031-01-01"),
    ]


def test_an_order_short_on_one_sku_gets_nothing_and_names_that_sku() -> None:
    a = stock_with("A", ("W1", "L1", 10, None))
    b = stock_with("B", ("W1", "L1", 1, None))
    wanted = demands([("A", D(2)), ("B", D(1)), ("B", D(2))])
    assert wanted == {"A": D(2), "B": D(3)}
    assert allocate(wanted, {"A": a, "B": b}) == Shortage(sku="B", requested=D(3), available=D(1))
    assert allocate({"C": D(1)}, {"C": None}) == Shortage("C", D(1), D(0))
    assert (a.reserved, b.reserved) == (D(0), D(0))


def test_release_gives_back_what_the_order_still_holds() -> None:
    stock = stock_with("A", ("W1", "L1", 5, None))
    stock.reserve("o-1", [LotLine("A", "W1", "L1", D(3))])
    stock.reserve("o-2", [LotLine("A", "W1", "L1", D(1))])
    released = stock.release("o-1")
    assert released == [LotLine("A", "W1", "L1", D(3))]
    assert (stock.reserved, stock.available) == (D(1), D(4))
    assert stock.release("o-1") == []


def test_an_order_is_allocated_again_only_after_a_shortage() -> None:
    order = OrderReservation(order_id="o-1")
    assert order.can_allocate
    order.record_shortage(Shortage("A", D(2), D(1)))
    assert order.status == SHORT and order.can_allocate
    order.reserve([LotLine("A", "W1", "L1", D(2))], "pl-1")
    assert order.status == RESERVED and not order.can_allocate
    assert order.skus == ["A"] and order.pick_list_ids == ["pl-1"]


def test_cancelling_a_reserved_order_records_the_release() -> None:
    order = OrderReservation(order_id="o-1")
    order.reserve([LotLine("A", "W1", "L1", D(2))], "pl-1")
    order.collect_events()
    assert order.cancel("customer", [LotLine("A", "W1", "L1", D(2))])
    (released,) = order.collect_events()
    assert isinstance(released, OrderReservation.Released)
    assert released.reason == "customer"
    assert released.allocations == [LotLine("A", "W1", "L1", D(2)).as_dict()]
    assert not order.can_allocate
    assert not order.cancel("again", [])

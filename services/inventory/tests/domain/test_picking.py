"""Pick lists: confirming what was picked, follow-ups, moved lots (no I/O)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from oms_inventory.domain import (
    InvalidPick,
    LotLine,
    PickedLine,
    PickList,
    PickListClosed,
    Stock,
    plan_pick,
)

D = Decimal


def given_reserved(quantity: int = 5) -> tuple[Stock, PickList]:
    stock = Stock(sku="A")
    stock.receive("W1", "L1", D(3), "2030-01-01")
    stock.receive("W1", "L2", D(3), "2031-01-01")
    stock.receive("W1", "SPARE", D(4), None)
    allocation = stock.plan(D(quantity))
    assert allocation is not None
    stock.reserve("o-1", allocation)
    return stock, PickList.open("o-1", allocation)


def test_a_full_pick_issues_the_reserved_lots_and_leaves_nothing() -> None:
    stock, pick_list = given_reserved()
    lines = [PickedLine("A", "W1", "L1", D(3)), PickedLine("A", "W1", "L2", D(2))]
    plan = plan_pick(pick_list, lines, {"A": stock})
    assert plan.remaining == []
    stock.issue("o-1", plan.picked["A"], plan.released["A"])
    assert (stock.on_hand, stock.reserved, stock.available) == (D(5), D(0), D(5))


def test_a_partial_pick_leaves_the_rest_for_a_follow_up() -> None:
    stock, pick_list = given_reserved()
    plan = plan_pick(pick_list, [PickedLine("A", "W1", "L1", D(2))], {"A": stock})
    assert plan.remaining == [
        LotLine("A", "W1", "L1", D(1), "2030-01-01"),
        LotLine("A", "W1", "L2", D(2), "2031-01-01"),
    ]
    stock.issue("o-1", plan.picked["A"], plan.released["A"])
    assert (stock.on_hand, stock.reserved) == (D(8), D(3))
    assert stock.reserved_for("o-1") == plan.remaining


def test_picking_another_lot_with_enough_available_moves_the_reservation() -> None:
    stock, pick_list = given_reserved()
    plan = plan_pick(pick_list, [PickedLine("A", "W1", "SPARE", D(2))], {"A": stock})
    # The latest-expiring listed lot gives up its reservation first.
    assert plan.released["A"] == [LotLine("A", "W1", "L2", D(2), "2031-01-01")]
    assert plan.remaining == [LotLine("A", "W1", "L1", D(3), "2030-01-01")]
    stock.issue("o-1", plan.picked["A"], plan.released["A"])
    spare = stock.lot("W1", "SPARE")
    assert spare is not None and (spare.on_hand, spare.reserved) == (D(2), D(0))
    assert (stock.on_hand, stock.reserved) == (D(8), D(3))


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ([PickedLine("B", "W1", "L1", D(1))], "lines.0.sku"),
        (
            [PickedLine("A", "W1", "L1", D(3)), PickedLine("A", "W1", "L2", D(3))],
            "lines.1.quantity",
        ),
        ([PickedLine("A", "W1", "L1", D(4))], "lines.0.quantity"),
        ([PickedLine("A", "W1", "NOPE", D(1))], "lines.0.lot"),
        ([PickedLine("A", "W1", "SPARE", D(5))], "lines.0.lot"),
    ],
)
def test_a_pick_that_does_not_fit_is_refused_naming_the_field(
    lines: list[PickedLine], field: str
) -> None:
    stock, pick_list = given_reserved()
    with pytest.raises(InvalidPick) as err:
        plan_pick(pick_list, lines, {"A": stock})
    assert err.value.field == field


def test_a_done_or_cancelled_pick_list_cannot_be_confirmed() -> None:
    stock, pick_list = given_reserved()
    pick_list.confirm([LotLine("A", "W1", "L1", D(1))], "gi-1", None)
    with pytest.raises(PickListClosed):
        plan_pick(pick_list, [PickedLine("A", "W1", "L1", D(1))], {"A": stock})
    _, other = given_reserved()
    assert other.cancel("order cancelled")
    with pytest.raises(PickListClosed):
        other.confirm([], "gi-2", None)
    assert not other.cancel("again")

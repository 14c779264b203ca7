"""Confirming pick lists: goods issues, follow-up lists for what was not picked, moved lots,
the Idempotency-Key of a scanner's retry, refusals naming the field (in memory)."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest
from inventory_examples import levels, order_cancelled, order_confirmed
from oms_contracts.inventory import GoodsIssued, PickListCreated, StockPicked, StockReleased
from oms_dev.inmemory import ServiceInMemory
from oms_inventory.domain import InvalidPick, PickedLine, PickList, PickListClosed, PickListNotFound

D = Decimal


def reserved(inventory: ServiceInMemory, order_id: str, sku: str, quantity: int) -> PickList:
    """The pick list of an order confirmed for ``quantity`` of ``sku``."""
    inventory.deliver(order_confirmed(order_id, (sku, quantity)))
    (pick_list,) = inventory.app.pick_lists_of(order_id)
    assert isinstance(pick_list, PickList)
    return pick_list


def test_a_full_pick_issues_the_goods_and_closes_the_list(inventory: ServiceInMemory) -> None:
    app = inventory.app
    app.receive_stock("A", "W1", "L1", D(3), "2030-01-01")
    app.receive_stock("A", "W1", "L2", D(3), "2031-01-01")
    pick_list = reserved(inventory, "o-1", "A", 5)

    done = app.confirm_pick_list(
        str(pick_list.id),
        [PickedLine("A", "W1", "L1", D(3)), PickedLine("A", "W1", "L2", D(2))],
    )

    assert (done.status, done.follow_up_pick_list_id) == ("done", None)
    assert levels(app, "A") == (D(1), D(0), D(1))
    (issued,) = inventory.published(GoodsIssued)
    assert (issued.goods_issue_id, issued.order_id) == (done.goods_issue_id, "o-1")
    assert [(x.lot, x.quantity, str(x.expires_on)) for x in issued.lines] == [
        ("L1", D(3), "2030-01-01"),
        ("L2", D(2), "2031-01-01"),
    ]
    (picked,) = inventory.published(StockPicked)
    assert (picked.pick_list_id, picked.follow_up_pick_list_id) == (str(pick_list.id), None)
    assert picked.lines == issued.lines
    assert [p.status for p in app.pick_lists_of("o-1")] == ["done"]


def test_partial_picks_leave_follow_up_lists_and_a_pick_from_another_lot_moves_the_reservation(
    inventory: ServiceInMemory,
) -> None:
    app = inventory.app
    app.receive_stock("A", "W1", "L1", D(3), "2030-01-01")
    app.receive_stock("A", "W1", "L2", D(3), "2031-01-01")
    app.receive_stock("A", "W1", "SPARE", D(5))
    first = reserved(inventory, "o-1", "A", 5)

    one = app.confirm_pick_list(str(first.id), [PickedLine("A", "W1", "L1", D(2))])
    assert one.status == "done" and one.follow_up_pick_list_id is not None
    assert levels(app, "A") == (D(9), D(3), D(6))
    _, second = app.pick_lists_of("o-1")
    assert str(second.id) == one.follow_up_pick_list_id
    assert second.follows == str(first.id)
    assert [(x.lot, x.quantity) for x in second.lines] == [("L1", D(1)), ("L2", D(2))]

    # One from a lot not on the list: the latest-expiring listed lot gives up its share.
    two = app.confirm_pick_list(
        str(second.id),
        [PickedLine("A", "W1", "L1", D(1)), PickedLine("A", "W1", "SPARE", D(1))],
    )
    done_first, done_second, third = app.pick_lists_of("o-1")
    assert [p.status for p in (done_first, done_second, third)] == ["done", "done", "open"]
    assert str(third.id) == two.follow_up_pick_list_id
    assert [(x.lot, x.quantity) for x in third.lines] == [("L2", D(1))]
    assert levels(app, "A") == (D(7), D(1), D(6))
    spare = app.get_stock("A").lot("W1", "SPARE")
    assert (spare.on_hand, spare.reserved) == (D(4), D(0))

    issues = inventory.published(GoodsIssued)
    assert [i.goods_issue_id for i in issues] == [one.goods_issue_id, two.goods_issue_id]
    assert [[(x.lot, x.quantity) for x in i.lines] for i in issues] == [
        [("L1", D(2))],
        [("L1", D(1)), ("SPARE", D(1))],
    ]
    picks = inventory.published(StockPicked)
    assert [p.follow_up_pick_list_id for p in picks] == [str(second.id), str(third.id)]
    created = inventory.published(PickListCreated)
    assert [c.pick_list_id for c in created] == [str(first.id), str(second.id), str(third.id)]

    with pytest.raises(PickListClosed):
        app.confirm_pick_list(str(first.id), [PickedLine("A", "W1", "L1", D(1))])


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ([PickedLine("B", "W1", "L1", D(1))], "lines.0.sku"),
        ([PickedLine("A", "W1", "L1", D(3))], "lines.0.quantity"),
        (
            [PickedLine("A", "W1", "L1", D(1)), PickedLine("A", "W1", "L1", D(2))],
            "lines.1.quantity",
        ),
        ([PickedLine("A", "W1", "NONE", D(1))], "lines.0.lot"),
        ([PickedLine("A", "W1", "L1", D(0))], "lines.0.quantity"),
    ],
)
def test_a_pick_that_does_not_fit_is_refused_naming_the_field_and_changes_nothing(
    inventory: ServiceInMemory, lines: list[PickedLine], field: str
) -> None:
    app = inventory.app
    app.receive_stock("A", "W1", "L1", D(5))
    pick_list = reserved(inventory, "o-1", "A", 2)
    before = app.recorder.max_notification_id()

    with pytest.raises(InvalidPick) as refused:
        app.confirm_pick_list(str(pick_list.id), lines)

    assert refused.value.field == field
    assert app.recorder.max_notification_id() == before
    assert levels(app, "A") == (D(5), D(2), D(3))


@pytest.mark.parametrize("pick_list_id", [str(uuid4()), "not-an-id"])
def test_an_unknown_pick_list_is_not_found_naming_it(
    inventory: ServiceInMemory, pick_list_id: str
) -> None:
    with pytest.raises(PickListNotFound) as missing:
        inventory.app.confirm_pick_list(pick_list_id, [PickedLine("A", "W1", "L1", D(1))])
    assert missing.value.field == "pick_list_id"
    with pytest.raises(PickListNotFound):
        inventory.app.get_pick_list(pick_list_id)


def test_an_order_inventory_never_saw_has_no_pick_lists(inventory: ServiceInMemory) -> None:
    assert inventory.app.pick_lists_of("o-unknown") == []


def test_a_confirmation_retried_with_its_idempotency_key_returns_the_first_one(
    inventory: ServiceInMemory,
) -> None:
    app = inventory.app
    app.receive_stock("K", "W1", "L1", D(4))
    pick_list = reserved(inventory, "o-9", "K", 3)
    lines = [PickedLine("K", "W1", "L1", D(2))]

    first = app.confirm_pick_list(str(pick_list.id), lines, "scan-17")
    after_first = app.recorder.max_notification_id()
    again = app.confirm_pick_list(str(pick_list.id), lines, "scan-17")

    assert again == first  # the same goods issue and follow-up list
    assert first.follow_up_pick_list_id is not None
    assert app.recorder.max_notification_id() == after_first
    with pytest.raises(PickListClosed):
        app.confirm_pick_list(str(pick_list.id), lines, "scan-18")
    with pytest.raises(PickListClosed):
        app.confirm_pick_list(str(pick_list.id), lines)
    assert levels(app, "K") == (D(2), D(1), D(1))  # issued once
    assert len(inventory.published(GoodsIssued)) == 1


def test_a_cancel_after_a_partial_pick_releases_only_the_rest_and_cancels_the_follow_up(
    inventory: ServiceInMemory,
) -> None:
    app = inventory.app
    app.receive_stock("A", "W1", "L1", D(10))
    pick_list = reserved(inventory, "o-1", "A", 4)
    app.confirm_pick_list(str(pick_list.id), [PickedLine("A", "W1", "L1", D(1))])
    assert levels(app, "A") == (D(9), D(3), D(6))

    assert inventory.deliver(order_cancelled("o-1", "customer asked")).status == "applied"

    assert levels(app, "A") == (D(9), D(0), D(9))
    (released,) = inventory.published(StockReleased)
    assert released.reason == "customer asked"
    assert [(a.lot, a.quantity) for a in released.allocations] == [("L1", D(3))]
    first, follow_up = app.pick_lists_of("o-1")
    assert (first.status, follow_up.status) == ("done", "cancelled")
    with pytest.raises(PickListClosed):
        app.confirm_pick_list(str(follow_up.id), [PickedLine("A", "W1", "L1", D(1))])
    # A cancelled order confirmed again later reserves nothing.
    inventory.deliver(order_confirmed("o-1", ("A", 4)))
    assert levels(app, "A") == (D(9), D(0), D(9))

"""Orders events through the exactly-once consumer on PostgreSQL: concurrent reservations
of one sku never take more than is there, and a cancel after a partial pick releases the
rest end to end (routes and consumer on the real stack)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from inventory_examples import order_cancelled, order_confirmed, pick_lists, receive, stock_levels
from oms_contracts.inventory import StockReleased, StockReserved, StockShortage
from oms_dev.testing import ServiceOnStack


def test_twenty_concurrent_one_unit_orders_against_five_units_reserve_exactly_five(
    inventory: ServiceOnStack,
) -> None:
    client = inventory.client
    receive(client, "HOT", "W1", "L1", 3)
    receive(client, "HOT", "W2", "L2", 2)
    orders = [order_confirmed(f"o-{i}", ("HOT", 1)) for i in range(20)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(inventory.deliver, orders))
    assert {o.status for o in outcomes} == {"applied"}
    assert len(inventory.published(StockReserved)) == 5
    assert len(inventory.published(StockShortage)) == 15
    assert stock_levels(client, "HOT") == (5, 5, 0)
    stock = client.get("/stock/HOT").json()
    assert [(x["lot"], x["reserved"]) for x in stock["locations"]] == [("L1", 3), ("L2", 2)]


def test_a_cancel_after_a_partial_pick_releases_the_rest_and_closes_the_follow_up(
    inventory: ServiceOnStack,
) -> None:
    client = inventory.client
    receive(client, "A", "W1", "L1", 10)
    assert inventory.deliver(order_confirmed("o-1", ("A", 4))).status == "applied"
    (listed,) = pick_lists(client, "o-1")
    one = {"lines": [{"sku": "A", "quantity": 1, "warehouse": "W1", "lot": "L1"}]}
    picked = client.post(f"/pick-lists/{listed['pick_list_id']}/confirm", json=one)
    assert picked.status_code == 200, picked.text
    assert stock_levels(client, "A") == (9, 3, 6)

    assert inventory.deliver(order_cancelled("o-1", "customer asked")).status == "applied"

    assert stock_levels(client, "A") == (9, 0, 9)
    (released,) = inventory.published(StockReleased)
    assert released.reason == "customer asked"
    assert [(a.lot, a.quantity) for a in released.allocations] == [("L1", 3)]
    first, follow_up = pick_lists(client, "o-1")
    assert (first["status"], follow_up["status"]) == ("done", "cancelled")
    again = client.post(f"/pick-lists/{follow_up['pick_list_id']}/confirm", json=one)
    assert again.status_code == 409
    assert again.json()["title"] == "Pick list is closed"

"""Orders events through the exactly-once consumer on PostgreSQL: concurrent reservations
of one sku never take more than is there, and a cancel after a partial pick releases the
rest end to end (routes and consumer on the real stack)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from inventory_examples import Deliver, order_cancelled, order_confirmed
from oms_contracts.inventory import StockReleased, StockReserved, StockShortage
from oms_kit.service import Service


def receive(client: TestClient, sku: str, warehouse: str, lot: str, quantity: int) -> None:
    body = {"sku": sku, "warehouse": warehouse, "lot": lot, "quantity": quantity}
    assert client.post("/stock/receipts", json=body).status_code == 201


def levels(client: TestClient, sku: str) -> tuple[float, float, float]:
    body = client.get(f"/stock/{sku}").json()
    return body["on_hand"], body["reserved"], body["available"]


def pick_lists(client: TestClient, order_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/pick-lists", params={"order_id": order_id}).json()[
        "items"
    ]
    return items


def published(service: Service, event_type: type[Any]) -> list[Any]:
    app = service.app
    events = (
        service.outbound(app.mapper.to_domain_event(n))
        for n in app.recorder.select_notifications(1, 10_000)
    )
    return [e for e in events if isinstance(e, event_type)]


def test_twenty_concurrent_one_unit_orders_against_five_units_reserve_exactly_five(
    client: TestClient, service: Service, deliver: Deliver
) -> None:
    receive(client, "HOT", "W1", "L1", 3)
    receive(client, "HOT", "W2", "L2", 2)
    orders = [order_confirmed(f"o-{i}", ("HOT", 1)) for i in range(20)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(deliver, orders))
    assert {o.status for o in outcomes} == {"applied"}
    assert len(published(service, StockReserved)) == 5
    assert len(published(service, StockShortage)) == 15
    assert levels(client, "HOT") == (5, 5, 0)
    stock = client.get("/stock/HOT").json()
    assert [(x["lot"], x["reserved"]) for x in stock["locations"]] == [("L1", 3), ("L2", 2)]


def test_a_cancel_after_a_partial_pick_releases_the_rest_and_closes_the_follow_up(
    client: TestClient, service: Service, deliver: Deliver
) -> None:
    receive(client, "A", "W1", "L1", 10)
    assert deliver(order_confirmed("o-1", ("A", 4))).status == "applied"
    (listed,) = pick_lists(client, "o-1")
    one = {"lines": [{"sku": "A", "quantity": 1, "warehouse": "W1", "lot": "L1"}]}
    picked = client.post(f"/pick-lists/{listed['pick_list_id']}/confirm", json=one)
    assert picked.status_code == 200, picked.text
    assert levels(client, "A") == (9, 3, 6)

    assert deliver(order_cancelled("o-1", "customer asked")).status == "applied"

    assert levels(client, "A") == (9, 0, 9)
    (released,) = published(service, StockReleased)
    assert released.reason == "customer asked"
    assert [(a.lot, a.quantity) for a in released.allocations] == [("L1", 3)]
    first, follow_up = pick_lists(client, "o-1")
    assert (first["status"], follow_up["status"]) == ("done", "cancelled")
    again = client.post(f"/pick-lists/{follow_up['pick_list_id']}/confirm", json=one)
    assert again.status_code == 409
    assert again.json()["title"] == "Pick list is closed"

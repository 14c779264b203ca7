"""Purchasing through the inventory routes on the real stack (PostgreSQL): suppliers, a
supplier per sku, purchase orders merged per supplier from the shortages of the orders held
for stock or from chosen confirmed orders, and receiving one: stock into the lot, and the
held orders that now fit reserved, first held first. Figures are worked out here from the
orders and the stock."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from inventory_examples import order_confirmed, pick_lists, receive, stock_levels
from oms_contracts.inventory import StockReserved, StockReturned, StockShortage
from oms_dev.testing import ServiceOnStack
from oms_kit.auth import SALES_REP


def supplier(client: Any, name: str) -> str:
    response = client.post("/suppliers", json={"name": name, "email": f"{name}@example.com"})
    assert response.status_code == 201, response.text
    supplier_id: str = response.json()["supplier_id"]
    return supplier_id


def supplies(client: Any, sku: str, supplier_id: str) -> None:
    response = client.put(f"/stock/{sku}/supplier", json={"supplier_id": supplier_id})
    assert response.status_code == 200, response.text
    assert response.json() == {"sku": sku, "supplier_id": supplier_id}


def per_supplier(items: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    return {
        item["supplier_id"]: {line["sku"]: line["quantity"] for line in item["lines"]}
        for item in items
    }


def test_shortages_of_held_orders_become_one_purchase_order_per_supplier_whose_receipt_releases_them(  # noqa: E501
    inventory: ServiceOnStack,
) -> None:
    client = inventory.client
    north, south = supplier(client, "north"), supplier(client, "south")
    supplier_of = {"A": north, "B": north, "C": south}
    for sku, supplier_id in supplier_of.items():
        supplies(client, sku, supplier_id)
    receive(client, "A", "W1", "L0", 2)
    held = {"o-1": {"A": 5, "C": 1}, "o-2": {"B": 3}}
    inventory.deliver(order_confirmed("o-1", *held["o-1"].items()))  # short of A
    inventory.deliver(order_confirmed("o-2", *held["o-2"].items()))  # short of B
    inventory.deliver(order_confirmed("o-3", ("A", 1)))  # fits: reserved
    assert [e.order_id for e in inventory.published(StockShortage)] == ["o-1", "o-2"]
    available = {sku: stock_levels(client, sku)[2] for sku in ("A", "B", "C")}
    assert available == {"A": 1, "B": 0, "C": 0}
    inventory.catch_up()

    # What the held orders want, less what is available, bought per sku's supplier.
    expected: dict[str, dict[str, float]] = defaultdict(dict)
    for sku in ("A", "B", "C"):
        wanted = sum(lines.get(sku, 0) for lines in held.values())
        expected[supplier_of[sku]][sku] = wanted - available[sku]
    created = client.post("/purchase-orders/from-orders", json={})
    assert created.status_code == 201, created.text
    items = created.json()["items"]
    assert per_supplier(items) == expected == {north: {"A": 4, "B": 3}, south: {"C": 1}}
    assert all(item["status"] == "open" and item["order_ids"] == ["o-1", "o-2"] for item in items)
    inventory.catch_up()
    again = client.post("/purchase-orders/from-orders", json={})
    assert again.status_code == 201 and again.json()["items"] == []  # all on order already
    listed = client.get("/purchase-orders", params={"limit": 1}).json()
    assert [i["purchase_order_id"] for i in listed["items"]] == [items[-1]["purchase_order_id"]]
    rest = client.get("/purchase-orders", params={"cursor": listed["next_cursor"]}).json()
    assert [i["purchase_order_id"] for i in rest["items"]] == [items[0]["purchase_order_id"]]
    assert client.get("/purchase-orders", params={"supplier_id": south}).json()["items"] == [
        i for i in items if i["supplier_id"] == south
    ]
    assert [s["name"] for s in client.get("/suppliers").json()["items"]] == ["south", "north"]

    # North's goods arrive: o-2 fits and is reserved; o-1 now waits for C only.
    to_north = next(i for i in items if i["supplier_id"] == north)
    url = f"/purchase-orders/{to_north['purchase_order_id']}/receive"
    lines = [
        {"sku": "A", "quantity": 4, "warehouse": "W1", "lot": "P-1", "expires_on": "2031-01-01"},
        {"sku": "B", "quantity": 3, "warehouse": "W1", "lot": "P-1"},
    ]
    received = client.post(url, json={"lines": lines})
    assert received.status_code == 200, received.text
    assert received.json()["status"] == "received"
    assert received.json()["reserved_order_ids"] == ["o-2"]
    assert [(e.order_id, e.sku) for e in inventory.published(StockShortage)][-1] == ("o-1", "C")
    assert stock_levels(client, "B") == (3, 3, 0)
    assert stock_levels(client, "A") == (6, 1, 5)  # 2 + 4 on hand, o-3's 1 reserved
    assert client.post(url, json={"lines": lines}).status_code == 409

    # South's arrive: o-1 fits, its A reserved first expiry first (P-1 before L0's none).
    to_south = next(i for i in items if i["supplier_id"] == south)
    url = f"/purchase-orders/{to_south['purchase_order_id']}/receive"
    partial = {"sku": "C", "quantity": 1, "warehouse": "W2", "lot": "P-2"}
    assert client.post(url, json={"lines": [partial]}).json()["reserved_order_ids"] == ["o-1"]
    assert stock_levels(client, "A") == (6, 6, 0)
    reserved = {e.order_id: e for e in inventory.published(StockReserved)}
    assert sorted(reserved) == ["o-1", "o-2", "o-3"]
    assert sorted((a.sku, a.lot, a.quantity) for a in reserved["o-1"].allocations) == [
        ("A", "L0", 1),
        ("A", "P-1", 4),
        ("C", "P-2", 1),
    ]
    assert [p["status"] for p in pick_lists(client, "o-1")] == ["open"]
    inventory.catch_up()
    assert client.post("/purchase-orders/from-orders", json={}).json()["items"] == []
    assert [i["status"] for i in client.get("/purchase-orders").json()["items"]] == [
        "received",
        "received",
    ]


def test_chosen_orders_are_bought_line_by_line_and_bad_requests_are_problems_naming_the_field(
    inventory: ServiceOnStack,
) -> None:
    client = inventory.client
    north = supplier(client, "north")
    supplies(client, "A", north)
    supplies(client, "B", north)
    receive(client, "A", "W1", "L1", 10)
    inventory.deliver(order_confirmed("o-1", ("A", 2), ("B", 1)))  # short of B
    inventory.deliver(order_confirmed("o-2", ("A", 3)))  # reserved
    inventory.deliver(order_confirmed("o-3", ("Z", 1)))  # Z has no supplier

    chosen = client.post("/purchase-orders/from-orders", json={"order_ids": ["o-1", "o-2"]})
    assert chosen.status_code == 201, chosen.text
    (order,) = chosen.json()["items"]
    assert per_supplier([order]) == {north: {"A": 2 + 3, "B": 1}}
    assert order["order_ids"] == ["o-1", "o-2"]
    got = client.get(f"/purchase-orders/{order['purchase_order_id']}").json()
    assert got == order

    def problem(response: Any, status: int, field: str) -> None:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in response.json()["errors"]], response.text

    no_supplier = client.post("/purchase-orders/from-orders", json={"order_ids": ["o-3"]})
    problem(no_supplier, 422, "sku")
    assert "Z" in no_supplier.json()["detail"]
    inventory.catch_up()
    problem(client.post("/purchase-orders/from-orders", json={}), 422, "sku")  # o-3 is held
    problem(
        client.post("/purchase-orders/from-orders", json={"order_ids": ["o-never"]}),
        422,
        "order_ids",
    )
    problem(client.post("/purchase-orders/from-orders", json={"order_ids": []}), 422, "order_ids")
    problem(client.put("/stock/A/supplier", json={"supplier_id": "nobody"}), 422, "supplier_id")
    problem(client.post("/suppliers", json={"name": "x", "email": "not-mail"}), 422, "email")

    url = f"/purchase-orders/{order['purchase_order_id']}/receive"
    line = {"sku": "A", "quantity": 6, "warehouse": "W1", "lot": "P"}
    problem(client.post(url, json={"lines": [line]}), 422, "lines.0.quantity")
    problem(client.post(url, json={"lines": [{**line, "sku": "Q"}]}), 422, "lines.0.sku")
    problem(client.post(url, json={"lines": []}), 422, "lines")
    problem(
        client.post("/purchase-orders/nope/receive", json={"lines": [line]}),
        404,
        "purchase_order_id",
    )
    partial = client.post(url, json={"lines": [{**line, "quantity": 2}]})
    assert partial.json()["status"] == "partially_received"
    assert [(x["sku"], x["received"]) for x in partial.json()["lines"]] == [("A", 2), ("B", 0)]

    rep = inventory.headers(SALES_REP, sales_rep_id="r-1")
    assert (
        client.post("/suppliers", json={"name": "y", "email": "y@x.io"}, headers=rep).status_code
        == 403
    )
    assert client.get("/purchase-orders", headers=rep).status_code == 403


def test_returned_goods_go_back_into_their_lot_and_release_a_held_order(
    inventory: ServiceOnStack,
) -> None:
    client = inventory.client
    receive(client, "A", "W1", "L1", 2, "2030-01-01")
    inventory.deliver(order_confirmed("o-1", ("A", 3)))  # short of A: held
    body = {"sku": "A", "warehouse": "W1", "lot": "L1", "quantity": 1, "reason": "wrong size"}
    returned = client.post("/stock/returns", json={**body, "order_id": "o-0"})
    assert returned.status_code == 201, returned.text
    assert (returned.json()["on_hand"], returned.json()["reserved"]) == (3, 3)  # o-1 fits
    assert [e.order_id for e in inventory.published(StockReserved)] == ["o-1"]
    (event,) = inventory.published(StockReturned)
    assert (event.lot, event.quantity, event.reason, event.order_id) == (
        "L1",
        1,
        "wrong size",
        "o-0",
    )
    assert str(event.expires_on) == "2030-01-01"  # the lot's
    inventory.catch_up()
    (level,) = client.get("/stock", params={"sku_prefix": "A"}).json()["items"]
    assert (level["on_hand"], level["reserved"]) == (3, 3)
    for field, value in (("reason", ""), ("quantity", 0), ("expires_on", "2031-01-01")):
        refused = client.post("/stock/returns", json={**body, field: value})
        assert refused.status_code == 422, field
        assert field in [e["field"] for e in refused.json()["errors"]]
    rep = inventory.headers(SALES_REP, sales_rep_id="r-1")
    assert client.post("/stock/returns", json=body, headers=rep).status_code == 403

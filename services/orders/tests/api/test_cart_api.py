"""A customer user's cart over HTTP on the real PostgreSQL (seed 003): lines with the
catalogue's names and prices and the stock heard from inventory, totals, the saved list,
suggestions from the associated products; kept per user (another user of the same
customer has his own); the checkout with a required Idempotency-Key places one order
waiting for approval with the note (shown on the order), the same key again answers the
same order, an empty cart is 409. Only a customer user has a cart: every other role,
the admin too, 403."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from oms_contracts.inventory import StockLevelChanged
from oms_dev.testing import ServiceOnStack
from oms_kit.auth import ADMIN, BACK_OFFICE, PARTNER, SALES_REP, WAREHOUSE
from oms_kit.auth import CUSTOMER as CUSTOMER_ROLE


def product(client: TestClient, sku: str, name: str, price: str) -> None:
    body = {"sku": sku, "name": name, "unit_price": price, "currency": "BRL", "tax_rate": "0.10"}
    response = client.post("/products", json=body)
    assert response.status_code == 201, response.text


def new_customer(client: TestClient, name: str) -> str:
    body = {
        "name": name,
        "tax_id": f"T-{name}",
        "email": "c@example.com",
        "credit_limit": "100000.00",
        "payment_terms_days": [30],
        "currency": "BRL",
    }
    response = client.post("/customers", json=body)
    assert response.status_code == 201, response.text
    customer_id: str = response.json()["customer_id"]
    return customer_id


def fields(response: Any) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_cart_with_prices_stock_saved_list_and_suggestions(
    client: TestClient, orders: ServiceOnStack
) -> None:
    product(client, "DRL-1", "Furadeira", "300.00")
    product(client, "BIT-6", "Broca 6mm", "8.50")
    product(client, "BIT-8", "Broca 8mm", "9.50")
    product(client, "CASE", "Maleta", "45.00")
    client.put("/products/DRL-1/associated", json={"skus": ["BIT-6", "BIT-8", "CASE"]})
    client.put("/products/BIT-6/associated", json={"skus": ["BIT-8"]})
    orders.deliver(
        StockLevelChanged(
            sku="DRL-1", on_hand=Decimal(12), reserved=Decimal(5), available=Decimal(7)
        ),
        aggregate_id="stock-drl-1",
        aggregate_version=1,
    )
    ana = new_customer(client, "Ana")
    as_ana = orders.headers(CUSTOMER_ROLE, "ana", customer_id=ana)

    empty = ok(client.get("/cart", headers=as_ana))
    assert empty == {
        "lines": [],
        "saved": [],
        "net_total": "0.00",
        "tax_total": "0.00",
        "total": "0.00",
        "currency": "BRL",
        "suggestions": [],
    }

    ok(client.put("/cart/lines/DRL-1", json={"quantity": 2}, headers=as_ana))
    ok(client.put("/cart/lines/BIT-6", json={"quantity": 3}, headers=as_ana))
    ok(client.put("/cart/lines/CASE", json={"quantity": 1}, headers=as_ana))
    cart = ok(client.post("/cart/lines/CASE/save-for-later", headers=as_ana))
    assert cart["lines"] == [
        {
            "sku": "DRL-1",
            "name": "Furadeira",
            "quantity": 2,
            "unit_price": "300.00",
            "net_amount": "600.00",
            "available": 7,
        },
        {
            "sku": "BIT-6",
            "name": "Broca 6mm",
            "quantity": 3,
            "unit_price": "8.50",
            "net_amount": "25.50",
            "available": None,
        },
    ]
    assert cart["saved"] == [{"sku": "CASE", "name": "Maleta"}]
    assert (cart["net_total"], cart["tax_total"], cart["total"]) == ("625.50", "62.55", "688.05")
    # Associated with the lines and not in the cart (a saved product is not in it).
    assert [s["sku"] for s in cart["suggestions"]] == ["BIT-8", "CASE"]

    # The same cart on another device (another token of the same user).
    again = ok(client.get("/cart", headers=orders.headers(CUSTOMER_ROLE, "ana", customer_id=ana)))
    assert again == cart
    # Another user of the same customer has a cart of his own.
    other = orders.headers(CUSTOMER_ROLE, "ana-buyer-2", customer_id=ana)
    assert ok(client.get("/cart", headers=other))["lines"] == []

    back = ok(client.post("/cart/saved/CASE/move-to-cart", headers=as_ana))
    assert [(line["sku"], line["quantity"]) for line in back["lines"]] == [
        ("DRL-1", 2),
        ("BIT-6", 3),
        ("CASE", 1),
    ]
    removed = ok(client.put("/cart/lines/BIT-6", json={"quantity": 0}, headers=as_ana))
    assert [line["sku"] for line in removed["lines"]] == ["DRL-1", "CASE"]
    assert [s["sku"] for s in removed["suggestions"]] == ["BIT-6", "BIT-8"]


def test_the_cart_refuses_bad_input_naming_the_field(
    client: TestClient, orders: ServiceOnStack
) -> None:
    product(client, "BIT-6", "Broca 6mm", "8.50")
    ana = orders.headers(CUSTOMER_ROLE, "ana", customer_id=new_customer(client, "Ana"))
    negative = client.put("/cart/lines/BIT-6", json={"quantity": -1}, headers=ana)
    assert (negative.status_code, fields(negative)) == (422, ["quantity"])
    no_quantity = client.put("/cart/lines/BIT-6", json={}, headers=ana)
    assert (no_quantity.status_code, fields(no_quantity)) == (422, ["quantity"])
    unknown = client.put("/cart/lines/NOPE", json={"quantity": 1}, headers=ana)
    assert (unknown.status_code, fields(unknown)) == (404, ["sku"])
    not_in_cart = client.post("/cart/lines/BIT-6/save-for-later", headers=ana)
    assert (not_in_cart.status_code, fields(not_in_cart)) == (404, ["sku"])
    not_saved = client.post("/cart/saved/BIT-6/move-to-cart", headers=ana)
    assert (not_saved.status_code, fields(not_saved)) == (404, ["sku"])


def test_checkout_places_one_order_per_key_with_the_note(
    client: TestClient, orders: ServiceOnStack
) -> None:
    product(client, "BIT-6", "Broca 6mm", "8.50")
    product(client, "CASE", "Maleta", "45.00")
    ana_id = new_customer(client, "Ana")
    bob_id = new_customer(client, "Bob")
    ana = orders.headers(CUSTOMER_ROLE, "ana", customer_id=ana_id)
    bob = orders.headers(CUSTOMER_ROLE, "bob", customer_id=bob_id)

    empty = client.post("/cart/checkout", json={}, headers={**ana, "Idempotency-Key": "k-0"})
    assert (empty.status_code, fields(empty)) == (409, ["lines"])

    client.put("/cart/lines/BIT-6", json={"quantity": 4}, headers=ana)
    client.put("/cart/lines/CASE", json={"quantity": 1}, headers=ana)
    client.post("/cart/lines/CASE/save-for-later", headers=ana)
    no_key = client.post("/cart/checkout", json={"note": "x"}, headers=ana)
    assert (no_key.status_code, fields(no_key)) == (422, ["Idempotency-Key"])

    note = "Entregar pela manhã, portão 2"
    keyed = {**ana, "Idempotency-Key": "click-1"}
    first = client.post("/cart/checkout", json={"note": note}, headers=keyed)
    assert first.status_code == 201, first.text
    placed = first.json()
    assert (placed["status"], placed["total"], placed["currency"]) == (
        "pending_approval",
        "37.40",
        "BRL",
    )
    second = client.post("/cart/checkout", json={"note": note}, headers=keyed)
    assert second.status_code == 201, second.text
    assert second.json()["order_id"] == placed["order_id"]
    assert second.headers["idempotent-replay"] == "true"

    order = ok(client.get(f"/orders/{placed['order_id']}", headers=ana))
    assert (order["origin"], order["status"], order["note"]) == ("portal", "pending_approval", note)
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [("BIT-6", 4)]
    cart = ok(client.get("/cart", headers=ana))
    assert (cart["lines"], [s["sku"] for s in cart["saved"]]) == ([], ["CASE"])
    orders.catch_up()
    listed = ok(client.get("/orders", headers=ana))
    assert [item["order_id"] for item in listed["items"]] == [placed["order_id"]]

    # Bob's same key is another request; he reads nothing of Ana's order.
    client.put("/cart/lines/CASE", json={"quantity": 2}, headers=bob)
    bobs = client.post("/cart/checkout", headers={**bob, "Idempotency-Key": "click-1"})
    assert bobs.status_code == 201, bobs.text
    assert bobs.json()["order_id"] != placed["order_id"]
    assert client.get(f"/orders/{placed['order_id']}", headers=bob).status_code == 404
    # Checkout without a body: no note.
    assert ok(client.get(f"/orders/{bobs.json()['order_id']}", headers=bob))["note"] is None


def test_only_a_customer_user_has_a_cart(client: TestClient, orders: ServiceOnStack) -> None:
    product(client, "BIT-6", "Broca 6mm", "8.50")
    callers = [
        orders.headers(ADMIN, "root"),
        orders.headers(BACK_OFFICE, "maria"),
        orders.headers(SALES_REP, "rita", sales_rep_id="rep-a"),
        orders.headers(WAREHOUSE, "wes"),
        orders.headers(PARTNER, "partner-x", partner_id="p-1"),
    ]
    for headers in callers:
        for method, path, body in (
            ("GET", "/cart", None),
            ("PUT", "/cart/lines/BIT-6", {"quantity": 1}),
            ("POST", "/cart/lines/BIT-6/save-for-later", None),
            ("POST", "/cart/saved/BIT-6/move-to-cart", None),
            ("POST", "/cart/checkout", {}),
        ):
            answer = client.request(
                method, path, json=body, headers={**headers, "Idempotency-Key": "k"}
            )
            assert answer.status_code == 403, (headers, method, path, answer.text)

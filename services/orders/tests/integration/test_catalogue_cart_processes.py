"""End to end: orders and inventory as processes (api and worker each) on the dev stack.
Stock received at inventory reaches the catalogue as heard by orders (its worker consumes
StockLevelChanged) in the product, the search and the cart; a customer user's checkout
sent twice with the same Idempotency-Key (a double click) places one order, waiting for
approval with his note; once the back office approves it, inventory reserves the stock and
the catalogue hears that too, and the next order's lines say what was available when they
were entered."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import httpx
from oms_dev.testing import Stack, running_services, wait_until
from oms_kit.auth import CUSTOMER


def test_availability_heard_from_inventory_and_a_double_clicked_checkout(
    stack: Stack, tmp_path: Path
) -> None:
    with contextlib.ExitStack() as clients:
        running = clients.enter_context(running_services(stack, ["orders", "inventory"], tmp_path))
        orders_url, inventory_url = running.url("orders"), running.url("inventory")

        def client(base_url: str, auth: httpx.Auth) -> httpx.Client:
            return clients.enter_context(httpx.Client(base_url=base_url, timeout=10, auth=auth))

        admin = client(orders_url, running.admin.auth)
        stock = client(inventory_url, running.admin.auth)
        admin.post(
            "/products",
            json={
                "sku": "BIT-6",
                "name": "Broca 6mm",
                "unit_price": "8.50",
                "currency": "BRL",
                "tax_rate": "0.10",
            },
        ).raise_for_status()
        customer_id = admin.post(
            "/customers",
            json={
                "name": "Ana",
                "tax_id": "T-ANA",
                "email": "ana@example.com",
                "credit_limit": "10000.00",
                "payment_terms_days": [30],
                "currency": "BRL",
            },
        ).json()["customer_id"]
        ana = client(orders_url, running.create_user(CUSTOMER, "ana", customer_id=customer_id).auth)
        assert ana.get("/products/BIT-6").json()["available"] is None

        stock.post(
            "/stock/receipts",
            json={"sku": "BIT-6", "warehouse": "SP", "lot": "L1", "quantity": 40},
        ).raise_for_status()

        def level() -> tuple[Any, Any, Any]:
            product = ana.get("/products/BIT-6").json()
            return product["on_hand"], product["reserved"], product["available"]

        wait_until(lambda: level() == (40, 0, 40), what="the received stock heard by orders")
        found = wait_until(
            lambda: ana.get("/products", params={"q": "broca"}).json()["items"],
            what="the product in the catalogue search",
        )
        assert [(p["sku"], p["available"]) for p in found] == [("BIT-6", 40)]

        ana.put("/cart/lines/BIT-6", json={"quantity": 15}).raise_for_status()
        cart = ana.get("/cart").json()
        assert [(line["sku"], line["available"]) for line in cart["lines"]] == [("BIT-6", 40)]

        key = {"Idempotency-Key": "checkout-click-1"}
        note = {"note": "Deliver to gate 2"}
        first = ana.post("/cart/checkout", json=note, headers=key)
        second = ana.post("/cart/checkout", json=note, headers=key)
        assert (first.status_code, second.status_code) == (201, 201), second.text
        order_id = first.json()["order_id"]
        assert second.json()["order_id"] == order_id
        assert first.json()["status"] == "pending_approval"
        listed = wait_until(
            lambda: ana.get("/orders").json()["items"], what="the order in the customer's list"
        )
        assert [item["order_id"] for item in listed] == [order_id]
        order = ana.get(f"/orders/{order_id}").json()
        assert (order["origin"], order["note"], order["total"]) == (
            "portal",
            "Deliver to gate 2",
            "140.25",
        )
        assert ana.get("/cart").json()["lines"] == []

        assert [line["available_at_entry"] for line in order["lines"]] == [40]

        admin.post(f"/orders/{order_id}/approve").raise_for_status()
        wait_until(lambda: level() == (40, 15, 25), what="the reservation heard by orders")
        # The next order's answer says what was available when it was entered (40 - 15).
        placed = admin.post(
            "/orders",
            json={"customer_id": customer_id, "lines": [{"sku": "BIT-6", "quantity": 30}]},
        )
        assert placed.status_code == 201, placed.text
        assert [line["available_at_entry"] for line in placed.json()["lines"]] == [25]

"""The orders API on the real PostgreSQL: what the HTTP layer decides (problem+json naming
the field, 404, 409, the Idempotency-Key, the token's subject as the actor in the history)
and the order list with its filters, cursor and totals per status. The rules themselves
are checked in memory (tests/application); who may see and do what in test_access_api.py.
Requests are the back office's (maria) unless they send other headers."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from oms_contracts.billing import InvoiceIssued
from oms_dev.testing import ServiceOnStack
from oms_kit.auth import BACK_OFFICE, SALES_REP
from oms_orders.domain.pricing import LineRequest


def new_customer(client: TestClient, credit_limit: str = "1000.00", **extra: Any) -> str:
    response = client.post(
        "/customers",
        json={
            "name": "Ana Lopez",
            "tax_id": "ES123",
            "email": "ana@example.com",
            "credit_limit": credit_limit,
            "payment_terms_days": [30, 60],
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    customer_id: str = response.json()["customer_id"]
    return customer_id


def new_product(client: TestClient, sku: str = "SKU-1", price: str = "10.00", **extra: Any) -> None:
    response = client.post(
        "/products",
        json={
            "sku": sku,
            "name": f"Product {sku}",
            "unit_price": price,
            "currency": "BRL",
            "tax_rate": "0.21",
            **extra,
        },
    )
    assert response.status_code == 201, response.text


def place(
    client: TestClient,
    customer_id: str,
    quantity: int = 1,
    origin: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": customer_id,
        "lines": [{"sku": "SKU-1", "quantity": quantity}],
    }
    if origin:
        body["origin"] = origin
    response = client.post("/orders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def problem_fields(response: Any) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in response.json().get("errors", [])]


def test_customers_and_products_are_registered_and_validated(client: TestClient) -> None:
    customer_id = new_customer(client, sales_rep_id="rep-7", language="es")
    got = client.get(f"/customers/{customer_id}").json()
    assert got["credit_limit"] == "1000.00"
    assert (got["currency"], got["language"]) == ("BRL", "es")  # the company's currency
    assert got["open_balance"] == "0.00"
    assert got["payment_terms_days"] == [30, 60]
    bad = client.post(
        "/customers",
        json={
            "name": " ",
            "tax_id": "T",
            "email": "not-an-email",
            "credit_limit": "-1",
            "payment_terms_days": [0],
            "language": "fr",
            "currency": "euro",
        },
    )
    assert bad.status_code == 422
    assert {"name", "email", "credit_limit", "payment_terms_days.0", "language", "currency"} <= set(
        problem_fields(bad)
    )
    new_product(client)
    assert client.get("/products/SKU-1").json()["unit_price"] == "10.00"
    again = client.post(
        "/products",
        json={"sku": "SKU-1", "name": "x", "unit_price": "1", "currency": "BRL", "tax_rate": "0"},
    )
    assert again.status_code == 409
    assert client.get("/products/NOPE").status_code == 404
    assert client.get("/customers/nope").status_code == 404


def test_placement_and_a_credit_hold_approved_once_the_limit_allows_it(
    client: TestClient,
) -> None:
    new_product(client)
    customer_id = new_customer(client, credit_limit="100.00")
    confirmed = place(client, customer_id, quantity=2)
    assert (confirmed["status"], confirmed["total"], confirmed["net_total"]) == (
        "confirmed",
        "24.20",
        "20.00",
    )
    assert confirmed["lines"][0]["quantity"] == 2
    assert confirmed["lines"][0]["net_amount"] == "20.00"
    assert place(client, customer_id, origin="portal")["status"] == "pending_approval"
    held = place(client, customer_id, quantity=9)  # 108.90 > 100.00
    assert held["status"] == "on_hold"
    assert "credit" in held["status_reason"]
    assert client.get(f"/orders/{held['order_id']}").json()["status"] == "on_hold"

    response = client.post(f"/orders/{held['order_id']}/approve")
    assert response.status_code == 409
    assert response.json()["title"] == "Credit limit exceeded"
    assert "credit" in response.json()["detail"]
    assert problem_fields(response) == ["credit"]
    raised = client.patch(f"/customers/{customer_id}", json={"credit_limit": "200.00"})
    assert raised.status_code == 200
    assert client.post(f"/orders/{held['order_id']}/approve").json()["status"] == "confirmed"


def test_amounts_too_large_to_round_are_422_naming_the_field_not_500(
    client: TestClient,
) -> None:
    """Found by the reliability suite's schemathesis run: a credit limit of 1.8e307 made
    rounding to cents raise (a 500)."""
    customer_id = new_customer(client)
    new_product(client)
    huge = 1.887237159074258e307
    bad = client.post(
        "/customers",
        json={"name": "X", "tax_id": "p", "email": "a@b.example", "credit_limit": huge},
    )
    assert bad.status_code == 422 and problem_fields(bad) == ["credit_limit"]
    patched = client.patch(f"/customers/{customer_id}", json={"credit_limit": huge})
    assert patched.status_code == 422 and problem_fields(patched) == ["credit_limit"]
    product = client.post(
        "/products",
        json={
            "sku": "BIG",
            "name": "Big",
            "unit_price": huge,
            "currency": "BRL",
            "tax_rate": "0.21",
        },
    )
    assert product.status_code == 422 and problem_fields(product) == ["unit_price"]
    order = client.post(
        "/orders",
        json={"customer_id": customer_id, "lines": [{"sku": "SKU-1", "quantity": huge}]},
    )
    assert order.status_code == 422 and problem_fields(order) == ["lines.0.quantity"]


def test_the_same_idempotency_key_again_places_no_second_order(
    client: TestClient, catch_up: Callable[[], None]
) -> None:
    """A client retrying after a lost response (its API process was killed) must not
    double the order."""
    customer_id = new_customer(client)
    new_product(client)
    first = place(client, customer_id, 2, headers={"Idempotency-Key": "retry-1"})
    again = client.post(
        "/orders",
        json={"customer_id": customer_id, "lines": [{"sku": "SKU-1", "quantity": 2}]},
        headers={"Idempotency-Key": "retry-1"},
    )
    assert again.status_code == 201 and again.headers["idempotent-replay"] == "true"
    assert again.json()["order_id"] == first["order_id"]
    other = place(client, customer_id, 2, headers={"Idempotency-Key": "retry-2"})
    assert other["order_id"] != first["order_id"]
    catch_up()
    listed = client.get("/orders", params={"customer_id": customer_id}).json()["items"]
    assert sorted(o["order_id"] for o in listed) == sorted([first["order_id"], other["order_id"]])


def test_bad_orders_are_422_naming_the_field(client: TestClient) -> None:
    new_product(client)
    new_product(client, sku="SKU-USD", currency="USD")
    customer_id = new_customer(client)

    def post(body: dict[str, Any]) -> list[str]:
        response = client.post("/orders", json=body)
        assert response.status_code == 422, response.text
        return problem_fields(response)

    line = {"sku": "SKU-1", "quantity": 1}
    assert post({"customer_id": "nobody", "lines": [line]}) == ["customer_id"]
    assert post({"customer_id": customer_id, "lines": [line, {"sku": "X", "quantity": 1}]}) == [
        "lines.1.sku"
    ]
    assert post({"customer_id": customer_id, "lines": [{"sku": "SKU-1", "quantity": 0}]}) == [
        "lines.0.quantity"
    ]
    assert post({"customer_id": customer_id, "lines": [{"sku": "SKU-USD", "quantity": 1}]}) == [
        "lines.0.sku"
    ]
    both = {**line, "discount_percent": "5", "discount_amount": "1.00"}
    assert post({"customer_id": customer_id, "lines": [both]}) == ["lines.0.discount_amount"]
    assert post({"customer_id": customer_id, "lines": [line], "origin": "fax"}) == ["origin"]


def test_approve_and_cancel_with_their_conflicts(client: TestClient) -> None:
    new_product(client)
    customer_id = new_customer(client)
    pending = place(client, customer_id, origin="rep")["order_id"]
    approved = client.post(f"/orders/{pending}/approve")
    assert approved.status_code == 200
    assert approved.json()["status"] == "confirmed"
    assert client.post(f"/orders/{pending}/approve").status_code == 409
    cancelled = client.post(f"/orders/{pending}/cancel", json={"reason": "customer asked"})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert client.post(f"/orders/{pending}/cancel", json={"reason": "again"}).status_code == 409
    assert client.post("/orders/nope/approve").status_code == 404


def test_history_lists_every_change_with_the_subject_of_its_token(
    client: TestClient, orders: ServiceOnStack
) -> None:
    """The actor is the token's subject; what another service's event changed shows
    ``service:<name>``."""
    new_product(client)
    customer_id = new_customer(client, sales_rep_id="rep-7")
    joao = orders.headers(SALES_REP, "joao", sales_rep_id="rep-7")
    order_id = place(client, customer_id, headers=joao)["order_id"]
    assert client.post(f"/orders/{order_id}/approve").status_code == 200
    invoice = InvoiceIssued(
        invoice_id="inv-1",
        number="F-1",
        order_id=order_id,
        customer_id=customer_id,
        currency="BRL",
        lines=[],
        net_total=Decimal("5.00"),
        tax_total=Decimal("0"),
        total=Decimal("5.00"),
    )
    assert orders.deliver(invoice).status == "applied"
    items = client.get(f"/orders/{order_id}/history").json()["items"]
    assert [(i["event_type"], i["actor"]) for i in items] == [
        ("OrderPlaced", "joao"),
        ("OrderApproved", "maria"),
        ("OrderConfirmed", "maria"),
        ("InvoiceRecorded", "service:billing"),
    ]
    assert items[0]["data"]["total"] == "12.10"
    assert items[0]["data"]["status"] == "pending_approval"
    assert items[0]["data"]["origin"] == "rep"
    assert items[1]["data"]["approved_by"] == "maria"
    assert items[0]["occurred_at"] <= items[3]["occurred_at"]
    assert client.get("/orders/nope/history").status_code == 404


def test_a_cancellation_is_recorded_with_its_reason_and_actor(
    client: TestClient, orders: ServiceOnStack
) -> None:
    new_product(client)
    order_id = place(client, new_customer(client))["order_id"]
    cancelled = client.post(
        f"/orders/{order_id}/cancel",
        json={"reason": "duplicate"},
        headers=orders.headers(BACK_OFFICE, "li"),
    )
    assert cancelled.status_code == 200
    last = client.get(f"/orders/{order_id}/history").json()["items"][-1]
    assert (last["event_type"], last["actor"], last["data"]["reason"]) == (
        "OrderCancelled",
        "li",
        "duplicate",
    )


def test_the_order_list_filters_pages_and_totals_by_status(
    client: TestClient, orders: ServiceOnStack, catch_up: Callable[[], None]
) -> None:
    new_product(client)
    ana = new_customer(client)
    bob = new_customer(client)
    placed = [place(client, ana, quantity=q) for q in (1, 2, 3)]  # confirmed
    placed.append(place(client, bob, quantity=4, origin="portal"))  # pending_approval
    client.post(f"/orders/{placed[0]['order_id']}/cancel", json={"reason": "x"})
    catch_up()

    everything = client.get("/orders").json()
    assert [i["order_id"] for i in everything["items"]] == [o["order_id"] for o in reversed(placed)]
    assert everything["next_cursor"] is None
    assert everything["totals_by_status"] == {
        "cancelled": {"count": 1, "total": "12.10"},
        "confirmed": {"count": 2, "total": "60.50"},
        "pending_approval": {"count": 1, "total": "48.40"},
    }
    newest = everything["items"][0]
    assert (newest["customer_id"], newest["status"], newest["total"], newest["origin"]) == (
        bob,
        "pending_approval",
        "48.40",
        "portal",
    )
    assert (newest["currency"], newest["invoice_numbers"], newest["external_order_id"]) == (
        "BRL",
        [],
        None,
    )
    first = client.get("/orders", params={"limit": 2}).json()
    assert len(first["items"]) == 2
    assert first["totals_by_status"] == everything["totals_by_status"]
    second = client.get("/orders", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["order_id"] for i in first["items"] + second["items"]] == [
        i["order_id"] for i in everything["items"]
    ]
    assert second["next_cursor"] is None

    of_ana = client.get("/orders", params={"customer_id": ana, "status": "confirmed"}).json()
    assert {i["order_id"] for i in of_ana["items"]} == {o["order_id"] for o in placed[1:3]}
    assert of_ana["totals_by_status"] == {"confirmed": {"count": 2, "total": "60.50"}}
    from_portal = client.get("/orders", params={"origin": "portal"}).json()
    assert [i["order_id"] for i in from_portal["items"]] == [placed[3]["order_id"]]
    issued_at = everything["items"][0]["issued_at"]
    today = issued_at[:10]
    assert len(client.get("/orders", params={"issued_from": today}).json()["items"]) == 4
    assert client.get("/orders", params={"issued_to": "2000-01-01"}).json()["items"] == []
    assert len(client.get("/orders", params={"issued_from": issued_at}).json()["items"]) == 1
    assert len(client.get("/orders", params={"issued_to": today}).json()["items"]) == 4

    # Orders from elsewhere (a marketplace) are found by their id there.
    imported = orders.app.place_order(
        customer_id=ana,
        lines=[LineRequest(sku="SKU-1", quantity=Decimal(1))],
        origin="marketplace",
        external_order_id="AMZ-114-1",
    )
    catch_up()
    by_external = client.get("/orders", params={"external_order_id": "AMZ-114-1"}).json()
    assert [(i["order_id"], i["external_order_id"]) for i in by_external["items"]] == [
        (imported.order_id, "AMZ-114-1")
    ]
    assert by_external["totals_by_status"] == {"pending_approval": {"count": 1, "total": "12.10"}}
    detail = client.get(f"/orders/{imported.order_id}").json()
    assert (detail["origin"], detail["external_order_id"]) == ("marketplace", "AMZ-114-1")

    bad = client.get("/orders", params={"cursor": "garbage"})
    assert bad.status_code == 422
    assert problem_fields(bad) == ["cursor"]
    assert problem_fields(client.get("/orders", params={"limit": 0})) == ["limit"]
    assert problem_fields(client.get("/orders", params={"issued_from": "yesterday"})) == [
        "issued_from"
    ]
    assert problem_fields(client.get("/orders", params={"issued_to": "2025-13-01"})) == [
        "issued_to"
    ]

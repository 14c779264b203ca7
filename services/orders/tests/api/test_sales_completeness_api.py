"""Sales completeness over HTTP on the real PostgreSQL (DESIGN section 15): the credit check
with unbilled orders (two placements at the same moment), price lists applied at entry,
the stock available at entry, the quote list and the order list's due dates. Requests are
the back office's (maria) unless they send other headers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient
from oms_dev.testing import ServiceOnStack
from oms_kit.auth import CUSTOMER, SALES_REP

D = Decimal
CENT = D("0.01")


def new_customer(client: TestClient, credit_limit: str = "100000.00", **extra: Any) -> str:
    body = {
        "name": f"Cliente {uuid4().hex[:6]}",
        "tax_id": "T-1",
        "email": "compras@example.com",
        "credit_limit": credit_limit,
        **extra,
    }
    response = client.post("/customers", json=body)
    assert response.status_code == 201, response.text
    customer_id: str = response.json()["customer_id"]
    return customer_id


def new_product(client: TestClient, price: str = "10.00", tax_rate: str = "0.21") -> str:
    sku = f"SKU-{uuid4().hex[:8]}"
    body = {
        "sku": sku,
        "name": f"Product {sku}",
        "unit_price": price,
        "currency": "BRL",
        "tax_rate": tax_rate,
    }
    response = client.post("/products", json=body)
    assert response.status_code == 201, response.text
    return sku


def money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def test_two_large_orders_placed_at_the_same_moment_cannot_both_pass(client: TestClient) -> None:
    sku = new_product(client, price="100.00")
    order_total = D(6) * D("100.00") * D("1.21")  # 726.00
    limit = order_total + order_total / 2
    customer_id = new_customer(client, credit_limit=money(limit))
    body = {"customer_id": customer_id, "lines": [{"sku": sku, "quantity": 6}]}
    start = threading.Barrier(2, timeout=10)
    answers: list[dict[str, Any]] = []

    def place() -> None:
        start.wait()
        response = client.post("/orders", json=body)
        assert response.status_code == 201, response.text
        answers.append(response.json())

    threads = [threading.Thread(target=place) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a["status"] for a in answers) == ["confirmed", "on_hold"]
    [held] = [a for a in answers if a["status"] == "on_hold"]
    assert held["status_reason"] == (
        f"credit limit exceeded: open balance 0.00 + unbilled orders {money(order_total)} "
        f"+ order {money(order_total)} > limit {money(limit)}"
    )
    customer = client.get(f"/customers/{customer_id}").json()
    assert (customer["open_balance"], customer["unbilled_orders"]) == ("0.00", money(order_total))
    # Cancelling the confirmed one gives its amount back: the held one can be released.
    [confirmed] = [a for a in answers if a["status"] == "confirmed"]
    cancelled = client.post(f"/orders/{confirmed['order_id']}/cancel", json={"reason": "dup"})
    assert cancelled.status_code == 200, cancelled.text
    approved = client.post(f"/orders/{held['order_id']}/approve")
    assert (approved.status_code, approved.json()["status"]) == (200, "confirmed")
    customer = client.get(f"/customers/{customer_id}").json()
    assert customer["unbilled_orders"] == money(order_total)


def test_price_lists_are_made_read_given_to_a_customer_and_applied_at_entry(
    client: TestClient, orders: ServiceOnStack, catch_up: Callable[[], None]
) -> None:
    listed_sku, discounted_sku, plain_sku = (new_product(client, price="20.00") for _ in range(3))
    today = datetime.now(UTC).date()
    body = {
        "name": "Atacado",
        "currency": "BRL",
        "valid_from": (today - timedelta(days=1)).isoformat(),
        "valid_to": (today + timedelta(days=30)).isoformat(),
        "items": [
            {"sku": listed_sku, "unit_price": "17.90"},
            {"sku": discounted_sku, "discount_percent": "15"},
        ],
    }
    made = client.post("/price-lists", json=body)
    assert made.status_code == 201, made.text
    price_list_id = made.json()["price_list_id"]
    catch_up()
    rep = orders.headers(SALES_REP, "rita", sales_rep_id="rep-a")
    got = client.get(f"/price-lists/{price_list_id}", headers=rep)
    assert got.status_code == 200, got.text
    assert [(i["sku"], i["unit_price"], i["discount_percent"]) for i in got.json()["items"]] == [
        (listed_sku, "17.90", None),
        (discounted_sku, None, "15"),
    ]
    page = client.get("/price-lists", params={"limit": 1}, headers=rep).json()
    assert [item["price_list_id"] for item in page["items"]] == [price_list_id]
    assert page["items"][0]["item_count"] == 2
    assert client.get(f"/price-lists/{uuid4()}").status_code == 404
    assert client.post("/price-lists", json=body, headers=rep).status_code == 403
    customer_user = orders.headers(CUSTOMER, "ana", customer_id=str(uuid4()))
    assert client.get("/price-lists", headers=customer_user).status_code == 403

    customer_id = new_customer(client, sales_rep_id="rep-a")
    given = client.patch(f"/customers/{customer_id}", json={"price_list_id": price_list_id})
    assert given.status_code == 200, given.text
    assert client.get(f"/customers/{customer_id}").json()["price_list_id"] == price_list_id
    lines = [
        {"sku": listed_sku, "quantity": 2},
        {"sku": discounted_sku, "quantity": 1},
        {"sku": plain_sku, "quantity": 1},
        {"sku": plain_sku, "quantity": 1, "unit_price": "18.00"},
    ]
    expected = [
        ("17.90", "price_list"),
        (money(D("20.00") * (100 - D(15)) / 100), "price_list"),
        ("20.00", "catalogue"),
        ("18.00", "manual"),
    ]
    quote = client.post("/quotes", json={"customer_id": customer_id, "lines": lines}, headers=rep)
    assert quote.status_code == 201, quote.text
    assert [(x["unit_price"], x["price_source"]) for x in quote.json()["lines"]] == expected
    order = client.post("/orders", json={"customer_id": customer_id, "lines": lines})
    assert order.status_code == 201, order.text
    assert [(x["unit_price"], x["price_source"]) for x in order.json()["lines"]] == expected
    net = D(2) * D("17.90") + D(17) + D(20) + D(18)
    assert order.json()["net_total"] == money(net)
    # Nothing heard from inventory about these skus yet.
    assert [x["available_at_entry"] for x in order.json()["lines"]] == [None] * 4


def test_bad_price_lists_are_422_naming_the_field(client: TestClient) -> None:
    sku = new_product(client)
    today = datetime.now(UTC).date()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"items": [{"sku": "NOPE", "unit_price": "1.00"}]}, "items.0.sku"),
        ({"items": [{"sku": sku, "unit_price": "0"}]}, "items.0.unit_price"),
        ({"items": [{"sku": sku, "unit_price": "abc"}]}, "items.0.unit_price"),
        ({"items": [{"sku": sku, "discount_percent": "100.5"}]}, "items.0.discount_percent"),
        ({"currency": "USD"}, "items.0.sku"),
        ({"currency": "reais"}, "currency"),
        (
            {"valid_from": today.isoformat(), "valid_to": (today - timedelta(days=1)).isoformat()},
            "valid_to",
        ),
    ]
    for change, field in cases:
        body = {"name": "L", "currency": "BRL", "items": [{"sku": sku, "unit_price": "9.00"}]}
        refused = client.post("/price-lists", json={**body, **change})
        assert refused.status_code == 422, (change, refused.text)
        assert field in [e["field"] for e in refused.json()["errors"]], (change, refused.text)
    customer_id = new_customer(client)
    refused = client.patch(f"/customers/{customer_id}", json={"price_list_id": str(uuid4())})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["price_list_id"]


def test_quotes_are_listed_by_status_customer_and_issue_date_with_totals(
    client: TestClient, orders: ServiceOnStack, catch_up: Callable[[], None]
) -> None:
    sku = new_product(client, price="10.00", tax_rate="0.10")
    ana, bob = new_customer(client, sales_rep_id="rep-a"), new_customer(client)

    def quote(customer_id: str, quantity: int) -> str:
        body = {"customer_id": customer_id, "lines": [{"sku": sku, "quantity": quantity}]}
        made = client.post("/quotes", json=body)
        assert made.status_code == 201, made.text
        quote_id: str = made.json()["quote_id"]
        return quote_id

    first, second, third = quote(ana, 1), quote(ana, 2), quote(bob, 4)
    assert client.post(f"/quotes/{second}/send").status_code == 200
    catch_up()

    def total(quantity: int) -> str:
        return money(D(quantity) * D("10.00") * D("1.10"))

    listed = client.get("/quotes").json()
    assert [q["quote_id"] for q in listed["items"]] == [third, second, first]
    assert listed["totals_by_status"] == {
        "draft": {"count": 2, "total": money(D(total(1)) + D(total(4)))},
        "sent": {"count": 1, "total": total(2)},
    }
    mine = client.get("/quotes", params={"customer_id": ana, "status": "draft"}).json()
    assert [q["quote_id"] for q in mine["items"]] == [first]
    assert mine["totals_by_status"] == {"draft": {"count": 1, "total": total(1)}}
    today = datetime.now(UTC).date()
    day = {"issued_from": today.isoformat(), "issued_to": today.isoformat()}
    assert len(client.get("/quotes", params=day).json()["items"]) == 3
    yesterday = (today - timedelta(days=1)).isoformat()
    before = client.get("/quotes", params={"issued_to": yesterday}).json()
    assert (before["items"], before["totals_by_status"]) == ([], {})
    # Pages of one, newest first; a rep's list and totals are his portfolio's only.
    page = client.get("/quotes", params={"limit": 1}).json()
    assert [q["quote_id"] for q in page["items"]] == [third]
    after = client.get("/quotes", params={"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [q["quote_id"] for q in after["items"]] == [second]
    rita = orders.headers(SALES_REP, "rita", sales_rep_id="rep-a")
    hers = client.get("/quotes", headers=rita).json()
    assert [q["quote_id"] for q in hers["items"]] == [second, first]
    assert set(hers["totals_by_status"]) == {"draft", "sent"}
    bad = client.get("/quotes", params={"issued_from": "yesterday"})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["issued_from"]
    bad_due = client.get("/orders", params={"due_from": "soon"})
    assert bad_due.status_code == 422
    assert [e["field"] for e in bad_due.json()["errors"]] == ["due_from"]

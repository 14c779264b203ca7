"""Quotes through the API on the real PostgreSQL: draft, revise, duplicate, send, accept
(which places an order with origin "quote"), reject, expire, with their status codes and
the fields they name; the quote list with its filters and cursor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from oms_dev.testing import ServiceOnStack
from oms_kit.auth import BACK_OFFICE


@pytest.fixture
def customer_id(client: TestClient) -> str:
    client.post(
        "/products",
        json={
            "sku": "SKU-1",
            "name": "W",
            "unit_price": "10.00",
            "currency": "BRL",
            "tax_rate": "0.21",
        },
    )
    response = client.post(
        "/customers",
        json={
            "name": "Ana",
            "tax_id": "T",
            "email": "a@example.com",
            "credit_limit": "1000.00",
            "payment_terms_days": [30],
        },
    )
    result: str = response.json()["customer_id"]
    return result


def test_a_quote_is_drafted_revised_sent_and_accepted_into_an_order(
    client: TestClient, customer_id: str
) -> None:
    valid_until = (date.today() + timedelta(days=30)).isoformat()
    created = client.post(
        "/quotes",
        json={
            "customer_id": customer_id,
            "lines": [{"sku": "SKU-1", "quantity": 2, "discount_percent": "10"}],
            "valid_until": valid_until,
        },
    )
    assert created.status_code == 201, created.text
    quote = created.json()
    assert (quote["status"], quote["total"]) == ("draft", "21.78")
    quote_id = quote["quote_id"]
    revised = client.post(
        f"/quotes/{quote_id}/revise", json={"lines": [{"sku": "SKU-1", "quantity": 3}]}
    ).json()
    assert (revised["revision"], revised["total"]) == (2, "36.30")
    assert client.post(f"/quotes/{quote_id}/send").json()["status"] == "sent"
    accepted = client.post(f"/quotes/{quote_id}/accept")
    assert accepted.status_code == 200
    order_id = accepted.json()["order_id"]
    order = client.get(f"/orders/{order_id}").json()
    assert (order["origin"], order["quote_id"], order["status"]) == ("quote", quote_id, "confirmed")
    assert order["total"] == "36.30"
    assert client.get(f"/quotes/{quote_id}").json()["status"] == "accepted"
    assert client.post(f"/quotes/{quote_id}/accept").status_code == 409


def test_duplicate_reject_expire_and_bad_quotes(client: TestClient, customer_id: str) -> None:
    quote_id = client.post(
        "/quotes", json={"customer_id": customer_id, "lines": [{"sku": "SKU-1", "quantity": 1}]}
    ).json()["quote_id"]
    copy = client.post(f"/quotes/{quote_id}/duplicate")
    assert copy.status_code == 201
    assert copy.json()["quote_id"] != quote_id
    assert (copy.json()["status"], copy.json()["duplicated_from"]) == ("draft", quote_id)
    rejected = client.post(f"/quotes/{quote_id}/reject", json={"reason": "too expensive"}).json()
    assert (rejected["status"], rejected["status_reason"]) == ("rejected", "too expensive")
    assert client.post(f"/quotes/{quote_id}/send").status_code == 409
    assert client.post(f"/quotes/{copy.json()['quote_id']}/expire").json()["status"] == "expired"
    assert client.post(f"/quotes/{copy.json()['quote_id']}/accept").status_code == 409
    past = client.post(
        "/quotes",
        json={
            "customer_id": customer_id,
            "lines": [{"sku": "SKU-1", "quantity": 1}],
            "valid_until": "2000-01-01",
        },
    )
    assert past.status_code == 422
    assert past.json()["errors"][0]["field"] == "valid_until"
    unknown = client.post(
        "/quotes", json={"customer_id": customer_id, "lines": [{"sku": "NOPE", "quantity": 1}]}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "lines.0.sku"
    assert client.get("/quotes/nope").status_code == 404


def test_the_same_idempotency_key_again_drafts_no_second_quote(
    client: TestClient, orders: ServiceOnStack, customer_id: str, catch_up: Callable[[], None]
) -> None:
    """A rep's proposal form sent twice (a double click) makes one quote, as an order
    placed twice with one key does; another key, or another caller's same key, is
    another request."""
    body = {"customer_id": customer_id, "lines": [{"sku": "SKU-1", "quantity": 2}]}
    first = client.post("/quotes", json=body, headers={"Idempotency-Key": "form-1"})
    assert first.status_code == 201 and "idempotent-replay" not in first.headers
    again = client.post("/quotes", json=body, headers={"Idempotency-Key": "form-1"})
    assert again.status_code == 201 and again.headers["idempotent-replay"] == "true"
    assert again.json() == first.json()
    # The same key with another body: the quote of the first request, as POST /orders does.
    changed = {**body, "lines": [{"sku": "SKU-1", "quantity": 5}]}
    replayed = client.post("/quotes", json=changed, headers={"Idempotency-Key": "form-1"})
    assert replayed.headers["idempotent-replay"] == "true"
    assert (replayed.json()["quote_id"], replayed.json()["total"]) == (
        first.json()["quote_id"],
        first.json()["total"],
    )
    other = client.post("/quotes", json=body, headers={"Idempotency-Key": "form-2"})
    assert other.status_code == 201 and other.json()["quote_id"] != first.json()["quote_id"]
    colleague = client.post(
        "/quotes",
        json=body,
        headers={"Idempotency-Key": "form-1", **orders.headers(BACK_OFFICE, "joao")},
    )
    assert colleague.status_code == 201 and "idempotent-replay" not in colleague.headers
    # An order placed with the same key is an order, not the quote.
    order = client.post("/orders", json=body, headers={"Idempotency-Key": "form-1"})
    assert order.status_code == 201 and "idempotent-replay" not in order.headers
    catch_up()
    listed = client.get("/quotes", params={"customer_id": customer_id}).json()["items"]
    assert sorted(q["quote_id"] for q in listed) == sorted(
        [first.json()["quote_id"], other.json()["quote_id"], colleague.json()["quote_id"]]
    )


def test_the_quote_list_pages_newest_first_and_filters(
    client: TestClient, customer_id: str, catch_up: Callable[[], None]
) -> None:
    other = client.post(
        "/customers",
        json={
            "name": "Bob",
            "tax_id": "T2",
            "email": "b@example.com",
            "credit_limit": "1000.00",
            "payment_terms_days": [30],
        },
    ).json()["customer_id"]
    line = [{"sku": "SKU-1", "quantity": 1}]
    created = [
        client.post("/quotes", json={"customer_id": owner, "lines": line}).json()["quote_id"]
        for owner in (customer_id, customer_id, other)
    ]
    client.post(f"/quotes/{created[0]}/send")
    accepted = client.post(f"/quotes/{created[0]}/accept").json()["order_id"]
    client.post(f"/quotes/{created[1]}/reject", json={"reason": "too dear"})
    catch_up()

    everything = client.get("/quotes").json()
    assert [q["quote_id"] for q in everything["items"]] == list(reversed(created))
    assert everything["next_cursor"] is None
    first = everything["items"][2]
    assert (first["status"], first["order_id"], first["total"], first["revision"]) == (
        "accepted",
        accepted,
        "12.10",
        1,
    )
    assert everything["items"][1]["status_reason"] == "too dear"
    page = client.get("/quotes", params={"limit": 2}).json()
    rest = client.get("/quotes", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [q["quote_id"] for q in page["items"] + rest["items"]] == list(reversed(created))
    assert rest["next_cursor"] is None
    of_customer = client.get("/quotes", params={"customer_id": customer_id}).json()
    assert [q["quote_id"] for q in of_customer["items"]] == [created[1], created[0]]
    drafts = client.get("/quotes", params={"status": "draft"}).json()
    assert [q["quote_id"] for q in drafts["items"]] == [created[2]]
    bad = client.get("/quotes", params={"cursor": "garbage"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cursor"

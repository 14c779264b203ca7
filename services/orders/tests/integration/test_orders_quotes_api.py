"""Quotes through the API on the real stack: draft, revise, duplicate, send, accept (which
places an order with origin "quote"), reject, expire."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from oms_kit.service import Service
from oms_orders.domain.errors import Conflict


@pytest.fixture
def customer_id(client: TestClient) -> str:
    client.post(
        "/products",
        json={
            "sku": "SKU-1",
            "name": "W",
            "unit_price": "10.00",
            "currency": "EUR",
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
    client: TestClient, customer_id: str, service: Service
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
    public = [
        type(e).__name__
        for n in service.app.recorder.select_notifications(1, 100)
        if (e := service.outbound(service.app.mapper.to_domain_event(n))) is not None
    ]
    assert public[-5:] == [
        "QuoteRevised",
        "QuoteSent",
        "QuoteAccepted",
        "OrderPlaced",
        "OrderConfirmed",
    ]


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


def test_a_quote_past_its_validity_expires_when_sent_or_accepted(
    client: TestClient, customer_id: str, service: Service
) -> None:
    valid_until = date.today() + timedelta(days=2)
    quote_id = client.post(
        "/quotes",
        json={
            "customer_id": customer_id,
            "lines": [{"sku": "SKU-1", "quantity": 1}],
            "valid_until": valid_until.isoformat(),
        },
    ).json()["quote_id"]
    later = valid_until + timedelta(days=1)
    with pytest.raises(Conflict, match="expired"):
        service.app.send_quote(quote_id, today=later)  # type: ignore[attr-defined]
    assert client.get(f"/quotes/{quote_id}").json()["status"] == "expired"
    assert client.post(f"/quotes/{quote_id}/accept").status_code == 409

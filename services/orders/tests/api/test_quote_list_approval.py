"""The quote list after the customer approves a proposal (DESIGN section 14): ``GET
/quotes`` says accepted with the order it became, as ``GET /quotes/{id}`` does, for the
customer and for the back office."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from oms_dev.testing import ServiceOnStack
from oms_kit.auth import CUSTOMER


def test_a_quote_the_customer_approved_is_listed_accepted_with_its_order(
    orders: ServiceOnStack, client: TestClient, catch_up: Callable[[], None]
) -> None:
    client.post(
        "/products",
        json={
            "sku": "APR-1",
            "name": "W",
            "unit_price": "10.00",
            "currency": "BRL",
            "tax_rate": "0.21",
        },
    )
    customer_id = client.post(
        "/customers",
        json={
            "name": "Ana",
            "tax_id": "T-APR",
            "email": "a@example.com",
            "credit_limit": "1000.00",
            "payment_terms_days": [30],
        },
    ).json()["customer_id"]
    drafted = client.post(
        "/quotes", json={"customer_id": customer_id, "lines": [{"sku": "APR-1", "quantity": 2}]}
    )
    assert drafted.status_code == 201, drafted.text
    quote_id = drafted.json()["quote_id"]
    assert client.post(f"/quotes/{quote_id}/send").status_code == 200
    as_ana = orders.headers(CUSTOMER, "ana", customer_id=customer_id)
    catch_up()
    [listed] = client.get("/quotes", headers=as_ana).json()["items"]
    assert (listed["status"], listed["order_id"]) == ("sent", None)

    approved = client.post(f"/quotes/{quote_id}/approve", headers=as_ana)
    assert approved.status_code == 200, approved.text
    order_id = approved.json()["order_id"]
    catch_up()

    detail = client.get(f"/quotes/{quote_id}", headers=as_ana).json()
    assert (detail["status"], detail["order_id"]) == ("accepted", order_id)
    for who, headers in (("the customer", as_ana), ("the back office", {})):
        [listed] = client.get("/quotes", headers=headers).json()["items"]
        assert (listed["quote_id"], listed["status"], listed["order_id"]) == (
            quote_id,
            "accepted",
            order_id,
        ), who
    accepted = client.get("/quotes", params={"status": "accepted"}).json()["items"]
    assert [quote["quote_id"] for quote in accepted] == [quote_id]
    assert client.get("/quotes", params={"status": "sent"}).json()["items"] == []

"""The partner push API on the real PostgreSQL (DESIGN section 13): the same key and body
twice are one order (and one PartnerOrderReceived), another body with that key is 422
naming Idempotency-Key, a key is required, another partner cannot read the order, and
only partners push."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet
from oms_contracts.marketplace_ingest import PartnerOrderReceived
from oms_dev.testing import ServiceOnStack, Stack
from oms_kit.auth import BACK_OFFICE, CUSTOMER, PARTNER
from oms_marketplace_ingest.bootstrap import bootstrap

ORDER: dict[str, Any] = {
    "external_order_id": "PO-1001",
    "lines": [{"sku": "SKU-1", "quantity": 2}, {"sku": "SKU-2", "quantity": 1}],
    "note": "deliver to gate 4",
}


@pytest.fixture
def ingest(stack: Stack) -> Iterator[ServiceOnStack]:
    service = ServiceOnStack(bootstrap, stack, secrets_key=Fernet.generate_key().decode())
    try:
        yield service
    finally:
        service.close()


def partner(ingest: ServiceOnStack, partner_id: str, key: str | None = None) -> dict[str, str]:
    headers = ingest.headers(PARTNER, f"client-{partner_id}", partner_id=partner_id)
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def test_the_same_key_and_body_twice_are_one_order(ingest: ServiceOnStack) -> None:
    first = ingest.client.post("/partner/orders", json=ORDER, headers=partner(ingest, "p1", "k1"))
    again = ingest.client.post(
        "/partner/orders",
        json={"note": ORDER["note"], **ORDER},  # the same body, its keys in another order
        headers=partner(ingest, "p1", "k1"),
    )

    assert first.status_code == again.status_code == 202
    assert (
        first.json() == again.json() == {"order_id": first.json()["order_id"], "status": "received"}
    )
    assert again.headers["idempotent-replay"] == "true"
    assert len(ingest.published(PartnerOrderReceived)) == 1
    shown = ingest.client.get(
        f"/partner/orders/{first.json()['order_id']}", headers=partner(ingest, "p1")
    )
    assert shown.status_code == 200
    assert shown.json() == {"order_id": first.json()["order_id"], "status": "received"}


def test_the_same_key_with_another_body_is_refused(ingest: ServiceOnStack) -> None:
    ingest.client.post("/partner/orders", json=ORDER, headers=partner(ingest, "p1", "k2"))
    other = {**ORDER, "lines": [{"sku": "SKU-1", "quantity": 3}]}

    refused = ingest.client.post("/partner/orders", json=other, headers=partner(ingest, "p1", "k2"))

    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "Idempotency-Key" in refused.text
    assert len(ingest.published(PartnerOrderReceived)) == 1


def test_a_key_is_required(ingest: ServiceOnStack) -> None:
    refused = ingest.client.post("/partner/orders", json=ORDER, headers=partner(ingest, "p1"))

    assert refused.status_code == 422
    assert "Idempotency-Key" in refused.text
    assert ingest.published(PartnerOrderReceived) == []


def test_another_partner_cannot_read_the_order(ingest: ServiceOnStack) -> None:
    pushed = ingest.client.post("/partner/orders", json=ORDER, headers=partner(ingest, "p1", "k3"))
    order_id = pushed.json()["order_id"]

    assert (
        ingest.client.get(f"/partner/orders/{order_id}", headers=partner(ingest, "p2")).status_code
        == 404
    )
    assert (
        ingest.client.get("/partner/orders/not-an-id", headers=partner(ingest, "p1")).status_code
        == 404
    )
    staff = ingest.client.get(f"/partner/orders/{order_id}", headers=ingest.headers(BACK_OFFICE))
    assert staff.status_code == 200
    # The same key of another partner is another request.
    theirs = ingest.client.post("/partner/orders", json=ORDER, headers=partner(ingest, "p2", "k3"))
    assert theirs.status_code == 202 and theirs.json()["order_id"] != order_id


def test_only_partners_push(ingest: ServiceOnStack) -> None:
    for role, ids in ((CUSTOMER, {"customer_id": "c-1"}), (BACK_OFFICE, {})):
        headers = {**ingest.headers(role, **ids), "Idempotency-Key": "k4"}
        assert ingest.client.post("/partner/orders", json=ORDER, headers=headers).status_code == 403
    assert ingest.client.post("/partner/orders", json=ORDER).status_code == 401
    assert ingest.published(PartnerOrderReceived) == []

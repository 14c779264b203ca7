"""Connections and import runs over HTTP on the real PostgreSQL (DESIGN section 13): a
connection's client_secret and refresh_token (and its client id) are never in an answer —
the connection made, the imports requested, listed and shown, a refused body, a run whose
credentials Login with Amazon refused — nor in a log line or an event of the store."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from oms_contracts.orders import ProductDefined
from oms_dev.marketplace import MarketplaceDouble
from oms_dev.testing import ServiceOnStack, Stack
from oms_kit.auth import BACK_OFFICE
from oms_marketplace_ingest.bootstrap import bootstrap


@pytest.fixture
def amazon() -> Iterator[MarketplaceDouble]:
    with MarketplaceDouble() as double:
        yield double


@pytest.fixture
def ingest(stack: Stack) -> Iterator[ServiceOnStack]:
    service = ServiceOnStack(
        bootstrap,
        stack,
        secrets_key=Fernet.generate_key().decode(),
        throttle_base_wait_s=0.01,
        throttle_max_wait_s=0.05,
    )
    service.deliver(
        ProductDefined(sku="SKU-A", name="A", unit_price=Decimal(1), currency="USD", tax_rate=0)
    )
    try:
        yield service
    finally:
        service.close()


def connection_body(amazon: MarketplaceDouble, **changes: Any) -> dict[str, Any]:
    creds = amazon.credentials
    return {
        "marketplace": "amazon",
        "name": "US store",
        "seller_id": amazon.seller_id,
        "marketplace_ids": [amazon.marketplace_id],
        "customer_id": "customer-amazon",
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "refresh_token": creds.refresh_token,
        "endpoint": amazon.url,
        "lwa_endpoint": amazon.lwa_url,
        "auto_import_minutes": 15,
        **changes,
    }


def test_the_credentials_are_never_in_an_answer_a_log_line_or_an_event(
    ingest: ServiceOnStack, amazon: MarketplaceDouble, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = ingest.headers(BACK_OFFICE)
    creds = amazon.credentials
    secrets = (creds.client_id, creds.client_secret, creds.refresh_token)
    amazon.add_order(("SKU-A", 2, "5.00"))
    answers: list[httpx.Response] = []

    def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
        response: httpx.Response = ingest.client.request(method, path, headers=headers, **kwargs)
        answers.append(response)
        return response

    made = call("POST", "/connections", json=connection_body(amazon))
    assert made.status_code == 201, made.text
    connection_id = made.json()["connection_id"]
    # A body refused for another field: the credentials it carried are not echoed.
    refused = call("POST", "/connections", json=connection_body(amazon, marketplace_ids=[]))
    assert refused.status_code == 422
    unknown = call("POST", "/connections", json=connection_body(amazon, colour="red"))
    assert unknown.status_code == 422
    # A connection whose secret Login with Amazon refuses: its run fails, saying why.
    wrong_secret = connection_body(amazon, client_secret=creds.client_secret[::-1])
    wrong = call("POST", "/connections", json=wrong_secret).json()["connection_id"]

    window = {"created_from": "2020-01-01T00:00:00Z"}
    run_id = call("POST", f"/connections/{connection_id}/imports", json=window).json()[
        "import_run_id"
    ]
    failing = call("POST", f"/connections/{wrong}/imports", json=window).json()["import_run_id"]
    ingest.app.run_import(run_id)
    ingest.app.run_import(failing)
    ingest.app.run_import(str(ingest.app.start_automatic_import(connection_id).id))
    ingest.catch_up()

    shown = call("GET", f"/imports/{run_id}").json()
    assert shown["status"] == "completed" and shown["imported"] == 1
    assert call("GET", f"/imports/{failing}").json()["status"] == "failed"
    listed = call("GET", "/imports", params={"connection_id": connection_id}).json()
    assert [r["kind"] for r in listed["items"]] == ["automatic", "manual"]
    assert len(call("GET", "/imports").json()["items"]) == 3
    assert call("GET", f"/connections/{connection_id}/imports").status_code == 405
    assert call("GET", "/openapi.json").status_code == 200

    stored = [
        repr(item.state) for item in ingest.app.recorder.select_notifications(start=1, limit=10_000)
    ]
    published = [json.dumps(e.model_dump(mode="json")) for e in ingest.published()]
    assert any(connection_id in text for text in stored)
    assert "refused the credentials" in caplog.text  # the service's log lines are caught
    for secret in secrets:
        for answer in answers:
            assert secret not in answer.text, f"{answer.request.url} answered a credential"
            assert all(secret not in value for value in answer.headers.values())
        assert secret not in caplog.text, "a credential in a log line"
        assert not any(secret in text for text in stored), "a credential in the event store"
        assert not any(secret in text for text in published), "a credential in an event"

"""Imports against the Selling Partner API double, in memory: the service as bootstrap
wires it (the real client over HTTP to the double), its events on the in-memory store."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from oms_contracts.marketplace_ingest import (
    ImportRunCompleted,
    MarketplaceOrderCancelled,
    MarketplaceOrderImported,
)
from oms_contracts.orders import ProductDefined
from oms_dev.inmemory import ServiceInMemory
from oms_dev.marketplace import SEARCH_ORDERS, MarketplaceDouble
from oms_marketplace_ingest.application import ConnectionInput
from oms_marketplace_ingest.bootstrap import bootstrap


@pytest.fixture
def amazon():
    with MarketplaceDouble() as double:
        yield double


@pytest.fixture
def ingest() -> ServiceInMemory:
    service = ServiceInMemory(
        bootstrap, dev_stack=True, throttle_base_wait_s=0.01, throttle_max_wait_s=0.05
    )
    for sku in ("SKU-A", "SKU-B", "CAT-C"):
        service.deliver(
            ProductDefined(sku=sku, name=sku, unit_price=Decimal(1), currency="USD", tax_rate=0)
        )
    return service


def connect(ingest: ServiceInMemory, amazon: MarketplaceDouble, **extra) -> str:
    creds = amazon.credentials
    connection = ingest.app.create_connection(
        ConnectionInput(
            marketplace="amazon",
            name="US store",
            seller_id=amazon.seller_id,
            marketplace_ids=[amazon.marketplace_id],
            customer_id="customer-amazon",
            client_id=creds.client_id,
            client_secret=creds.client_secret,
            refresh_token=creds.refresh_token,
            endpoint=amazon.url,
            lwa_endpoint=amazon.lwa_url,
            **extra,
        )
    )
    return str(connection.id)


def manual(ingest, amazon, connection_id, start, end):
    run = ingest.app.request_import(connection_id, start, end)
    return ingest.app.run_import(str(run.id))


def test_250_orders_over_pages_imported_once_after_three_overlapping_runs(ingest, amazon):
    now = amazon.now()
    for i in range(250):
        amazon.add_order(
            ("SKU-A", 1, "5.00"), created=now - timedelta(hours=5) + timedelta(seconds=30 * i)
        )
    connection_id = connect(ingest, amazon)
    first = manual(
        ingest, amazon, connection_id, now - timedelta(hours=6), now - timedelta(hours=1)
    )
    second = manual(ingest, amazon, connection_id, now - timedelta(hours=4), now)
    third = ingest.app.run_import(str(ingest.app.start_automatic_import(connection_id).id))
    assert first.count("imported") == 250
    assert second.count("imported") == 0 and second.count("unchanged") > 0
    assert third.count("imported") == 0 and third.status == "completed"
    imported = ingest.published(MarketplaceOrderImported)
    assert len(imported) == 250
    assert len({e.external_order_id for e in imported}) == 250
    assert amazon.count(SEARCH_ORDERS) >= 6  # three pages of 100 in the first run, more after
    assert amazon.token_exchanges == 3  # one per run's client, reused over its pages
    completed = ingest.published(ImportRunCompleted)
    assert [c.imported for c in completed] == [250, 0, 0]


def test_a_429_storm_waits_and_resumes(ingest, amazon):
    for _ in range(30):
        amazon.add_order(("SKU-A", 1, "5.00"))
    connection_id = connect(ingest, amazon)
    amazon.throttle(SEARCH_ORDERS, 12)
    now = amazon.now()
    run = manual(ingest, amazon, connection_id, now - timedelta(hours=1), None)
    assert run.status == "completed" and run.count("imported") == 30
    assert amazon.count(SEARCH_ORDERS, 429) == 12


def test_a_failing_order_is_reported_and_the_others_imported(ingest, amazon):
    good = [amazon.add_order(("SKU-A", 1, "5.00")) for _ in range(3)]
    bad = amazon.add_order(("NOT-IN-CATALOGUE", 1, "5.00"))
    more = amazon.add_order(("SKU-B", 2, "7.50"))
    connection_id = connect(ingest, amazon)
    now = amazon.now()
    run = manual(ingest, amazon, connection_id, now - timedelta(hours=1), None)
    assert run.count("imported") == 4 and run.count("failed") == 1
    assert run.outcomes[bad.order_id][1:] == ("failed", "unknown SKU: NOT-IN-CATALOGUE")
    assert {o.order_id for o in good} | {more.order_id} == {
        e.external_order_id for e in ingest.published(MarketplaceOrderImported)
    }


def test_quantities_above_one_priced_per_unit_and_skus_mapped(ingest, amazon):
    order = amazon.add_order(("AMZ-C", 3, "19.99"), ("SKU-A", 2, "4.50"))
    connection_id = connect(ingest, amazon, sku_map={"AMZ-C": "CAT-C"})
    now = amazon.now()
    manual(ingest, amazon, connection_id, now - timedelta(hours=1), None)
    [imported] = ingest.published(MarketplaceOrderImported)
    assert imported.external_order_id == order.order_id
    assert [(li.sku, li.marketplace_sku, li.quantity, li.unit_price) for li in imported.lines] == [
        ("CAT-C", "AMZ-C", 3, Decimal("19.99")),
        ("SKU-A", "SKU-A", 2, Decimal("4.50")),
    ]
    assert imported.channel == "amazon" and imported.customer_id == "customer-amazon"
    assert imported.ship_to.city == "Seattle" and imported.buyer.name


def test_pending_waits_cancelled_before_import_skipped(ingest, amazon):
    pending = amazon.add_order(("SKU-A", 1, "5.00"), status="PENDING")
    cancelled = amazon.add_order(("SKU-A", 1, "5.00"), status="CANCELLED")
    connection_id = connect(ingest, amazon)
    now = amazon.now()
    run = manual(ingest, amazon, connection_id, now - timedelta(hours=1), None)
    assert run.outcomes[pending.order_id][1] == "skipped"
    assert run.outcomes[cancelled.order_id][1] == "skipped"
    assert ingest.published(MarketplaceOrderImported) == []


def test_a_cancellation_after_import_is_seen_by_the_automatic_import(ingest, amazon):
    order = amazon.add_order(("SKU-A", 1, "5.00"))
    connection_id = connect(ingest, amazon)
    first = ingest.app.run_import(str(ingest.app.start_automatic_import(connection_id).id))
    assert first.count("imported") == 1
    amazon.advance(minutes=1)
    amazon.change(order.order_id, "CANCELLED", "buyer changed mind")
    amazon.advance(minutes=5)
    second = ingest.app.run_import(str(ingest.app.start_automatic_import(connection_id).id))
    assert second.outcomes[order.order_id][1] == "cancelled"
    [cancelled] = ingest.published(MarketplaceOrderCancelled)
    assert cancelled.external_order_id == order.order_id
    third = ingest.app.run_import(str(ingest.app.start_automatic_import(connection_id).id))
    assert order.order_id not in third.outcomes  # the cursor moved past it
    assert len(ingest.published(MarketplaceOrderCancelled)) == 1


def test_secrets_never_in_an_event_or_a_log_line(ingest, amazon, caplog):
    caplog.set_level(logging.DEBUG)
    amazon.add_order(("SKU-A", 1, "5.00"))
    connection_id = connect(ingest, amazon)
    ingest.app.run_import(str(ingest.app.start_automatic_import(connection_id).id))
    creds = amazon.credentials
    secrets = (creds.client_id, creds.client_secret, creds.refresh_token)
    stored = [
        repr(item.state) for item in ingest.app.recorder.select_notifications(start=1, limit=10_000)
    ]
    published = [
        json.dumps(e.model_dump(mode="json"))
        for t in (MarketplaceOrderImported, ImportRunCompleted)
        for e in ingest.published(t)
    ]
    for secret in secrets:
        assert not any(secret in text for text in stored), "a secret in the event store"
        assert not any(secret in text for text in published)
        assert secret not in caplog.text
    assert any("SKU-A" in text for text in published)

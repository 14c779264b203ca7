"""The inventory api and worker as separate processes on the real stack: an OrderConfirmed
published to Kafka is consumed, reserved, projected and published again as StockReserved.
The api accepts the tokens whose keys its JWKS URL gives, and checks their role."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer
from oms_contracts import events_topic
from oms_contracts.orders import Line, OrderConfirmed
from oms_dev.inmemory import envelope_bytes
from oms_dev.testing import Stack, running_services, wait_until
from oms_inventory.bootstrap import bootstrap
from oms_kit.auth import SALES_REP, WAREHOUSE
from oms_kit.kafka import producer


async def publish_confirmed(bootstrap: str, order_id: str, sku: str, quantity: int) -> None:
    event = OrderConfirmed(
        order_id=order_id,
        customer_id="c-1",
        currency="EUR",
        lines=[
            Line(
                line_no=1,
                sku=sku,
                quantity=Decimal(quantity),
                unit_price=Decimal("2.00"),
                tax_rate=Decimal("0.21"),
                net_amount=Decimal(quantity * 2),
            )
        ],
        total=Decimal(quantity * 2),
    )
    message = envelope_bytes(event, source_position=1, aggregate_id=order_id, aggregate_version=3)
    kafka = producer(bootstrap)
    await kafka.start()
    try:
        await kafka.send_and_wait(events_topic("orders"), message, key=order_id.encode())
    finally:
        await kafka.stop()


async def inventory_event_types(bootstrap: str) -> list[str]:
    consumer = AIOKafkaConsumer(
        events_topic("inventory"),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        out: list[str] = []
        while batch := await consumer.getmany(timeout_ms=1500):
            for records in batch.values():
                out.extend(json.loads(r.value or b"")["event_type"] for r in records)
        return out
    finally:
        await consumer.stop()


def test_an_order_confirmed_on_kafka_is_reserved_and_published(
    stack: Stack, tmp_path: Path
) -> None:
    # Create the database first: api and worker racing to create it can fail (kit issue:
    # ensure_database catches DuplicateDatabase but PostgreSQL may raise UniqueViolation).
    bootstrap(**stack.settings_overrides())
    with (
        running_services(stack, ["inventory"], tmp_path / "logs") as running,
        httpx.Client(
            base_url=running.url("inventory"),
            headers=stack.issuer.headers(WAREHOUSE),
            timeout=10.0,
        ) as http,
    ):
        receipt = {"sku": "K-1", "warehouse": "W1", "lot": "L1", "quantity": 4}
        assert http.post("/stock/receipts", json=receipt).status_code == 201
        asyncio.run(publish_confirmed(stack.kafka_bootstrap, "o-kafka", "K-1", 3))
        pick_list = wait_until(
            lambda: http.get("/pick-lists", params={"order_id": "o-kafka"}).json()["items"],
            what="the pick list",
        )
        assert [(x["lot"], x["quantity"]) for x in pick_list[0]["lines"]] == [("L1", 3)]
        assert http.get("/stock/K-1").json()["reserved"] == 3
        rep = stack.issuer.headers(SALES_REP, sales_rep_id="rep-1")
        assert http.get("/stock/K-1", headers=rep).json()["available"] == 1
        refused = http.get("/pick-lists", params={"order_id": "o-kafka"}, headers=rep)
        assert refused.status_code == 403
        wait_until(
            lambda: (
                http.get("/stock", params={"sku_prefix": "K-"}).json()["items"]
                and http.get("/stock", params={"sku_prefix": "K-"}).json()["items"][0]["reserved"]
                == 3
            ),
            what="the inventory level list",
        )
        published = wait_until(
            lambda: (
                types
                if "StockReserved"
                in (types := asyncio.run(inventory_event_types(stack.kafka_bootstrap)))
                else None
            ),
            what="StockReserved on the inventory topic",
        )
    assert {"StockReceived", "StockLevelChanged", "StockReserved", "PickListCreated"} <= set(
        published
    )

"""End to end: the orders api and worker as separate processes on the dev stack, signed in
as the admin (orders issues the tokens and verifies its own). An order placed over HTTP
reaches the order list (the worker's projection) and the orders topic (the worker's
relay); a billing event on the billing topic reaches the order (the worker's consumer);
the history names the admin, and nothing answers without a token."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import anyio
import httpx
from oms_contracts.billing import InvoiceIssued
from oms_dev.inmemory import envelope_bytes
from oms_dev.testing import Stack, running_services, wait_until
from oms_kit.kafka import producer


def send(bootstrap: str, topic: str, key: str, value: bytes) -> None:
    async def go() -> None:
        prod = producer(bootstrap)
        await prod.start()
        try:
            await (await prod.send(topic, value=value, key=key.encode()))
        finally:
            await prod.stop()

    anyio.run(go)


def topic_event_types(bootstrap: str, topic: str) -> list[str]:
    async def go() -> list[str]:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            await consumer.topics()
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            out: list[str] = []
            while batch := await consumer.getmany(timeout_ms=800):
                for records in batch.values():
                    out += [json.loads(r.value or b"")["event_type"] for r in records]
            return out
        finally:
            await consumer.stop()

    return anyio.run(go)


def test_orders_api_and_worker_processes(stack: Stack, tmp_path: Path) -> None:
    with (
        running_services(stack, ["orders"], tmp_path) as running,
        httpx.Client(base_url=running.url("orders"), timeout=10, auth=running.admin.auth) as http,
    ):
        assert httpx.get(running.url("orders") + "/orders", timeout=10).status_code == 401
        http.post(
            "/products",
            json={
                "sku": "P-1",
                "name": "P",
                "unit_price": "5.00",
                "currency": "BRL",
                "tax_rate": "0",
            },
        ).raise_for_status()
        customer = http.post(
            "/customers",
            json={
                "name": "Ana",
                "tax_id": "T",
                "email": "a@example.com",
                "credit_limit": "100.00",
                "payment_terms_days": [30],
            },
        ).json()["customer_id"]
        order = http.post(
            "/orders", json={"customer_id": customer, "lines": [{"sku": "P-1", "quantity": 2}]}
        ).json()
        order_id = order["order_id"]
        listed = wait_until(
            lambda: http.get("/orders", params={"customer_id": customer}).json()["items"],
            what="the order in the list",
        )
        assert [(i["order_id"], i["status"], i["total"]) for i in listed] == [
            (order_id, "confirmed", "10.00")
        ]
        published = wait_until(
            lambda: (
                "OrderConfirmed"
                in (t := topic_event_types(stack.kafka_bootstrap, "oms.orders.events"))
                and t
            ),
            what="OrderConfirmed on the topic",
        )
        assert {"ProductDefined", "CustomerRegistered", "OrderPlaced"} <= set(published)

        invoice = InvoiceIssued(
            invoice_id="inv-1",
            number="F-1",
            order_id=order_id,
            customer_id=customer,
            currency="BRL",
            lines=[],
            net_total=Decimal("4.00"),
            tax_total=Decimal("0"),
            total=Decimal("4.00"),
        )
        send(
            stack.kafka_bootstrap,
            "oms.billing.events",
            "inv-1",
            envelope_bytes(invoice, source_position=1, aggregate_id="inv-1"),
        )
        wait_until(
            lambda: http.get(f"/orders/{order_id}").json()["status"] == "partially_invoiced",
            what="the invoice to reach the order",
        )
        wait_until(
            lambda: http.get("/orders", params={"invoice_number": "F-1"}).json()["items"],
            what="the invoice number in the list",
        )
        history = http.get(f"/orders/{order_id}/history").json()["items"]
        assert [(i["event_type"], i["actor"]) for i in history][:2] == [
            ("OrderPlaced", "admin"),
            ("OrderConfirmed", "admin"),
        ]
        assert ("InvoiceRecorded", "service:billing") in [
            (i["event_type"], i["actor"]) for i in history
        ]

"""The billing api and worker as separate processes on the real stack: an OrderConfirmed
and a GoodsIssued published to Kafka are consumed, invoiced, stamped, listed, paid over
HTTP, and published again on billing's topic; the customer's registration puts the invoice
in his rep's reach. The api accepts the tokens whose keys its JWKS URL gives."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer
from billing_examples import customer_registered, goods_issued, order_confirmed
from oms_contracts import ContractEvent, events_topic
from oms_dev.inmemory import envelope_bytes
from oms_dev.testing import Stack, running_services, wait_until
from oms_kit.auth import BACK_OFFICE, SALES_REP
from oms_kit.kafka import producer


async def publish(bootstrap: str, *events: tuple[ContractEvent, str]) -> None:
    """Each event on its source's topic, keyed by its aggregate id, as a relay sends it."""
    kafka = producer(bootstrap)
    await kafka.start()
    try:
        for position, (event, aggregate_id) in enumerate(events, start=1):
            raw = envelope_bytes(event, source_position=position, aggregate_id=aggregate_id)
            await kafka.send_and_wait(events_topic(event.source), raw, key=aggregate_id.encode())
    finally:
        await kafka.stop()


async def billing_event_types(bootstrap: str, last: str) -> list[str]:
    """The types of the events on billing's topic, read until ``last`` is among them (or
    the topic is quiet)."""
    consumer = AIOKafkaConsumer(
        events_topic("billing"),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        types: list[str] = []
        while last not in types and (batch := await consumer.getmany(timeout_ms=1000)):
            for records in batch.values():
                types.extend(json.loads(r.value or b"")["event_type"] for r in records)
        return types
    finally:
        await consumer.stop()


def test_goods_issued_on_kafka_is_invoiced_listed_paid_and_published(
    stack: Stack, tmp_path: Path
) -> None:
    with (
        running_services(stack, ["billing"], tmp_path / "logs") as running,
        httpx.Client(
            base_url=running.url("billing"),
            headers=stack.issuer.headers(BACK_OFFICE),
            timeout=10.0,
        ) as http,
    ):
        asyncio.run(
            publish(
                stack.kafka_bootstrap,
                (customer_registered("cust-1", "rep-1"), "cust-1"),
                (order_confirmed("ord-k", "cust-1"), "ord-k"),
                (goods_issued("gi-k", "ord-k", ("SKU-B", 1)), "gi-k"),
            )
        )
        [invoice] = wait_until(
            lambda: [
                item
                for item in http.get("/invoices", params={"order_id": "ord-k"}).json()["items"]
                if item["status"] == "stamped"
            ],
            what="the stamped invoice in the list",
        )
        assert (invoice["number"], invoice["total"]) == ("A-000001", "58.00")
        rep_1, rep_2 = (
            stack.issuer.headers(SALES_REP, sales_rep_id=rep) for rep in ("rep-1", "rep-2")
        )
        wait_until(
            lambda: http.get("/invoices", headers=rep_1).json()["items"],
            what="the invoice in the list of the customer's rep",
        )
        assert http.get("/invoices", headers=rep_2).json()["items"] == []
        assert http.get("/invoices", headers={"Authorization": "Bearer x"}).status_code == 401
        paid = http.post(f"/invoices/{invoice['invoice_id']}/payments", json={"amount": "58.00"})
        assert paid.status_code == 201

        def published() -> list[str] | None:
            types = asyncio.run(billing_event_types(stack.kafka_bootstrap, "InvoicePaid"))
            return types if "InvoicePaid" in types else None

        types = wait_until(published, what="InvoicePaid on the billing topic")
    # Keyed by aggregate, spread over partitions: in order per aggregate only.
    assert sorted(types) == sorted(
        [
            "InvoiceIssued",
            "InvoiceStamped",
            "ReceivableOpened",
            "JournalEntryPosted",
            "PaymentReceived",
            "JournalEntryPosted",  # the payment's: cash against receivables
            "InvoicePaid",
        ]
    )

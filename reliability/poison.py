"""Scenario 5, poison messages: bad JSON, an unknown event type and a valid envelope with
an invalid payload, on every partition of ``oms.orders.events`` (consumed by inventory
and billing) while orders flow: each consumer dead-letters each of them with the reason,
carries on with the good messages behind them, and ``oms dlq redrive`` replays them."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from oms_contracts import dlq_topic, events_topic

from reliability.harness import PARTITIONS, Harness
from reliability.scenario import RECOVERY_DEADLINE_S, Outcome, Settings
from reliability.workload import Client, Workload, verify, wait_converged

CONSUMERS = ("inventory", "billing")  # both consume oms.orders.events
REASONS = {"bad-json": "not JSON", "unknown-type": "unknown event type", "bad-payload": "payload"}


def poison_messages() -> dict[str, bytes]:
    envelope: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": "orders",
        "source_position": 2_000_000_000,
        "aggregate_id": str(uuid.uuid4()),
        "aggregate_version": 1,
    }
    return {
        "bad-json": b'{"event_type": "OrderConfirmed", "payload": {',
        "unknown-type": json.dumps(
            {**envelope, "event_type": "OrderTeleported", "payload": {}}
        ).encode(),
        "bad-payload": json.dumps(
            {**envelope, "event_type": "OrderConfirmed", "payload": {"order_id": 5}}
        ).encode(),
    }


async def publish_poison(bootstrap: str) -> int:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sent = 0
        for kind, value in poison_messages().items():
            for partition in range(PARTITIONS):
                await producer.send_and_wait(
                    events_topic("orders"),
                    value=value,
                    partition=partition,
                    headers=[("poison", kind.encode())],
                )
                sent += 1
        return sent
    finally:
        await producer.stop()


async def read_dlq(bootstrap: str, service: str) -> list[dict[str, str]]:
    """Every dead letter's headers (read until the topic is quiet)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        parts = [
            TopicPartition(dlq_topic(service), p)
            for p in sorted(consumer.partitions_for_topic(dlq_topic(service)) or ())
        ]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        out: list[dict[str, str]] = []
        while batch := await consumer.getmany(timeout_ms=1500):
            for records in batch.values():
                out += [{k: v.decode("utf-8", "replace") for k, v in r.headers} for r in records]
        return out
    finally:
        await consumer.stop()


def check_dlq(harness: Harness, service: str, per_kind: int, out: Outcome) -> None:
    """``per_kind`` dead letters of each poison kind, each with a reason naming it."""
    deadline = time.monotonic() + 90
    while True:
        letters = asyncio.run(read_dlq(harness.bootstrap, service))
        kinds = Counter(h.get("poison", "?") for h in letters)
        if all(kinds[k] >= per_kind for k in REASONS) or time.monotonic() > deadline:
            break
        time.sleep(1)
    for kind, reason in REASONS.items():
        if kinds[kind] < per_kind:
            out.lose(per_kind - kinds[kind], f"{service}: {kinds[kind]} {kind} dead letters")
        elif kinds[kind] > per_kind:
            out.double(kinds[kind] - per_kind, f"{service}: {kinds[kind]} {kind} dead letters")
        errors = [h.get("oms-error", "") for h in letters if h.get("poison") == kind]
        out.check(
            all(reason in e for e in errors),
            f"{service}: {kind} dead letters without the reason ({reason!r}): {errors[:2]}",
        )


def run(harness: Harness, settings: Settings) -> Outcome:
    out = Outcome("poison", orders=settings.orders)
    harness.start_services(settings.log_dir / "poison")
    client = Client(harness)
    try:
        work = Workload()
        work.setup(client, settings.orders)
        half = settings.orders // 2
        work.drive(harness, half)
        sent = asyncio.run(publish_poison(harness.bootstrap))
        started = time.monotonic()
        work.drive(harness, settings.orders - half)  # the good messages behind the poison
        if wait_converged(client, work, RECOVERY_DEADLINE_S) is None:
            out.failures.append("the orders behind the poison did not complete")
        out.recover_s = time.monotonic() - started
        per_kind = sent // len(REASONS)
        for service in CONSUMERS:
            check_dlq(harness, service, per_kind, out)
        # Redrive inventory's: back on oms.orders.events, where both consumers meet them
        # again and dead-letter them again (still poison), changing nothing else.
        result = harness.cli("dlq", "redrive", "inventory")
        out.check(
            result.returncode == 0 and f"redrove {sent} dead letters" in result.stdout,
            f"oms dlq redrive inventory: {result.returncode} {result.stdout} {result.stderr}",
        )
        for service in CONSUMERS:
            check_dlq(harness, service, 2 * per_kind, out)
        out.take(verify(client, work))
    finally:
        client.close()
        harness.stop_services()
    return out

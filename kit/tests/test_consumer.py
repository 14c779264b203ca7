"""The exactly-once consumer against a real PostgreSQL and broker: repeats change nothing,
a crash changes nothing, poison goes to the dead-letter topic and the stream goes on."""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from aiokafka import ConsumerRecord
from helpers import read_topic, wait_until
from oms_contracts import Envelope
from oms_contracts.orders import CustomerRegistered, CustomerUpdated
from oms_dev.cli import _redrive
from oms_dev.testing import Stack
from oms_kit import consumer as consumer_module
from oms_kit.consumer import ExactlyOnceConsumer
from oms_kit.kafka import producer
from oms_kit.relay import OutboxRelay
from oms_kit.service import Inbound
from sample.app import (
    Account,
    SampleBilling,
    billing_app,
    billing_inbound,
    on_customer_registered,
    orders_app,
    to_contract,
)
from test_relay import start_process, write_customers


def applied(billing: SampleBilling, customer_ids: list[UUID]) -> dict[UUID, list[int]]:
    out = {}
    for cid in customer_ids:
        try:
            account: Account = billing.repository.get(Account.create_id(str(cid)))
        except Exception:  # not there yet
            continue
        out[cid] = account.applied
    return out


def test_each_event_delivered_three_times_and_after_a_crash_has_one_effect(
    stack: Stack,
) -> None:
    orders, settings = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    billing, _ = billing_app(stack.pg_dsn, stack.kafka_bootstrap)
    versions = write_customers(orders, customers=30, renames=3)
    relay = OutboxRelay(orders, settings, to_contract)
    for _ in range(3):  # every event is on the topic three times
        asyncio.run(relay.republish(0))
    consumer = start_process("consumer", stack)
    try:
        # Kill it as soon as it has applied something: a crash mid-stream, with offsets
        # not yet committed for what it had applied.
        wait_until(lambda: billing.recorder.max_notification_id(), what="first effect")
        consumer.send_signal(signal.SIGKILL)
        consumer.wait()
        consumer = start_process("consumer", stack)
        expected = {cid: list(range(1, last + 1)) for cid, last in versions.items()}
        wait_until(
            lambda: applied(billing, list(versions)) == expected,
            timeout=120,
            what="every event applied",
        )
        asyncio.run(relay.republish(0))  # and once more after the crash
        wait_until(lambda: _group_caught_up(stack), timeout=60, what="consumer to read the repeat")
    finally:
        consumer.send_signal(signal.SIGTERM)
        consumer.wait()
    assert applied(billing, list(versions)) == expected
    # One stored event per source event: no repeat had an effect. (Counted, not read off
    # the last notification id: a rolled-back insert also uses up a sequence value.)
    assert stored_event_count(billing) == sum(versions.values())


def stored_event_count(app: SampleBilling) -> int:
    with app.datastore.transaction(commit=False) as cur:
        cur.execute(f"SELECT count(*) AS n FROM {app.recorder.events_table_name}")  # type: ignore[attr-defined]
        row = cur.fetchone()
    assert row is not None
    return int(row["n"])


def _group_caught_up(stack: Stack) -> bool:
    """The consumer group has committed an offset past every record on the topic."""
    records = read_topic(stack.kafka_bootstrap, "oms.orders.events", idle_ms=500)
    last: dict[int, int] = {}
    for r in records:
        last[r.partition] = max(last.get(r.partition, -1), r.offset)

    async def committed() -> dict[int, int]:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        c = AIOKafkaConsumer(
            bootstrap_servers=stack.kafka_bootstrap, group_id="billing", enable_auto_commit=False
        )
        await c.start()
        try:
            return {
                p: (await c.committed(TopicPartition("oms.orders.events", p))) or 0 for p in last
            }
        finally:
            await c.stop()

    offsets = asyncio.run(committed())
    return all(offsets[p] > last[p] for p in last)


def registration(cid: str, name: str) -> CustomerRegistered:
    return CustomerRegistered(
        customer_id=cid,
        name=name,
        tax_id="T",
        email=f"{name.lower()}@example.com",
        credit_limit=Decimal("10.00"),
        currency="EUR",
        payment_terms_days=[30],
    )


def _raw(event: Any, aggregate_id: str, version: int, position: int, **override: Any) -> bytes:
    env = Envelope[Any](
        event_id=uuid4(),
        event_type=type(event).__name__,
        event_version=1,
        occurred_at=datetime.now(UTC),
        source="orders",
        source_position=position,
        aggregate_id=aggregate_id,
        aggregate_version=version,
        payload=event,
    )
    data = json.loads(env.model_dump_json())
    data.update(override)
    return json.dumps(data).encode()


def test_poison_is_dead_lettered_the_stream_goes_on_and_redrive_replays_it(
    stack: Stack,
) -> None:
    billing, _ = billing_app(stack.pg_dsn, stack.kafka_bootstrap)
    cid = str(uuid4())
    registered = registration(cid, "Ana")
    renamed = CustomerUpdated(customer_id=cid, name="Ana Maria")
    messages = [
        b"{not json",
        _raw(registered, cid, 1, 1, event_type="CustomerVanished"),
        _raw({"customer_id": cid}, cid, 1, 2, event_type="CustomerRegistered"),
        _raw(renamed, cid, 2, 4),  # before the customer exists: cannot be applied yet
        _raw(registered, cid, 1, 3),  # the good one after the poison
    ]

    async def scenario() -> None:
        stop = asyncio.Event()
        consuming = asyncio.create_task(
            ExactlyOnceConsumer(billing, "billing", billing_inbound).run(
                stack.kafka_bootstrap, stop
            )
        )
        prod = producer(stack.kafka_bootstrap)
        await prod.start()
        try:
            for value in messages:
                await (await prod.send("oms.orders.events", value=value, key=cid.encode()))
            await asyncio.to_thread(
                wait_until,
                lambda: applied(billing, [UUID(cid)]),
                60,
                "the good message after the poison",
            )
            letters = await asyncio.to_thread(
                wait_until,
                lambda: len(read_topic(stack.kafka_bootstrap, "oms.billing.dlq")) == 4,
                60,
                "four dead letters",
            )
            assert letters
            redriven = await _redrive(stack.kafka_bootstrap, "billing")
            await asyncio.to_thread(
                wait_until,
                lambda: applied(billing, [UUID(cid)]).get(UUID(cid)) == [1, 2],
                60,
                "the redriven rename to apply",
            )
            assert redriven == 4
            assert await _redrive(stack.kafka_bootstrap, "billing") == 3  # still-bad ones
        finally:
            await prod.stop()
            stop.set()
            await consuming

    asyncio.run(scenario())
    headers = [
        {k: v.decode() for k, v in r.headers}
        for r in read_topic(stack.kafka_bootstrap, "oms.billing.dlq")
    ]
    errors = [h["oms-error"] for h in headers]
    assert any("not JSON" in e for e in errors)
    assert any("unknown event type 'CustomerVanished'" in e for e in errors)
    assert any("invalid CustomerRegistered payload" in e and "name" in e for e in errors)
    assert any("AggregateNotFound" in e for e in errors)
    assert all(h["oms-source-topic"] == "oms.orders.events" for h in headers)
    account: Account = billing.repository.get(Account.create_id(cid))
    assert account.name == "Ana Maria"


def _record(
    value: bytes, headers: list[tuple[str, bytes]], offset: int
) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(
        topic="oms.orders.events",
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"customer-1",
        value=value,
        checksum=None,
        serialized_key_size=10,
        serialized_value_size=len(value),
        headers=headers,
    )


def test_events_without_a_handler_are_skipped_by_their_header_others_are_read(
    stack: Stack,
) -> None:
    billing, _ = billing_app(stack.pg_dsn, stack.kafka_bootstrap)
    only_registered = Inbound(SampleBilling)
    only_registered.on(CustomerRegistered)(on_customer_registered)
    consumer = ExactlyOnceConsumer(billing, "billing", only_registered)
    garbage = b"not json at all"
    outcomes = asyncio.run(
        consumer.process_batch(
            [
                # No handler for it here: skipped unread (a valid one would be skipped too).
                _record(garbage, [("event_type", b"CustomerUpdated")], 0),
                # A type it handles: read, and dead-lettered for what it is.
                _record(garbage, [("event_type", b"CustomerRegistered")], 1),
                # No header (another producer): read in full, dead-lettered.
                _record(garbage, [], 2),
            ]
        )
    )
    assert [outcome.status for _, outcome in outcomes] == ["ignored", "dead-letter", "dead-letter"]
    assert billing.recorder.max_notification_id() is None  # nothing applied, nothing tracked


class FailingOnce(ExactlyOnceConsumer):
    """Its first batch meets a database that is down: nothing of it is applied."""

    failed = 0

    async def process_batch(self, records: list[ConsumerRecord[Any, Any]]) -> Any:
        if not self.failed:
            self.failed += 1
            raise psycopg.OperationalError("the database went away")
        return await super().process_batch(records)


def test_a_batch_that_meets_a_dependency_down_is_taken_again_and_applied_once(
    stack: Stack,
) -> None:
    billing, _ = billing_app(stack.pg_dsn, stack.kafka_bootstrap)
    cid = str(uuid4())
    registered = registration(cid, "Bea")
    renamed = CustomerUpdated(customer_id=cid, name="Bea Maria")
    consumer = FailingOnce(billing, "billing", billing_inbound)

    async def scenario() -> None:
        stop = asyncio.Event()
        consuming = asyncio.create_task(consumer.run(stack.kafka_bootstrap, stop))
        prod = producer(stack.kafka_bootstrap)
        await prod.start()
        try:
            for value in (_raw(registered, cid, 1, 101), _raw(renamed, cid, 2, 102)):
                await (await prod.send("oms.orders.events", value=value, key=cid.encode()))
            await asyncio.to_thread(
                wait_until,
                lambda: applied(billing, [UUID(cid)]).get(UUID(cid)) == [1, 2],
                60,
                "both events applied after the failed batch",
            )
        finally:
            await prod.stop()
            stop.set()
            await consuming

    asyncio.run(scenario())
    assert consumer.failed == 1
    account: Account = billing.repository.get(Account.create_id(cid))
    assert account.name == "Bea Maria"
    assert account.applied == [1, 2]  # neither lost with the failed batch


def test_an_idle_consumer_fetches_seldom_and_still_takes_the_next_record(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumer_module, "IDLE_TAKE_MS", 300)
    billing, _ = billing_app(stack.pg_dsn, stack.kafka_bootstrap)
    cid = str(uuid4())
    registered = registration(cid, "Cai")
    waits: list[int] = []

    class Watched(ExactlyOnceConsumer):
        async def process_batch(self, records: list[ConsumerRecord[Any, Any]]) -> Any:
            waits.append(fetcher._fetch_max_wait_ms)  # while the batch is applied
            return await super().process_batch(records)

    fetcher: Any = None
    real_start = consumer_module.AIOKafkaConsumer.start

    async def start(self: Any) -> None:
        nonlocal fetcher
        await real_start(self)
        fetcher = self._fetcher

    monkeypatch.setattr(consumer_module.AIOKafkaConsumer, "start", start)

    async def scenario() -> None:
        stop = asyncio.Event()
        consuming = asyncio.create_task(
            Watched(billing, "billing", billing_inbound).run(stack.kafka_bootstrap, stop)
        )
        prod = producer(stack.kafka_bootstrap)
        await prod.start()
        try:
            await asyncio.to_thread(
                wait_until,
                lambda: (
                    fetcher is not None
                    and fetcher._fetch_max_wait_ms == consumer_module.IDLE_FETCH_MAX_WAIT_MS
                ),
                60,
                "the idle consumer to fetch seldom",
            )
            value = _raw(registered, cid, 1, 201)
            await (await prod.send("oms.orders.events", value=value, key=cid.encode()))
            await asyncio.to_thread(
                wait_until, lambda: UUID(cid) in applied(billing, [UUID(cid)]), 60, "applied"
            )
        finally:
            await prod.stop()
            stop.set()
            await consuming

    asyncio.run(scenario())
    # Records back: its fetches wait the short time again.
    assert waits and waits[-1] == consumer_module.FETCH_MAX_WAIT_MS


def test_offsets_wait_while_records_come_and_are_committed_once_a_take_finds_none(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumer_module, "COMMIT_EVERY_S", 3600.0)  # never while busy
    monkeypatch.setattr(consumer_module, "IDLE_TAKE_MS", 300)
    billing, _ = billing_app(stack.pg_dsn, stack.kafka_bootstrap)
    cid = str(uuid4())

    async def scenario() -> None:
        stop = asyncio.Event()
        consumer = ExactlyOnceConsumer(billing, "billing", billing_inbound)
        consuming = asyncio.create_task(consumer.run(stack.kafka_bootstrap, stop))
        prod = producer(stack.kafka_bootstrap)
        await prod.start()
        try:
            value = _raw(registration(cid, "Dora"), cid, 1, 301)
            await (await prod.send("oms.orders.events", value=value, key=cid.encode()))
            await asyncio.to_thread(
                wait_until, lambda: UUID(cid) in applied(billing, [UUID(cid)]), 60, "applied"
            )
            # Nothing more comes: the next take finds none, and the offsets are committed.
            await asyncio.to_thread(
                wait_until, lambda: _group_caught_up(stack), 60, "offsets committed when idle"
            )
        finally:
            await prod.stop()
            stop.set()
            await consuming

    asyncio.run(scenario())

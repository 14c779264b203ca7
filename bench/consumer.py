"""The consumer stage (issue 16): what the inventory service's worker applies per second on
its own from a topic filled beforehand, with one worker process and with two.

The orders events topic of a broker of its own (a fresh consumer group) is filled with
``OrderConfirmed`` events, one line each over a few products, published by the kit's outbox
relay from the bench's event store exactly as the orders service's relay publishes them
(envelope, key, headers, source position). The inventory API receives stock for those
products into an empty database first; then the worker(s) start and reserve stock and open
a pick list for each order. The rate runs from the moment every worker is in the consumer
group (start-up, group join and rebalance left out; what was applied by then is left out
too) until the worker's tracking records for the source reach the count, and the CPU of the
worker(s), PostgreSQL and the broker over that time, per event."""

from __future__ import annotations

import asyncio
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
from aiokafka.admin import AIOKafkaAdminClient
from oms_contracts.orders import Line, OrderConfirmed
from oms_dev.auth import TestIssuer
from oms_dev.devstack import drop_service_databases, free_port, start_broker
from oms_dev.supervisor import Supervisor, worker_roles
from oms_dev.testing import Stack
from oms_kit.kafka import all_topics, ensure_topics
from oms_kit.service import Outbound
from oms_kit.settings import database_name
from psycopg.conninfo import make_conninfo

from bench import cpu, measure
from bench.app import SERVICE, Item, bench_app
from bench.facts import drop_database

CONSUMER = "inventory"
SKUS = 20
DATABASE = "oms_bench_consumer"
#: Enough stock that no order of the stage runs short (a shortage is the cheaper path).
STOCK = 10_000_000

to_confirmed = Outbound()


@to_confirmed.maps(Item.Created)
def order_confirmed(created: Item.Created) -> OrderConfirmed:
    """A released order of one line: the item's name is the product's sku."""
    return OrderConfirmed(
        order_id=str(created.originator_id),
        customer_id=str(uuid.uuid5(created.originator_id, "customer")),
        currency="EUR",
        lines=[
            Line(
                line_no=1,
                sku=created.name,
                quantity=Decimal(1),
                unit_price=Decimal("10.00"),
                tax_rate=Decimal("0.21"),
                net_amount=Decimal("10.00"),
                name=f"Bench {created.name}",
            )
        ],
        total=Decimal("12.10"),
        payment_terms_days=[30],
    )


def tracked(pg_dsn: str, source: str) -> int:
    """Tracking records the consumer wrote for ``source``'s events."""
    dsn = make_conninfo(pg_dsn, dbname=database_name(CONSUMER))
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            f"SELECT count(*) FROM {CONSUMER}_tracking WHERE application_name = %s",
            (source,),
        ).fetchone()
    return int(row[0]) if row else 0


async def fill_topic(pg_dsn: str, bootstrap: str, skus: list[str], events: int) -> float:
    """Store ``events`` items (round the skus) in the bench's event store and relay them as
    OrderConfirmed to the orders events topic; returns the relay's events per second."""
    drop_database(pg_dsn, DATABASE)
    app, settings = await asyncio.to_thread(bench_app, pg_dsn, DATABASE, bootstrap)
    try:
        for start in range(0, events, 500):
            batch = range(start, min(events, start + 500))
            items = [Item(name=skus[i % len(skus)], quantity=1) for i in batch]
            await asyncio.to_thread(app.save, *items)
        rate = await measure.relay_ours(app, settings, events, outbound=to_confirmed, topic=None)
        return rate.per_s
    finally:
        app.close()
        drop_database(pg_dsn, DATABASE)


def receive_stock(url: str, issuer: TestIssuer, skus: list[str]) -> None:
    with httpx.Client(timeout=30.0, headers=issuer.headers("admin")) as http:
        for sku in skus:
            response = http.post(
                f"{url}/stock/receipts",
                json={"sku": sku, "warehouse": "MAD", "lot": f"L-{sku}", "quantity": STOCK},
            )
            if response.status_code != 201:
                raise RuntimeError(f"stock receipt: {response.status_code} {response.text}")


async def group_members(admin: AIOKafkaAdminClient, group: str) -> int:
    """Members of the consumer group once it is stable (0 while it rebalances)."""
    for response in await admin.describe_consumer_groups([group]):
        for error_code, _group, state, *_rest, members in response.groups:
            if error_code == 0 and state == "Stable":
                return len(members)
    return 0


async def run_consumer(
    pg_dsn: str, home: Path, events: int, workers: int, say: Any
) -> dict[str, Any]:
    """One measurement: a fresh broker and database, ``events`` events, ``workers`` workers."""
    broker = start_broker(log_file=home / f"consumer-broker-{workers}w.log")
    try:
        await ensure_topics(broker.bootstrap, 3, all_topics())
        drop_service_databases(pg_dsn, [CONSUMER])
        issuer = TestIssuer(home / "auth")
        stack = Stack(pg_dsn=pg_dsn, kafka_bootstrap=broker.bootstrap, issuer=issuer)
        skus = [f"C-{uuid.uuid4().hex[:6].upper()}-{i}" for i in range(SKUS)]
        relay_per_s = await fill_topic(pg_dsn, broker.bootstrap, skus, events)
        say(f"consumer: {events} OrderConfirmed on the topic ({relay_per_s:,.0f}/s relayed)")
        with Supervisor(stack.env(), home / f"consumer-logs-{workers}w", workers) as sup:
            sup.ports[CONSUMER] = free_port()
            sup.spawn(CONSUMER, "api")
            await asyncio.to_thread(sup.wait_ready, [CONSUMER])
            await asyncio.to_thread(receive_stock, sup.url(CONSUMER), issuer, skus)
            keys = worker_roles(workers)
            for key in keys:
                sup.spawn(CONSUMER, key)
            watched = {
                f"{CONSUMER}-{key}": psutil.Process(sup.processes[(CONSUMER, key)].pid)
                for key in keys
            }
            watched.update(
                cpu.infrastructure(
                    pg_dsn, broker.bootstrap, broker.process.pid if broker.process else None
                )
            )
            say(f"consumer: {CONSUMER} with {workers} worker(s) applying them")
            first, first_at, cpu_start = 0, 0.0, {}
            deadline = time.monotonic() + max(120.0, events / 10)
            admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
            await admin.start()
            try:
                while True:
                    done = await asyncio.to_thread(tracked, pg_dsn, SERVICE)
                    now = time.monotonic()
                    # Timed from when every worker is in the group (no rebalance after).
                    if not first_at and await group_members(admin, CONSUMER) == workers:
                        first, first_at, cpu_start = done, now, cpu.snapshot(watched)
                    if first_at and done >= events:
                        seconds = now - first_at
                        break
                    if now > deadline:
                        raise TimeoutError(f"consumer stage: {done} of {events} applied")
                    await asyncio.sleep(0.05)
            finally:
                await admin.close()
            used = cpu.delta(cpu_start, cpu.snapshot(watched))
    finally:
        broker.stop()
        drop_service_databases(pg_dsn, [CONSUMER])
    applied = events - first
    return {
        "events_per_s": round(applied / seconds) if seconds > 0 else 0,
        "events": applied,
        "seconds": round(seconds, 2),
        "cpu_ms_per_event": round(sum(used.values()) * 1000 / applied, 3) if applied else None,
        "cpu_ms_per_event_by_process": {
            name: round(s * 1000 / applied, 3) for name, s in sorted(used.items())
        }
        if applied
        else {},
        "relay_fill_per_s": round(relay_per_s),
    }

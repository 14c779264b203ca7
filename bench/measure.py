"""The measurements of the event path beside their limits: append, relay, replay, growth."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from eventsourcing.persistence import StoredEvent
from oms_kit.eventstore import GroupCommitRecorder, Positions
from oms_kit.kafka import producer
from oms_kit.projection import ProjectionRunner
from oms_kit.relay import OutboxRelay
from oms_kit.service import Outbound
from psycopg.conninfo import conninfo_to_dict

from bench.app import BENCH_TOPIC, BenchApplication, BenchSettings, Item, ItemList, to_contract


@dataclass(frozen=True)
class Rate:
    """``count`` things done in ``seconds``."""

    count: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"count": self.count, "seconds": round(self.seconds, 3), "per_s": round(self.per_s)}


def asyncpg_params(dsn: str) -> dict[str, Any]:
    """asyncpg's connect() arguments for a libpq DSN (key/value or URI)."""
    p = conninfo_to_dict(dsn)
    return {
        "host": p.get("host") or "127.0.0.1",
        "port": int(p.get("port") or 5432),
        "user": p.get("user") or "postgres",
        "password": p.get("password") or None,
        "database": p.get("dbname"),
    }


def sample_stored_event(app: BenchApplication) -> StoredEvent:
    """One stored event in the library's format (what a real ``save`` writes)."""
    item = Item(name="sample-item", quantity=1)
    return app.mapper.to_stored_event(item.collect_events()[0])


# --- append ------------------------------------------------------------------------------


def append_ours(app: BenchApplication, events: int, clients: int = 16) -> Rate:
    """``clients`` threads, each saving one new aggregate (one event) per command."""
    per_client = max(1, events // clients)
    start = threading.Barrier(clients + 1)
    errors: list[BaseException] = []

    def client(n: int) -> None:
        start.wait()
        try:
            for i in range(per_client):
                app.save(Item(name=f"c{n}-{i}", quantity=1))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return Rate(per_client * clients, seconds)


RAW_EVENTS_DDL = """
CREATE TABLE IF NOT EXISTS bench_raw_events (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigserial,
    PRIMARY KEY (originator_id, originator_version)
);
CREATE UNIQUE INDEX IF NOT EXISTS bench_raw_events_nid ON bench_raw_events (notification_id);
"""


async def append_limit(dsn: str, sample: StoredEvent, events: int, connections: int = 8) -> Rate:
    """Raw asyncpg: single-row INSERT commits (autocommit) from ``connections``
    connections, into a table of the event table's shape."""
    params = asyncpg_params(dsn)
    setup = await asyncpg.connect(**params)
    await setup.execute(RAW_EVENTS_DDL)
    await setup.close()
    conns = [await asyncpg.connect(**params) for _ in range(connections)]
    per_conn = max(1, events // connections)
    insert = (
        "INSERT INTO bench_raw_events (originator_id, originator_version, topic, state) "
        "VALUES ($1, 1, $2, $3)"
    )

    async def writer(conn: asyncpg.Connection) -> None:
        stmt = await conn.prepare(insert)
        for _ in range(per_conn):
            await stmt.fetch(uuid.uuid4(), sample.topic, sample.state)

    try:
        t0 = time.perf_counter()
        await asyncio.gather(*(writer(c) for c in conns))
        seconds = time.perf_counter() - t0
    finally:
        for c in conns:
            await c.close()
    return Rate(per_conn * connections, seconds)


def fill_with_saves(app: BenchApplication, events: int, per_save: int = 500) -> None:
    """Store ``events`` more events quickly: large saves (one group, one transaction each)."""
    left = events
    while left > 0:
        n = min(per_save, left)
        app.save(*(Item(name=f"f{i}", quantity=1) for i in range(n)))
        left -= n


async def bulk_fill(app: BenchApplication, dsn: str, total: int) -> Rate:
    """Top the events table up to ``total`` rows with COPY, in the library's format (a real
    stored event's topic and state, each row its own aggregate id, version 1); the
    notification ids come from the table's own sequence. Nothing may be writing meanwhile."""
    sample = sample_stored_event(app)
    table = app.process_recorder.events_table_name  # type: ignore[attr-defined]
    conn = await asyncpg.connect(**asyncpg_params(dsn))
    try:
        have = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
        missing = max(0, total - have)
        t0 = time.perf_counter()
        chunk = 100_000
        done = 0
        while done < missing:
            n = min(chunk, missing - done)
            records = [(uuid.uuid4(), 1, sample.topic, sample.state) for _ in range(n)]
            await conn.copy_records_to_table(
                table,
                records=records,
                columns=["originator_id", "originator_version", "topic", "state"],
            )
            done += n
        await conn.execute(f"ANALYZE {table}")
        return Rate(missing, time.perf_counter() - t0)
    finally:
        await conn.close()


# --- relay -------------------------------------------------------------------------------


async def relay_ours(
    app: BenchApplication,
    settings: BenchSettings,
    until: int | None = None,
    *,
    outbound: Outbound = to_contract,
    topic: str | None = BENCH_TOPIC,
) -> Rate:
    """The kit's outbox relay, from position 0 to the last stored event (a relay of its own
    name, publishing to the bench topic, or with ``topic=None`` to the borrowed service's
    own), timed until its recorded position gets there."""
    last = until or app.recorder.max_notification_id() or 0
    relay = OutboxRelay(app, settings, outbound, name=f"bench-{uuid.uuid4().hex[:8]}")
    if topic is not None:
        relay.topic = topic
    stop = asyncio.Event()
    t0 = time.perf_counter()
    task = asyncio.create_task(relay.run(stop))
    try:
        # The relay's own note of the position it recorded: no query competing with it.
        while relay.position < last:
            if task.done():
                task.result()
                raise RuntimeError("the relay stopped")
            await asyncio.sleep(0.01)
        seconds = time.perf_counter() - t0
    finally:
        stop.set()
        await task
    if Positions(app).get(relay.position_name) < last:
        raise RuntimeError("the relay's recorded position is behind what it reported")
    return Rate(last, seconds)


async def relay_limit(app: BenchApplication, settings: BenchSettings, count: int) -> Rate:
    """A raw pipelined aiokafka producer (the kit's producer settings) sending the same
    messages, already serialised, keyed the same, to the same broker; all acks awaited."""
    relay = OutboxRelay(app, settings, to_contract, name="bench-limit")
    # The bench topic: on the service's own, its events were consumed by the e2e stack's
    # services after it (150,000 of them in a full run, read while "idle" and under load).
    relay.topic = BENCH_TOPIC
    notifications = await asyncio.to_thread(app.recorder.select_notifications, 1, count)
    messages = [relay.message(n) for n in notifications]
    client: AIOKafkaProducer = producer(settings.kafka_bootstrap)
    await client.start()
    try:
        t0 = time.perf_counter()
        acks = [
            await client.send(BENCH_TOPIC, value=m.value, key=m.key, headers=m.headers)
            for m in messages
        ]
        await asyncio.gather(*acks)
        seconds = time.perf_counter() - t0
    finally:
        await client.stop()
    return Rate(len(messages), seconds)


async def relay_limit_batches(app: BenchApplication, settings: BenchSettings, count: int) -> Rate:
    """The same raw producer and messages through aiokafka's batch API (one record batch
    per partition, ``send_batch``), the way the relay sends: what the broker and client
    take at best, shown beside the ratio (not part of it)."""
    relay = OutboxRelay(app, settings, to_contract, name="bench-limit")
    # The bench topic: on the service's own, its events were consumed by the e2e stack's
    # services after it (150,000 of them in a full run, read while "idle" and under load).
    relay.topic = BENCH_TOPIC
    notifications = await asyncio.to_thread(app.recorder.select_notifications, 1, count)
    messages = [relay.message(n) for n in notifications]
    client: AIOKafkaProducer = producer(settings.kafka_bootstrap)
    await client.start()
    try:
        t0 = time.perf_counter()
        sent = 0
        acks = []
        for i in range(0, len(messages), settings.relay_batch_size):
            _, ack = await relay.send_messages(client, messages[i : i + settings.relay_batch_size])
            acks.append(ack)
            sent += len(messages[i : i + settings.relay_batch_size])
        await asyncio.gather(*acks)
        seconds = time.perf_counter() - t0
    finally:
        await client.stop()
    return Rate(sent, seconds)


def median_rate(rates: list[Rate]) -> Rate:
    """The middle one of repeated measurements (by rate)."""
    return sorted(rates, key=lambda r: r.per_s)[len(rates) // 2]


# --- replay ------------------------------------------------------------------------------


def replay_ours(app: BenchApplication, batch_size: int, tail: int | None = None) -> Rate:
    """The kit's projection runner rebuilding a list read model (an upsert per event), or
    catching up the last ``tail`` events (the rows cleared, the position set before them)."""
    runner = ProjectionRunner(app, ItemList(app), batch_size=batch_size)
    if tail is None:
        t0 = time.perf_counter()
        read = runner.rebuild()
        return Rate(read, time.perf_counter() - t0)
    last = app.recorder.max_notification_id() or 0
    with app.datastore.transaction(commit=True) as cur:
        cur.execute("TRUNCATE bench_items")
        Positions(app).set(runner.view.position_name, max(0, last - tail), cur)
    t0 = time.perf_counter()
    read = runner.catch_up()
    return Rate(read, time.perf_counter() - t0)


RAW_ITEMS_DDL = (
    "CREATE TABLE IF NOT EXISTS bench_raw_items ("
    "item_id uuid PRIMARY KEY, name text NOT NULL, quantity int NOT NULL, "
    "actor text, position bigint NOT NULL)"
)


async def replay_limit(dsn: str, rows: int, per_transaction: int = 100) -> Rate:
    """Raw asyncpg: the same upserts, ``per_transaction`` rows per transaction
    (executemany), from one connection."""
    conn = await asyncpg.connect(**asyncpg_params(dsn))
    try:
        await conn.execute(RAW_ITEMS_DDL)
        await conn.execute("TRUNCATE bench_raw_items")
        stmt = (
            "INSERT INTO bench_raw_items (item_id, name, quantity, actor, position) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (item_id) DO UPDATE SET "
            "name = EXCLUDED.name, quantity = EXCLUDED.quantity, position = EXCLUDED.position"
        )
        data = [(uuid.uuid4(), f"item-{i}", 1, None, i) for i in range(rows)]
        t0 = time.perf_counter()
        for i in range(0, rows, per_transaction):
            async with conn.transaction():
                await conn.executemany(stmt, data[i : i + per_transaction])
        return Rate(rows, time.perf_counter() - t0)
    finally:
        await conn.close()


def group_stats(app: BenchApplication) -> dict[str, float]:
    recorder = app.recorder
    if not isinstance(recorder, GroupCommitRecorder) or not recorder.groups:
        return {}
    return {
        "groups": recorder.groups,
        "requests": recorder.grouped_requests,
        "mean_group": round(recorder.grouped_requests / recorder.groups, 1),
    }


async def in_thread(call: Callable[[], Any]) -> Any:
    return await asyncio.to_thread(call)


Measure = Callable[[], Awaitable[Rate]]

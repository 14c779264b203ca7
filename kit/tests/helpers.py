"""Small helpers for tests on the real broker and database."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from oms_dev.testing import wait_until  # noqa: F401 - re-exported for the kit tests


async def _read_topic(
    bootstrap: str, topic: str, idle_ms: int
) -> list[ConsumerRecord[bytes, bytes]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # refreshes metadata for every topic
        parts = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        # Read until the topic is quiet: the dev broker's end offsets are not reliable
        # (tansu 0.6 reports a wrong high watermark after multi-record batches).
        out: list[ConsumerRecord[bytes, bytes]] = []
        while batch := await consumer.getmany(timeout_ms=idle_ms):
            for records in batch.values():
                out.extend(records)
        return sorted(out, key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()


def read_topic(
    bootstrap: str, topic: str, idle_ms: int = 1500
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record now in ``topic``, partition by partition, each in offset order."""
    return asyncio.run(_read_topic(bootstrap, topic, idle_ms))


def envelope(record: ConsumerRecord[bytes, bytes]) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(record.value or b"")
    return value

"""Kafka clients built the same way everywhere: acks from all replicas, idempotence only
where the broker supports it (the dev broker does not), one partitioner, topics created up
front."""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from oms_contracts import dlq_topic, events_topic, registry

from oms_kit.settings import ServiceSettings


def partition_for(
    key: bytes | None, all_partitions: Sequence[int], available: Sequence[int] | None = None
) -> int:
    """The partition of a keyed message: CRC32 of the key modulo the partition count, as
    librdkafka's "consistent" partitioner. Every OMS producer uses it (the relay's batches
    and ``send``), so a key's messages stay in one partition, in order. CRC32 rather than
    the Java client's murmur2, which in Python costs more than the rest of adding a
    record to a batch; nothing outside OMS publishes to its topics."""
    partitions = sorted(all_partitions)
    if key is None:
        return partitions[0]
    return partitions[zlib.crc32(key) % len(partitions)]


def producer(bootstrap: str, *, idempotence: bool = False) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        partitioner=partition_for,
        acks="all",
        enable_idempotence=idempotence,
        linger_ms=2,
        max_batch_size=256 * 1024,
        max_request_size=2 * 1024 * 1024,
        request_timeout_ms=15000,
    )


def service_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    return producer(settings.kafka_bootstrap, idempotence=settings.kafka_idempotence)


def all_topics() -> list[str]:
    """Every service's events and dead letters (the dev stack creates them all)."""
    return [t for s in registry.sources() for t in (events_topic(s), dlq_topic(s))]


async def ensure_topics(
    bootstrap: str,
    partitions: int,
    topics: list[str] | None = None,
    replication: int = 1,
) -> None:
    """Create the topics that do not exist yet (default: every service's, all_topics())."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [t for t in (topics or all_topics()) if t not in existing]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):  # created concurrently
                await admin.create_topics(
                    [
                        NewTopic(t, num_partitions=partitions, replication_factor=replication)
                        for t in wanted
                    ]
                )
    finally:
        await admin.close()

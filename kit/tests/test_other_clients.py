"""A Kafka client that is not aiokafka (librdkafka, as Go, Node and .NET consumers use)
reads every topic in a consumer group, and each message validates against the checked-in
JSON Schema of its event."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from confluent_kafka import Consumer
from jsonschema import Draft202012Validator
from oms_dev.testing import Stack
from oms_kit.kafka import all_topics
from oms_kit.relay import OutboxRelay
from sample.app import orders_app, to_contract
from test_relay import write_customers

SCHEMAS = Path(__file__).resolve().parents[2] / "contracts" / "schemas"


def test_librdkafka_reads_every_topic_and_messages_match_the_schemas(stack: Stack) -> None:
    app, settings = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    versions = write_customers(app, customers=10, renames=2)
    expected = sum(versions.values())
    assert asyncio.run(OutboxRelay(app, settings, to_contract).republish(0)) == expected

    consumer = Consumer(
        {
            "bootstrap.servers": stack.kafka_bootstrap,
            "group.id": "partner-system",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe(all_topics())
    received = []
    deadline = time.monotonic() + 60
    try:
        while len(received) < expected and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            received.append(msg)
            consumer.commit(msg, asynchronous=False)
        assignment = {tp.topic for tp in consumer.assignment()}
    finally:
        consumer.close()

    assert assignment == set(all_topics())  # it was given every topic's partitions
    assert len(received) == expected
    for msg in received:
        data = json.loads(msg.value())
        schema_file = (
            SCHEMAS / data["source"] / f"{data['event_type']}.v{data['event_version']}.json"
        )
        Draft202012Validator(json.loads(schema_file.read_text())).validate(data)
        assert msg.key().decode() == data["aggregate_id"]
        assert dict(msg.headers() or [])["event_type"].decode() == data["event_type"]

"""The outbox relay: the event store's notification log *is* the outbox.

It follows the log, maps each domain event to its public contract event, publishes it keyed
by aggregate id with pipelined sends, waits for the broker's acks, and only then records its
position. A crash between publish and record republishes the tail; consumers drop the
repeats by their tracking records (DESIGN section 2).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.producer.message_accumulator import BatchBuilder
from eventsourcing.persistence import Notification
from oms_contracts import Envelope, events_topic
from opentelemetry import trace

from oms_kit.eventstore import Positions, ServiceApplication
from oms_kit.feed import NotificationFeed
from oms_kit.kafka import partition_for, service_producer
from oms_kit.service import Outbound
from oms_kit.settings import ServiceSettings
from oms_kit.telemetry import context_from, tracer

log = logging.getLogger(__name__)

#: Typed Any: the payload is serialised by its own class, with all its fields.
AnyEnvelope = Envelope[Any]

EVENT_ID_NAMESPACE = UUID("6f1c3f0e-3d5e-4f57-9a51-0e6c2f7b9d11")


@dataclass(frozen=True)
class OutboundMessage:
    position: int
    key: bytes
    value: bytes | None  # None: the domain event has no public contract; nothing to send
    headers: list[tuple[str, bytes]]


def event_id(service: str, aggregate_id: str, version: int) -> UUID:
    """Stable across republishing, so consumers may also deduplicate by it."""
    return uuid5(EVENT_ID_NAMESPACE, f"{service}/{aggregate_id}/{version}")


class OutboxRelay:
    def __init__(
        self,
        app: ServiceApplication,
        settings: ServiceSettings,
        outbound: Outbound,
        *,
        name: str = "kafka",
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
    ) -> None:
        self.app = app
        self.service = settings.service
        self.topic = events_topic(settings.service)
        self.name = name
        self.outbound = outbound
        self.batch_size = settings.relay_batch_size
        #: Batches sent and not yet acked at a time.
        self.max_in_flight = 4
        self.positions = Positions(app)
        self._producer_factory = producer_factory or (lambda: service_producer(settings))
        self._tracer = tracer("oms_kit.relay")
        #: The last position recorded by this process (the table holds it durably).
        self.position = 0

    @property
    def position_name(self) -> str:
        return f"relay:{self.name}"

    def message(self, notification: Notification) -> OutboundMessage:
        """The Kafka message for one stored event (value None when it stays private)."""
        domain_event, meta = self.app.metadata_mapper.with_metadata(notification)
        aggregate_id = str(notification.originator_id)
        key = aggregate_id.encode()
        contract = self.outbound(domain_event)
        if contract is None:
            return OutboundMessage(notification.id, key, None, [])
        eid = event_id(self.service, aggregate_id, notification.originator_version)
        correlation_id = meta.get("correlation_id")
        envelope = AnyEnvelope(
            event_id=eid,
            event_type=contract.event_type,
            event_version=contract.event_version,
            occurred_at=getattr(domain_event, "timestamp"),  # noqa: B009 - every event has it
            source=self.service,
            source_position=notification.id,
            aggregate_id=aggregate_id,
            aggregate_version=notification.originator_version,
            correlation_id=correlation_id,
            causation_id=meta.get("causation_id"),
            payload=contract,
        )
        # correlation_id as a header too: consumers built on FastStream (other systems')
        # read it there, and otherwise make up a random one per message.
        headers = [
            ("event_type", contract.event_type.encode()),
            ("correlation_id", (correlation_id or str(eid)).encode()),
        ]
        parent = context_from(meta.get("traceparent"))
        if parent is not None:
            # A producer span in the change's trace; its context goes in the header. Built
            # without making it current (that costs as much as the rest of the mapping).
            span = self._tracer.start_span(
                f"publish {contract.event_type}",
                context=parent,
                kind=trace.SpanKind.PRODUCER,
                attributes={"messaging.destination.name": self.topic},
            )
            ctx = span.get_span_context()
            span.end()
            traceparent = f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"
            headers.append(("traceparent", traceparent.encode()))
        return OutboundMessage(notification.id, key, envelope.model_dump_json().encode(), headers)

    async def publish(self, producer: AIOKafkaProducer, notifications: list[Notification]) -> int:
        """Send a batch pipelined, wait for every ack; returns the last position."""
        position, acks = await self.send(producer, notifications)
        await acks
        return position

    async def send(
        self, producer: AIOKafkaProducer, notifications: list[Notification]
    ) -> tuple[int, asyncio.Future[Any]]:
        """Map and send a batch without waiting for the acks; returns its last position and
        a future of its acks.

        The messages go into one record batch per partition, built here and handed to the
        producer whole (``send_batch``): per message that costs a fraction of
        ``producer.send``, which queues, partitions and checks each message on its own.
        The partition is the kit's partitioner's (:func:`partition_for`), the one its
        producers use for ``send`` too, so a key's messages stay in one partition; batches
        of one partition leave in order."""
        messages = await asyncio.to_thread(lambda: [self.message(n) for n in notifications])
        return await self.send_messages(producer, messages)

    async def send_messages(
        self, producer: AIOKafkaProducer, messages: list[OutboundMessage]
    ) -> tuple[int, asyncio.Future[Any]]:
        """:meth:`send` for messages already mapped."""
        partitions = sorted(await producer.partitions_for(self.topic))
        builders: dict[int, BatchBuilder] = {}
        acks: list[asyncio.Future[Any]] = []
        for m in messages:
            if m.value is None:
                continue
            partition = partition_for(m.key, partitions)
            builder = builders.get(partition)
            if builder is None:
                builder = builders[partition] = producer.create_batch()
            if builder.append(key=m.key, value=m.value, timestamp=None, headers=m.headers) is None:
                # Full: send it and start the partition's next batch with this message.
                acks.append(await producer.send_batch(builder, self.topic, partition=partition))
                builder = builders[partition] = producer.create_batch()
                if (
                    builder.append(key=m.key, value=m.value, timestamp=None, headers=m.headers)
                    is None
                ):
                    raise ValueError(f"message at position {m.position} exceeds the batch size")
        for partition, builder in builders.items():
            acks.append(await producer.send_batch(builder, self.topic, partition=partition))
        return messages[-1].position, asyncio.gather(*acks)

    async def _read(self, feed: NotificationFeed, wait: float) -> list[OutboundMessage]:
        return await asyncio.to_thread(lambda: [self.message(n) for n in feed.next_batch(wait)])

    async def run(self, stop: asyncio.Event, *, retry_delay: float = 1.0) -> None:
        """Relay until ``stop`` is set; on any broker or database error start over from the
        last recorded position."""
        while not stop.is_set():
            try:
                await self._run_once(stop)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "relay %s/%s failed; restarting from the recorded position",
                    self.service,
                    self.name,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=retry_delay)

    async def _run_once(self, stop: asyncio.Event) -> None:
        """Follow the log with up to ``max_in_flight`` batches sent and not yet acked: the
        next batch is mapped and sent while the broker acks the previous ones. The position
        moves only past batches whose every ack came back, in log order."""
        producer = self._producer_factory()
        await producer.start()
        in_flight: deque[tuple[int, asyncio.Future[Any]]] = deque()
        try:
            position = await asyncio.to_thread(self.positions.get, self.position_name)
            with NotificationFeed(self.app.recorder, position, self.batch_size) as feed:
                # After a full batch the next one is read and mapped (in a thread) while
                # this one is sent; after a short one, its acks are awaited first.
                reading: asyncio.Future[list[OutboundMessage]] | None = None
                try:
                    while not stop.is_set():
                        if reading is None:
                            # Wait long only when nothing is waiting for acks.
                            wait = 0.5 if not in_flight else 0.0
                            reading = asyncio.ensure_future(self._read(feed, wait))
                        messages = await reading
                        reading = None
                        full = len(messages) >= self.batch_size
                        if full:  # more is waiting: read it while this batch is sent
                            reading = asyncio.ensure_future(self._read(feed, 0.0))
                        if messages:
                            in_flight.append(await self.send_messages(producer, messages))
                        if not in_flight:
                            continue
                        if not full or len(in_flight) >= self.max_in_flight:
                            await in_flight[0][1]  # the oldest batch must be acked first
                        acked = None
                        while in_flight and in_flight[0][1].done():
                            last, acks = in_flight.popleft()
                            acks.result()  # raises a send error: start over from the position
                            acked = last
                        if acked is not None:
                            await asyncio.to_thread(self.positions.set, self.position_name, acked)
                            self.position = acked
                finally:
                    if reading is not None:  # the feed must outlive its reader thread
                        await asyncio.gather(reading, return_exceptions=True)
        finally:
            for _, acks in in_flight:
                acks.cancel()
            await producer.stop()

    #: Attempts per batch of a republish, and the first pause between them (doubled).
    republish_attempts = 6
    republish_pause_s = 0.5

    async def republish(
        self,
        start_after: int,
        until: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Publish the stored events after ``start_after`` (up to ``until``) once, without
        moving the live relay's position: for ``oms republish`` after a broker loss. A batch
        the broker refuses (a broker just replaced answers errors for a moment) is sent
        again with a new producer, after a pause: sending twice is harmless, consumers drop
        repeats by their tracking records."""
        producer = self._producer_factory()
        await producer.start()
        sent = 0
        try:
            position = start_after
            while True:
                batch = await asyncio.to_thread(
                    self.app.recorder.select_notifications,
                    position + 1,
                    self.batch_size,
                    until,
                )
                if not batch:
                    return sent
                for attempt in range(1, self.republish_attempts + 1):
                    try:
                        position = await self.publish(producer, list(batch))
                        break
                    except KafkaError:
                        if attempt == self.republish_attempts:
                            raise
                        log.warning(
                            "republish %s: the broker refused a batch; sending it again",
                            self.service,
                            exc_info=True,
                        )
                        await producer.stop()
                        await asyncio.sleep(self.republish_pause_s * 2 ** (attempt - 1))
                        producer = self._producer_factory()
                        await producer.start()
                sent += len(batch)
                if progress:
                    progress(len(batch))
        finally:
            await producer.stop()

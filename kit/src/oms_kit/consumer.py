"""The exactly-once consumer: a faststream subscriber that hands each contract event to the
local Application. The events it causes and a tracking record (source service, source
position) are written in one transaction, so a redelivered or republished event changes
nothing. Offsets are acknowledged only after that commit; they are an optimisation.

A message that cannot be parsed or applied goes to the service's dead-letter topic with
the error, and the consumer carries on. Infrastructure failures (database or broker down)
are raised instead, so the message is redelivered once they recover.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio
import psycopg
from aiokafka.structs import ConsumerRecord
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, Tracking
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from oms_contracts import ContractEvent, Envelope, InvalidMessage, dlq_topic, events_topic
from oms_contracts import parse_message as parse_contract_message
from opentelemetry import trace

from oms_kit.context import metadata_scope
from oms_kit.eventstore import ServiceApplication
from oms_kit.service import Handler, Inbound, Received
from oms_kit.telemetry import context_from, kafka_headers_traceparent, tracer

log = logging.getLogger(__name__)

#: Errors that mean "try again later", never "this message is bad".
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    OperationalError,
    InterfaceError,
    OSError,
)

MAX_CONFLICT_RETRIES = 10
TRANSIENT_BACKOFF_S = 1.0
#: How long the broker may hold a fetch that finds nothing (a long poll: a fetch returns as
#: soon as data is there). At 20 ms an idle worker sent 50 fetches a second, 3.5 % of a core
#: per consumer and most of an idle stack's broker load; at 200 ms, 0.4 %, and a message on
#: a quiet topic arrives about 13 ms later than at 20 ms (median; measured on the dev broker).
FETCH_MAX_WAIT_MS = 200
#: How long one take of a batch waits for records; FastStream then pauses as long before the
#: next take when there were none, so this bounds what an idle consumer adds to a hop (its
#: default, 200 ms, added 100 ms on average to the first message after a pause).
BATCH_TIMEOUT_MS = 25
BATCH_MAX_RECORDS = 200
#: Worker threads per batch; their saves meet in the event store's group commit.
BATCH_PARALLEL = 8


def received(envelope: Envelope[dict[str, Any]]) -> Received:
    return Received(
        source=envelope.source,
        source_position=envelope.source_position,
        aggregate_id=envelope.aggregate_id,
        aggregate_version=envelope.aggregate_version,
        occurred_at=envelope.occurred_at,
    )


@dataclass(frozen=True)
class DeadLetter:
    reason: str


@dataclass(frozen=True)
class Outcome:
    status: str  # "applied" | "duplicate" | "ignored" | "dead-letter"
    dead_letter: DeadLetter | None = None


class ExactlyOnceConsumer:
    """Consumes the topics of the inbound's sources for ``service`` in consumer group
    ``service``, handing each contract event to its handler."""

    def __init__(self, app: ServiceApplication, service: str, inbound: Inbound[Any]) -> None:
        self.app = app
        self.service = service
        self.topics = [events_topic(s) for s in inbound.sources]
        self.handlers: dict[type[ContractEvent], Handler[Any]] = dict(inbound.handlers)
        #: Event types this consumer applies; others are ignored unread (see run_chain).
        self.handled_types = {model.event_type.encode() for model in self.handlers}
        #: Held around handler and commit of the handlers marked ``one_at_a_time``.
        self._one_at_a_time = threading.Lock()
        self.dlq = dlq_topic(service)
        self._tracer = tracer("oms_kit.consumer")

    # The synchronous core, run in a worker thread: eventsourcing is synchronous.
    def process(self, raw: bytes | None, traceparent: str | None = None) -> Outcome:
        try:
            envelope, event = parse_contract_message(raw or b"")
        except InvalidMessage as exc:
            return Outcome("dead-letter", DeadLetter(str(exc)))
        handler = self.handlers.get(type(event))
        if handler is None:
            return Outcome("ignored")  # an event this service has no use for
        tracking = Tracking(envelope.source, envelope.source_position)
        with (
            self._tracer.start_as_current_span(
                f"consume {envelope.event_type}",
                context=context_from(traceparent),
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "kafka",
                    "oms.consumer": self.service,
                    "oms.source": envelope.source,
                    "oms.source_position": envelope.source_position,
                },
            ),
            metadata_scope(
                correlation_id=envelope.correlation_id or str(envelope.event_id),
                causation_id=str(envelope.event_id),
                actor=f"service:{envelope.source}",
            ),
        ):
            if handler.one_at_a_time:
                with self._one_at_a_time:
                    return self._apply(handler, event, envelope, tracking)
            return self._apply(handler, event, envelope, tracking)

    def _apply(
        self,
        handler: Handler[Any],
        event: ContractEvent,
        envelope: Envelope[dict[str, Any]],
        tracking: Tracking,
    ) -> Outcome:
        for attempt in range(MAX_CONFLICT_RETRIES):
            # The tracking row is looked up only once something went wrong: otherwise its
            # insert, in the transaction with the events, is the check (a repeat fails it).
            if attempt and self.app.is_processed(tracking):
                return Outcome("duplicate")
            try:
                changed = handler.react(self.app, event, received(envelope))
            except TRANSIENT_ERRORS:
                raise
            except Exception as exc:
                if self.app.is_processed(tracking):
                    return Outcome("duplicate")  # a repeat the handler refused
                log.warning(
                    "%s cannot apply %s from %s@%s: %s",
                    self.service,
                    envelope.event_type,
                    envelope.source,
                    envelope.source_position,
                    exc,
                )
                return Outcome("dead-letter", DeadLetter(f"{type(exc).__name__}: {exc}"))
            try:
                self.app.record_reaction(changed, tracking)
            except IntegrityError:
                # Either the tracking record exists (processed concurrently: duplicate) or
                # an aggregate moved on (version conflict): check, and retry the handler.
                continue
            return Outcome("applied")
        raise RuntimeError(f"{envelope.event_type}: still conflicting after retries")

    def attach(self, broker: KafkaBroker) -> None:
        """Subscribe on ``broker`` in batches; the batch is acknowledged after every message
        in it was committed (or dead-lettered), and redelivered when one failed transiently
        (what was already applied is then dropped as a repeat)."""
        if not self.topics:
            return

        @broker.subscriber(
            *self.topics,
            group_id=self.service,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            batch=True,
            max_records=BATCH_MAX_RECORDS,
            batch_timeout_ms=BATCH_TIMEOUT_MS,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        )
        async def on_batch(msg: KafkaMessage) -> None:
            records = [r for r in msg.raw_message if isinstance(r, ConsumerRecord)]
            try:
                outcomes = await self.process_batch(records)
            except TRANSIENT_ERRORS:
                # Not the messages' fault: wait a little, then let them be redelivered.
                log.warning(
                    "%s: dependency unavailable; the batch will be redelivered",
                    self.service,
                    exc_info=True,
                )
                await anyio.sleep(TRANSIENT_BACKOFF_S)
                raise
            for record, outcome in outcomes:
                if outcome.dead_letter is not None:
                    await self.dead_letter(broker, record, outcome.dead_letter.reason)

    async def process_batch(
        self, records: list[ConsumerRecord[Any, Any]]
    ) -> list[tuple[ConsumerRecord[Any, Any], Outcome]]:
        """Process a batch: the records of one key (one source aggregate) one after the
        other in offset order, different keys side by side in worker threads, so that their
        commits share the event store's group commits."""
        chains: dict[tuple[str, object], list[ConsumerRecord[Any, Any]]] = {}
        for record in records:
            key = record.key if record.key is not None else f"{record.partition}/{record.offset}"
            chains.setdefault((record.topic, key), []).append(record)
        results: dict[int, tuple[ConsumerRecord[Any, Any], Outcome]] = {}
        limiter = anyio.CapacityLimiter(BATCH_PARALLEL)

        def apply_chain(chain: list[tuple[ConsumerRecord[Any, Any], str | None]]) -> None:
            for record, traceparent in chain:
                results[id(record)] = (record, self.process(record.value, traceparent))

        async def run_chain(chain: list[ConsumerRecord[Any, Any]]) -> None:
            # One trip to a worker thread per chain, not per record: each trip is a hand-off
            # of the GIL both ways, which cost more than parsing the record.
            todo = []
            for record in chain:
                headers = list(record.headers or [])
                if self._ignorable(headers):
                    results[id(record)] = (record, Outcome("ignored"))
                else:
                    todo.append((record, kafka_headers_traceparent(headers)))
            if todo:
                await anyio.to_thread.run_sync(apply_chain, todo, limiter=limiter)

        async with anyio.create_task_group() as group:
            for chain in chains.values():
                group.start_soon(run_chain, chain)
        return [results[id(r)] for r in records]

    def _ignorable(self, headers: list[tuple[str, bytes]]) -> bool:
        """Whether the relay's ``event_type`` header names an event this consumer has no
        handler for: most of a topic's events are of no use to a given consumer, and
        parsing and validating each (in a worker thread) was most of its cost. A message
        without the header is read in full, and dead-lettered if it is not valid."""
        for key, value in headers:
            if key == "event_type":
                return value not in self.handled_types
        return False

    async def dead_letter(
        self, broker: KafkaBroker, record: ConsumerRecord[Any, Any], reason: str
    ) -> None:
        headers = {k: v.decode("utf-8", "replace") for k, v in (record.headers or [])}
        headers.update(
            {
                "oms-error": reason[:4000],
                "oms-consumer": self.service,
                "oms-source-topic": str(record.topic),
                "oms-source-partition": str(record.partition),
                "oms-source-offset": str(record.offset),
                "oms-failed-at": datetime.now(UTC).isoformat(),
            }
        )
        await broker.publish(record.value or b"", topic=self.dlq, key=record.key, headers=headers)

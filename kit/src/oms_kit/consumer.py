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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import anyio
import psycopg
from aiokafka.structs import ConsumerRecord
from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, Tracking
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from oms_contracts import ContractEvent, Envelope, InvalidMessage, dlq_topic, events_topic
from oms_contracts import parse_message as parse_contract_message
from opentelemetry import trace

from oms_kit.context import metadata_scope
from oms_kit.eventstore import ServiceApplication
from oms_kit.telemetry import context_from, kafka_headers_traceparent, tracer

log = logging.getLogger(__name__)

#: Applies one contract event: loads aggregates from the application, changes them and
#: collects them on the processing event. It must not save: the consumer does, once.
Handler = Callable[[ContractEvent, Envelope[dict[str, Any]], ProcessingEvent[UUID]], None]

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
FETCH_MAX_WAIT_MS = 20


@dataclass(frozen=True)
class DeadLetter:
    reason: str


@dataclass(frozen=True)
class Outcome:
    status: str  # "applied" | "duplicate" | "ignored" | "dead-letter"
    dead_letter: DeadLetter | None = None


class ExactlyOnceConsumer:
    """Consumes the topics of ``sources`` for ``service`` in consumer group ``service``."""

    def __init__(
        self,
        app: ServiceApplication,
        service: str,
        sources: list[str],
        handlers: Mapping[type[ContractEvent], Handler],
    ) -> None:
        self.app = app
        self.service = service
        self.topics = [events_topic(s) for s in sources]
        self.handlers = dict(handlers)
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
            return self._apply(handler, event, envelope, tracking)

    def _apply(
        self,
        handler: Handler,
        event: ContractEvent,
        envelope: Envelope[dict[str, Any]],
        tracking: Tracking,
    ) -> Outcome:
        for _attempt in range(MAX_CONFLICT_RETRIES):
            if self.app.is_processed(tracking):
                return Outcome("duplicate")
            processing: ProcessingEvent[UUID] = ProcessingEvent(tracking=tracking)
            try:
                handler(event, envelope, processing)
            except TRANSIENT_ERRORS:
                raise
            except Exception as exc:
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
                self.app.record_processing(processing)
            except IntegrityError:
                # Either the tracking record exists (processed concurrently: duplicate) or
                # an aggregate moved on (version conflict): check, and retry the handler.
                continue
            return Outcome("applied")
        raise RuntimeError(f"{envelope.event_type}: still conflicting after retries")

    def attach(self, broker: KafkaBroker) -> None:
        """Subscribe on ``broker``; acknowledgement comes after the commit (NACK on error)."""
        if not self.topics:
            return

        @broker.subscriber(
            *self.topics,
            group_id=self.service,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            # The default (500 ms) is added to every hop between services when the topic is
            # quiet; the broker answers as soon as data arrives, so a short wait costs little.
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        )
        async def on_message(msg: KafkaMessage) -> None:
            record = msg.raw_message
            assert isinstance(record, ConsumerRecord)
            headers = list(record.headers or [])
            try:
                outcome = await anyio.to_thread.run_sync(
                    self.process, record.value, kafka_headers_traceparent(headers)
                )
            except TRANSIENT_ERRORS:
                # Not the message's fault: wait a little, then let it be redelivered.
                log.warning(
                    "%s: dependency unavailable; the message will be redelivered",
                    self.service,
                    exc_info=True,
                )
                await anyio.sleep(TRANSIENT_BACKOFF_S)
                raise
            if outcome.dead_letter is not None:
                await self.dead_letter(broker, record, outcome.dead_letter.reason)

        self.handler = on_message

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

"""The exactly-once consumer: takes batches of contract events off the service's source
topics (an aiokafka consumer in the service's group) and hands each to the local
Application. The events it causes and a tracking record (source service, source position)
are written in one transaction, so a redelivered or republished event changes nothing.
Offsets are committed only after that commit; they are an optimisation.

A message that cannot be parsed or applied goes to the service's dead-letter topic with
the error, and the consumer carries on. Infrastructure failures (database or broker down)
stop the batch instead, and it is taken again once they recover.

The loop is aiokafka's own ``getmany``, not a consumer framework: FastStream's per-batch
machinery (middlewares, dependency injection, task hops) was 6-14 % of a busy worker's CPU,
and its short takes woke an idle worker 40 times a second.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, Tracking
from oms_contracts import ContractEvent, Envelope, InvalidMessage, dlq_topic, events_topic
from oms_contracts import parse_message as parse_contract_message
from opentelemetry import trace

from oms_kit.context import metadata_scope
from oms_kit.eventstore import ServiceApplication
from oms_kit.kafka import producer
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
#: The wait of an idle consumer's fetches: once a take found nothing for ``IDLE_TAKE_MS``,
#: until records come again. Five fetches a second from each of six idle workers were most
#: of the dev broker's idle CPU (3.9 % of a core; 1.2 % at one a second, 0.9 % at one in two
#: seconds). Kafka answers a long poll as soon as a record arrives, so there this costs
#: nothing; the dev broker (tansu) answers late (a record's median delay, measured: 39 ms
#: at 200 ms, 152 ms at 1,000 ms, 347 ms at 2,000 ms), so on it the first record after a
#: quiet spell comes some 300 ms later per hop.
IDLE_FETCH_MAX_WAIT_MS = 2000
#: How long one take of a batch waits for records when there are none (it returns as soon
#: as a fetch brings any, so this only says how often an idle consumer wakes up).
IDLE_TAKE_MS = 5000
BATCH_MAX_RECORDS = 200
#: Offsets are committed at most this often while records keep coming, and at once when a
#: take finds nothing or the consumer stops. An offset commit per batch was a request and
#: its answer per batch per worker (under load batches are a few records); what a crash
#: leaves uncommitted is taken again and dropped as repeats (tracking), as before.
COMMIT_EVERY_S = 1.0
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


#: A batch as aiokafka's ``getmany`` gives it: the records of each partition, in order.
Taken = dict[TopicPartition, list[ConsumerRecord[Any, Any]]]


def _fetch_wait(consumer: AIOKafkaConsumer, wait_ms: int) -> bool:
    """Make the consumer's next fetches wait up to ``wait_ms`` for records. aiokafka has no
    public setter; its fetcher reads this attribute at each fetch request (aiokafka is
    pinned; a version without it keeps the wait it was built with). True if set."""
    fetcher = getattr(consumer, "_fetcher", None)
    if fetcher is None or not hasattr(fetcher, "_fetch_max_wait_ms"):
        return False
    fetcher._fetch_max_wait_ms = wait_ms
    return True


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
        self._dlq_producer: AIOKafkaProducer | None = None
        #: The next offset of each partition whose applied batches are not committed yet.
        self._uncommitted: dict[TopicPartition, int] = {}
        self._tracer = tracer("oms_kit.consumer")
        #: The threads a batch's chains are applied in, side by side.
        self._threads = ThreadPoolExecutor(BATCH_PARALLEL, thread_name_prefix=f"{service}-apply")

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

    async def run(self, bootstrap: str, stop: asyncio.Event) -> None:
        """Consume in consumer group ``service`` until ``stop`` is set: take a batch, apply
        it (see :meth:`process_batch`), dead-letter what cannot be applied, then commit the
        offsets (see ``COMMIT_EVERY_S``). A batch that fails (the database or broker is
        down) is taken again from its first record after a pause; what was already applied
        is then dropped as a repeat. Several workers of a service share the partitions (the
        group)."""
        if not self.topics:
            await stop.wait()
            return
        consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=bootstrap,
            group_id=self.service,
            client_id=f"oms-{self.service}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            max_poll_records=BATCH_MAX_RECORDS,
        )
        consuming = asyncio.create_task(self._consume(consumer, bootstrap))
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({consuming, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            consuming.cancel()
            await asyncio.gather(consuming, stopping, return_exceptions=True)
            try:
                await self._commit(consumer)
            except Exception:
                log.warning("%s: offsets not committed at stop", self.service, exc_info=True)
            await consumer.stop()
            if self._dlq_producer is not None:
                await self._dlq_producer.stop()
                self._dlq_producer = None

    async def _consume(self, consumer: AIOKafkaConsumer, bootstrap: str) -> None:
        """The loop of :meth:`run`; it ends only when cancelled."""
        idle = False
        committed_at = time.monotonic()
        while True:
            try:
                await consumer.start()
                break
            except KafkaError as exc:  # the broker is not there yet
                log.warning("%s: cannot join the consumer group yet: %s", self.service, exc)
                await asyncio.sleep(TRANSIENT_BACKOFF_S)
        while True:
            # A long take costs nothing when records come: it returns with the first
            # fetch that has any. (FastStream, used before, took batches 25 ms at a time
            # and paused as long after an empty take: 40 wake-ups a second when idle.)
            try:
                taken = await consumer.getmany(
                    timeout_ms=IDLE_TAKE_MS, max_records=BATCH_MAX_RECORDS
                )
            except KafkaError as exc:
                log.warning("%s: cannot take a batch: %s", self.service, exc)
                await asyncio.sleep(TRANSIENT_BACKOFF_S)
                continue
            if not taken:
                await self._commit(consumer)
                idle = _fetch_wait(consumer, IDLE_FETCH_MAX_WAIT_MS)
                continue
            if idle:
                idle = not _fetch_wait(consumer, FETCH_MAX_WAIT_MS)
            records = [record for batch in taken.values() for record in batch]
            try:
                outcomes = await self.process_batch(records)
                for record, outcome in outcomes:
                    if outcome.dead_letter is not None:
                        await self.dead_letter(bootstrap, record, outcome.dead_letter.reason)
            except Exception as exc:
                if isinstance(exc, (*TRANSIENT_ERRORS, KafkaError)):
                    # Not the messages' fault: wait a little, then take them again.
                    log.warning(
                        "%s: dependency unavailable; the batch will be taken again: %s",
                        self.service,
                        exc,
                    )
                else:
                    log.exception("%s: the batch failed; it will be taken again", self.service)
                await asyncio.sleep(TRANSIENT_BACKOFF_S)
                self._rewind(consumer, taken)
                continue
            self._uncommitted.update(
                {tp: batch[-1].offset + 1 for tp, batch in taken.items() if batch}
            )
            if time.monotonic() - committed_at >= COMMIT_EVERY_S:
                await self._commit(consumer)
                committed_at = time.monotonic()

    async def _commit(self, consumer: AIOKafkaConsumer) -> None:
        """Commit the offsets of the batches applied since the last commit, on the
        partitions still this worker's."""
        assigned = consumer.assignment()
        offsets = {tp: o for tp, o in self._uncommitted.items() if tp in assigned}
        self._uncommitted.clear()
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except KafkaError as exc:
            # The partitions moved to another worker meanwhile (a rebalance): it takes the
            # batches again from the last commit, and drops what was applied.
            log.info("%s: offsets not committed (%s); records may come again", self.service, exc)

    def _rewind(self, consumer: AIOKafkaConsumer, taken: Taken) -> None:
        """Take the batch again from its first record, on the partitions still ours."""
        assigned = consumer.assignment()
        for tp, batch in taken.items():
            if batch and tp in assigned:
                consumer.seek(tp, batch[0].offset)

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

        def apply_chain(chain: list[tuple[ConsumerRecord[Any, Any], str | None]]) -> None:
            for record, traceparent in chain:
                results[id(record)] = (record, self.process(record.value, traceparent))

        # One trip to a worker thread per chain, not per record: each trip is a hand-off of
        # the GIL both ways, which cost more than parsing the record. Plain executor futures:
        # anyio's task group and thread trips (used before) cost a worker's event loop a
        # sixth of its time (cancel scopes, limiter, backend lookups per trip).
        loop = asyncio.get_running_loop()
        trips = []
        for chain in chains.values():
            todo = []
            for record in chain:
                headers = list(record.headers or [])
                if self._ignorable(headers):
                    results[id(record)] = (record, Outcome("ignored"))
                else:
                    todo.append((record, kafka_headers_traceparent(headers)))
            if todo:
                trips.append(loop.run_in_executor(self._threads, apply_chain, todo))
        if trips:
            every = asyncio.gather(*trips, return_exceptions=True)
            try:
                done = await asyncio.shield(every)
            except asyncio.CancelledError:
                await every  # the threads finish what they began before this stops
                raise
            for outcome in done:
                if isinstance(outcome, BaseException):
                    raise outcome
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
        self, bootstrap: str, record: ConsumerRecord[Any, Any], reason: str
    ) -> None:
        """Publish ``record`` as it came to the service's dead-letter topic, with why it could
        not be applied and where it came from in ``oms-*`` headers (``oms dlq``)."""
        headers = [(k, v) for k, v in (record.headers or []) if not k.startswith("oms-")]
        headers += [
            (k, v.encode())
            for k, v in {
                "oms-error": reason[:4000],
                "oms-consumer": self.service,
                "oms-source-topic": str(record.topic),
                "oms-source-partition": str(record.partition),
                "oms-source-offset": str(record.offset),
                "oms-failed-at": datetime.now(UTC).isoformat(),
            }.items()
        ]
        if self._dlq_producer is None:  # started at the first dead letter: rare
            self._dlq_producer = producer(bootstrap)
            await self._dlq_producer.start()
        await self._dlq_producer.send_and_wait(
            self.dlq, record.value or b"", key=record.key, headers=headers
        )

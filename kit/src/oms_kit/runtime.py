"""Run a service's processes: the HTTP API, and the worker (outbox relay, exactly-once
consumer, projection runners, background loops). ``oms up`` starts both for each service of
the manifest; a service may run several workers (:mod:`oms_kit.leadership`)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from oms_contracts import dlq_topic, events_topic

from oms_kit.consumer import ExactlyOnceConsumer
from oms_kit.http import create_app
from oms_kit.kafka import ensure_topics
from oms_kit.leadership import Lease, app_conninfo, lead, lead_thread
from oms_kit.projection import ProjectionRunner, create_views
from oms_kit.relay import OutboxRelay
from oms_kit.service import Service
from oms_kit.telemetry import setup_telemetry

log = logging.getLogger(__name__)

Bootstrap = Callable[[], Service]


def http_app(service: Service) -> FastAPI:
    async def database() -> None:
        def ping() -> None:
            with service.app.datastore.transaction(commit=False) as cur:
                cur.execute("SELECT 1")

        await asyncio.to_thread(ping)

    return create_app(
        service=service.name,
        title=service.title,
        verifier=service.token_verifier(),
        routers=service.routers,
        public_routers=service.public_routers,
        ready_checks={"database": database},
        token_url=service.token_url,
    )


def serve_api(bootstrap: Bootstrap) -> None:
    _logging()
    service = bootstrap()
    create_views(service.app, service.views)
    setup_telemetry(service.name, service.settings.otlp_endpoint)
    uvicorn.run(
        http_app(service),
        host=service.settings.http_host,
        port=service.settings.http_port,
        log_level="warning",
        access_log=False,
    )


def service_topics(service: Service) -> list[str]:
    """The topics a service's worker uses: its own events and dead letters, and the
    events of the services it consumes."""
    own = [events_topic(service.name), dlq_topic(service.name)]
    return own + [events_topic(source) for source in service.sources]


@dataclass(frozen=True)
class Worker:
    """A running worker: its relay, and the leases it contends for, by name ("relay",
    "view:<name>", "loop:<name>"); the job of a lease runs only while it is held."""

    relay: OutboxRelay
    leases: dict[str, Lease]


@contextlib.asynccontextmanager
async def worker(service: Service) -> AsyncIterator[Worker]:
    """The event path of one service, running until the context exits. Several workers of
    a service may run: the consumers share the partitions, and the relay, each projection
    runner and each background loop run in one of them at a time (its lease), the next
    taking over when it stops or dies (DESIGN section 2)."""
    settings = service.settings
    await ensure_topics(
        settings.kafka_bootstrap,
        settings.topic_partitions,
        service_topics(service),
        settings.topic_replication,
    )
    conninfo = app_conninfo(service.app)
    leases: dict[str, Lease] = {}
    stop = asyncio.Event()
    thread_stop = threading.Event()

    def lease(name: str) -> Lease:
        leases[name] = Lease(conninfo, service.name, name)
        return leases[name]

    def single_active(name: str, run: Callable[[threading.Event], None]) -> Callable[[], None]:
        return functools.partial(lead_thread, lease(name), run, thread_stop, settings.lease_retry_s)

    relay = OutboxRelay(service.app, settings, service.outbound)
    relay_task = asyncio.create_task(
        lead(lease("relay"), relay.run, stop, settings.lease_retry_s),
        name=f"{service.name}-relay",
    )
    threads = [
        threading.Thread(
            target=single_active(
                f"view:{view.name}",
                ProjectionRunner(service.app, view, settings.projection_batch_size).run,
            ),
            name=f"view-{view.name}",
            daemon=True,
        )
        for view in service.views
    ]
    threads += [
        threading.Thread(
            target=(
                functools.partial(loop.run, thread_stop)  # every worker runs it
                if loop.side_by_side
                else single_active(f"loop:{loop.name}", loop.run)
            ),
            name=f"{service.name}-{loop.name}",
            daemon=True,
        )
        for loop in service.loops()
    ]
    for thread in threads:
        thread.start()
    consumer_task = asyncio.create_task(
        ExactlyOnceConsumer(service.app, service.name, service.inbound).run(
            settings.kafka_bootstrap, stop
        ),
        name=f"{service.name}-consumer",
    )
    try:
        yield Worker(relay, leases)
    finally:
        stop.set()
        thread_stop.set()
        await asyncio.gather(consumer_task, relay_task, return_exceptions=True)
        for thread in threads:
            thread.join(timeout=5)


def run_worker(bootstrap: Bootstrap) -> None:
    _logging()
    service = bootstrap()
    setup_telemetry(service.name, service.settings.otlp_endpoint)

    async def main() -> None:
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, done.set)
        async with worker(service):
            log.info("%s worker running", service.name)
            await done.wait()

    asyncio.run(main())


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # Libraries that speak at INFO on every call: aiokafka per rebalance step, httpx per
    # request (the notifications sender's documents, the services' sign-ins), fontTools
    # about thirty lines per invoice PDF (fpdf2 subsets its font for each). What they say
    # at WARNING and above still shows; a per-request line is what the access log is for.
    for name in ("aiokafka", "httpx", "fontTools"):
        logging.getLogger(name).setLevel(logging.WARNING)

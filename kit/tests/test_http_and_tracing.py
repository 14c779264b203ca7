"""The HTTP app factory (problem+json, health, readiness) and one trace from an HTTP request
through the event store and Kafka to the consumer's span."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path
from uuid import UUID

import httpx
import psycopg
from fastapi import APIRouter
from oms_dev.auth import TestIssuer
from oms_dev.testing import Stack
from oms_kit.consumer import ExactlyOnceConsumer
from oms_kit.domain import NotFound
from oms_kit.http import create_app
from oms_kit.relay import OutboxRelay
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel, Field
from sample.app import billing_app, billing_inbound, orders_app, to_contract

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)


class CustomerCreate(BaseModel):
    name: str = Field(min_length=1)
    credit_limit: int = Field(ge=0)


# The key file's folder, removed when the test run ends (a mkdtemp was left behind by each).
_KEYS = tempfile.TemporaryDirectory(prefix="oms-kit-auth-")
ISSUER = TestIssuer(Path(_KEYS.name))
ADMIN = ISSUER.headers("admin")


def client_for(app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def test_bad_input_is_a_422_problem_naming_the_field_and_domain_errors_their_status() -> None:
    router = APIRouter()

    @router.post("/customers", status_code=201)
    def create(body: CustomerCreate) -> dict[str, str]:
        return {"name": body.name}

    @router.get("/customers/{customer_id}")
    def get(customer_id: str) -> dict[str, str]:
        raise NotFound(f"no customer {customer_id}", field="customer_id")

    async def broken() -> None:
        raise ConnectionError("database down")

    app = create_app(
        service="orders",
        title="t",
        verifier=ISSUER.verifier,
        routers=[router],
        ready_checks={"database": broken},
    )

    async def calls() -> list[httpx.Response]:
        async with client_for(app) as client:
            return [
                await client.post(
                    "/customers", json={"name": "", "credit_limit": -1}, headers=ADMIN
                ),
                await client.get("/customers/c-9", headers=ADMIN),
                await client.post(
                    "/customers",
                    content=b"{oops",
                    headers={"content-type": "application/json", **ADMIN},
                ),
                await client.get("/health"),
                await client.get("/ready"),
                await client.get("/openapi.json"),
            ]

    invalid, missing, garbled, health, ready, openapi = asyncio.run(calls())
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in invalid.json()["errors"]} == {"name", "credit_limit"}
    assert missing.status_code == 404 and missing.json()["title"] == "Not found"
    assert missing.json()["errors"][0]["field"] == "customer_id"
    assert (
        garbled.status_code == 422 and garbled.headers["content-type"] == "application/problem+json"
    )
    assert health.json() == {"status": "ok", "service": "orders"}
    assert ready.status_code == 503 and "database down" in ready.json()["checks"]["database"]
    assert "/customers" in openapi.json()["paths"]


def test_one_trace_from_http_request_through_kafka_to_the_consumer(stack: Stack) -> None:
    orders, settings = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    billing, _ = billing_app(stack.pg_dsn, stack.kafka_bootstrap)
    router = APIRouter()

    @router.post("/customers", status_code=201)
    def register(body: CustomerCreate) -> dict[str, str]:
        return {"customer_id": str(orders.register(body.name))}

    app = create_app(service="orders", title="t", verifier=ISSUER.verifier, routers=[router])

    async def call() -> httpx.Response:
        async with client_for(app) as client:
            return await client.post(
                "/customers",
                json={"name": "Ana", "credit_limit": 5},
                headers={"traceparent": TRACEPARENT, **ISSUER.headers("back_office", "rep-1")},
            )

    response = asyncio.run(call())
    assert response.status_code == 201
    customer_id = UUID(response.json()["customer_id"])
    stored = orders.recorder.select_events(customer_id)[0]
    meta = orders.metadata_mapper.metadata(stored)
    assert TRACE_ID in meta["traceparent"] and meta["actor"] == "rep-1"
    assert meta["correlation_id"] == response.headers["x-correlation-id"]

    relay = OutboxRelay(orders, settings, to_contract)
    notification = orders.recorder.select_notifications(1, 1)[0]
    message = relay.message(notification)
    header = dict(message.headers)["traceparent"].decode()
    assert TRACE_ID in header

    exporter.clear()
    consumer = ExactlyOnceConsumer(billing, "billing", billing_inbound)
    assert consumer.process(message.value, header).status == "applied"
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert format(spans["consume CustomerRegistered"].context.trace_id, "032x") == TRACE_ID
    account_events = billing.recorder.select_notifications(1, 1)
    consumer_meta = billing.metadata_mapper.metadata(account_events[0])
    assert TRACE_ID in consumer_meta["traceparent"]
    assert consumer_meta["correlation_id"] == meta["correlation_id"]


def test_a_concurrent_change_of_one_aggregate_is_a_409_and_loses_nothing(stack: Stack) -> None:
    orders, _ = orders_app(stack.pg_dsn, stack.kafka_bootstrap)
    customer_id = orders.register("Ana")
    router = APIRouter()

    @router.post("/customers/{customer_id}/rename-twice")
    def rename_twice(customer_id: UUID) -> dict[str, str]:
        first = orders.repository.get(customer_id)
        second = orders.repository.get(customer_id)  # a stale copy, as another request has
        first.rename("first")
        orders.save(first)
        second.rename("second")
        orders.save(second)  # same version: optimistic concurrency refuses it
        return {}

    app = create_app(service="orders", title="t", verifier=ISSUER.verifier, routers=[router])

    async def call() -> httpx.Response:
        async with client_for(app) as client:
            return await client.post(f"/customers/{customer_id}/rename-twice", headers=ADMIN)

    response = asyncio.run(call())
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert orders.repository.get(customer_id).name == "first"


def test_without_an_exporter_spans_are_not_recorded_but_ids_still_travel() -> None:
    # A process of its own: a process installs its tracer provider once.
    script = """
from opentelemetry import trace
from oms_kit.telemetry import context_from, current_traceparent, setup_telemetry, tracer
setup_telemetry("orders", None)
parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
with tracer("t").start_as_current_span("consume", context=context_from(parent)) as span:
    print(span.is_recording(), current_traceparent())
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    recording, traceparent = out
    assert recording == "False"
    version, trace_id, span_id, _flags = traceparent.split("-")
    assert version == "00" and trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert span_id != "00f067aa0ba902b7"  # a span of its own in the caller's trace


def test_a_value_the_database_cannot_store_is_a_422_naming_the_parameter() -> None:
    router = APIRouter()

    @router.get("/stock")
    def stock(warehouse: str = "") -> dict[str, str]:
        # What psycopg raises when a text holds a NUL character.
        raise psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")

    app = create_app(service="inventory", title="t", verifier=ISSUER.verifier, routers=[router])

    async def call() -> httpx.Response:
        async with client_for(app) as client:
            return await client.get("/stock", params={"warehouse": "a\x00b"}, headers=ADMIN)

    response = asyncio.run(call())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": "warehouse", "message": "must not contain a NUL character"}
    ]

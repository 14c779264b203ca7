"""Fixtures shared by inventory's tests (example events in inventory_examples.py): on the
real stack, the service as bootstrap wires it, an HTTP client of it, and its exactly-once
consumer to feed it events without a broker."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from oms_contracts import ContractEvent
from oms_dev.inmemory import envelope_bytes
from oms_dev.testing import Stack
from oms_inventory.bootstrap import bootstrap
from oms_kit.consumer import ExactlyOnceConsumer, Outcome
from oms_kit.runtime import http_app
from oms_kit.service import Service

sys.path.insert(0, str(Path(__file__).resolve().parent))

from inventory_examples import Deliver


@pytest.fixture
def service(stack: Stack) -> Iterator[Service]:
    service = bootstrap(**stack.settings_overrides(), pg_pool_size=6)
    try:
        yield service
    finally:
        service.app.close()


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(http_app(service)) as client:
        yield client


@pytest.fixture
def deliver(service: Service) -> Deliver:
    consumer = ExactlyOnceConsumer(service.app, service.name, service.inbound)
    positions = itertools.count(1)

    def deliver(event: ContractEvent) -> Outcome:
        return consumer.process(envelope_bytes(event, source_position=next(positions)))

    return deliver

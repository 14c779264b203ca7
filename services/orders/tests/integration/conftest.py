"""The orders service on the real stack, and an HTTP client of it, for every test here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from oms_dev.testing import Stack
from oms_kit.runtime import http_app
from oms_kit.service import Service
from oms_orders.bootstrap import bootstrap


@pytest.fixture
def service(stack: Stack) -> Iterator[Service]:
    service = bootstrap(**stack.settings_overrides())
    try:
        yield service
    finally:
        service.app.close()


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(http_app(service)) as client:
        yield client

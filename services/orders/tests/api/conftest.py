"""The orders service on the real PostgreSQL, and an HTTP client of it: what only the HTTP
layer and the read models decide (problem+json naming fields, status codes, headers,
paging and filters of the lists)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from oms_dev.testing import Stack
from oms_kit.projection import ProjectionRunner, create_views
from oms_kit.runtime import http_app
from oms_kit.service import Service
from oms_orders.bootstrap import bootstrap


@pytest.fixture
def service(stack: Stack) -> Iterator[Service]:
    service = bootstrap(**stack.settings_overrides())
    create_views(service.app, service.views)  # as the API process does when it starts
    try:
        yield service
    finally:
        service.app.close()


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(http_app(service)) as client:
        yield client


@pytest.fixture
def catch_up(service: Service) -> Callable[[], None]:
    """Bring every read model up to date, as the worker's runners do."""

    def run() -> None:
        for view in service.views:
            ProjectionRunner(service.app, view).catch_up()

    return run

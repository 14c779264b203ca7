"""The orders service on the real PostgreSQL, and an HTTP client of it: what only the HTTP
layer and the read models decide (problem+json naming fields, status codes, headers,
paging and filters of the lists, who may see and do what). Tokens are the test stack's
(``oms_dev.auth.TestIssuer``): ``orders.headers(role, sub, ...)``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from oms_dev.testing import ServiceOnStack, Stack
from oms_kit.auth import BACK_OFFICE
from oms_orders.bootstrap import bootstrap


@pytest.fixture
def orders(stack: Stack) -> Iterator[ServiceOnStack]:
    service = ServiceOnStack(bootstrap, stack)
    try:
        yield service
    finally:
        service.close()


@pytest.fixture
def client(orders: ServiceOnStack) -> TestClient:
    """Signed in as the back office's maria, unless a request sends other headers."""
    orders.client.headers.update(orders.headers(BACK_OFFICE, "maria"))
    return orders.client


@pytest.fixture
def catch_up(orders: ServiceOnStack) -> Callable[[], None]:
    """Bring every read model up to date, as the worker's runners do."""
    return orders.catch_up

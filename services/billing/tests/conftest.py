"""Fixtures shared by billing's tests (example events in billing_examples.py; the service
on the real stack in billing_on_stack.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from oms_dev.testing import Stack
from oms_kit.consumer import ExactlyOnceConsumer
from oms_kit.projection import create_views
from oms_kit.runtime import http_app

sys.path.insert(0, str(Path(__file__).resolve().parent))

from billing_on_stack import BillingOnStack
from oms_billing.adapters.stamping import LocalStampingProvider
from oms_billing.bootstrap import bootstrap


@pytest.fixture(scope="session")
def provider() -> LocalStampingProvider:
    """One key pair for the session: generating one takes a good part of a test."""
    return LocalStampingProvider.generate()


@pytest.fixture
def make_billing(
    stack: Stack, provider: LocalStampingProvider
) -> Iterator[Callable[..., BillingOnStack]]:
    """Billing on the real PostgreSQL (several of them share one event store)."""
    made: list[BillingOnStack] = []

    def make(**overrides: Any) -> BillingOnStack:
        overrides.setdefault("stamping_provider", provider)
        service = bootstrap(**stack.settings_overrides(), **overrides)
        create_views(service.app, service.views)
        billing = BillingOnStack(
            service=service,
            client=TestClient(http_app(service)),
            consumer=ExactlyOnceConsumer(service.app, service.name, service.inbound),
        )
        made.append(billing)
        return billing

    yield make
    for billing in made:
        billing.client.close()
        billing.service.app.close()

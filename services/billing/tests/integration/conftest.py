"""Fixtures of billing's integration tests (helpers in billing_support.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from oms_dev.testing import Stack
from oms_kit.consumer import ExactlyOnceConsumer
from oms_kit.runtime import http_app

sys.path.insert(0, str(Path(__file__).resolve().parent))

from billing_support import Billing
from oms_billing.bootstrap import bootstrap
from oms_billing.integration.inbound import SOURCES


@pytest.fixture
def make_billing(stack: Stack) -> Iterator[Callable[..., Billing]]:
    made: list[Billing] = []

    def make(**overrides: Any) -> Billing:
        service = bootstrap(**stack.settings_overrides(), **overrides)
        billing = Billing(
            service=service,
            client=TestClient(http_app(service)),
            consumer=ExactlyOnceConsumer(
                service.app, "billing", SOURCES, service.handlers, service.serial
            ),
        )
        made.append(billing)
        return billing

    yield make
    for billing in made:
        billing.client.close()
        billing.service.app.close()


@pytest.fixture
def billing(make_billing: Callable[..., Billing]) -> Billing:
    return make_billing()

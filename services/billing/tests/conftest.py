"""Fixtures shared by billing's tests (example events in billing_examples.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from oms_dev.testing import ServiceOnStack, Stack
from oms_kit.auth import BACK_OFFICE

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oms_billing.adapters.stamping import LocalStampingProvider
from oms_billing.bootstrap import bootstrap


@pytest.fixture(scope="session")
def provider() -> LocalStampingProvider:
    """One key pair for the session: generating one takes a good part of a test."""
    return LocalStampingProvider.generate()


@pytest.fixture
def make_billing(
    stack: Stack, provider: LocalStampingProvider
) -> Iterator[Callable[..., ServiceOnStack]]:
    """Billing on the real PostgreSQL (several of them share one event store). Its client
    calls as the back office unless a request sends a token of its own."""
    made: list[ServiceOnStack] = []

    def make(**overrides: Any) -> ServiceOnStack:
        overrides.setdefault("stamping_provider", provider)
        billing = ServiceOnStack(bootstrap, stack, **overrides)
        billing.client.headers.update(billing.headers(BACK_OFFICE))
        made.append(billing)
        return billing

    yield make
    for billing in made:
        billing.close()

"""Billing's use cases in memory: the service as bootstrap wires it, on the in-memory
event store, fed through the kit's exactly-once consumer path."""

from __future__ import annotations

import pytest
from oms_billing.adapters.stamping import LocalStampingProvider
from oms_billing.bootstrap import bootstrap
from oms_dev.inmemory import ServiceInMemory


@pytest.fixture
def billing(provider: LocalStampingProvider) -> ServiceInMemory:
    return ServiceInMemory(bootstrap, stamping_provider=provider)

"""Inventory's use cases in memory: the service as bootstrap wires it, on the in-memory
event store, fed through the kit's exactly-once consumer path."""

from __future__ import annotations

import pytest
from oms_dev.inmemory import ServiceInMemory
from oms_inventory.bootstrap import bootstrap


@pytest.fixture
def inventory() -> ServiceInMemory:
    return ServiceInMemory(bootstrap)

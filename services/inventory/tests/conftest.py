"""Fixtures shared by inventory's tests (example events and readings in
inventory_examples.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from oms_dev.testing import ServiceOnStack, Stack
from oms_kit.auth import WAREHOUSE

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oms_inventory.bootstrap import bootstrap


@pytest.fixture
def inventory(stack: Stack) -> Iterator[ServiceOnStack]:
    """Inventory on the real PostgreSQL (tests/application override it with the service in
    memory). Its client calls as the warehouse unless a request sends a token of its own."""
    inventory = ServiceOnStack(bootstrap, stack, pg_pool_size=6)
    inventory.client.headers.update(inventory.headers(WAREHOUSE))
    try:
        yield inventory
    finally:
        inventory.close()

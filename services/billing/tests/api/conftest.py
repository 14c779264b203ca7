"""Billing's routes on the real stack."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from oms_dev.testing import ServiceOnStack


@pytest.fixture
def billing(make_billing: Callable[..., ServiceOnStack]) -> ServiceOnStack:
    return make_billing()

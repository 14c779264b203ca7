"""Billing's routes on the real stack."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from billing_on_stack import BillingOnStack


@pytest.fixture
def billing(make_billing: Callable[..., BillingOnStack]) -> BillingOnStack:
    return make_billing()

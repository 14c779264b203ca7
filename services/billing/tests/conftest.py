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

from oms_billing.adapters.cfdi import LocalCfdiStampingProvider
from oms_billing.adapters.csd import make_test_csd
from oms_billing.adapters.stamping import LocalStampingProvider
from oms_billing.bootstrap import LOCAL_PAC_RFC, TEST_ISSUER, bootstrap
from satcfdi.models import Signer


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


@pytest.fixture(scope="session")
def company_csd() -> Signer:
    """The Mexican company's test CSD (SAT's test issuer), made once for the session."""
    return make_test_csd(TEST_ISSUER.rfc, TEST_ISSUER.name)


@pytest.fixture(scope="session")
def local_pac() -> LocalCfdiStampingProvider:
    return LocalCfdiStampingProvider(make_test_csd(LOCAL_PAC_RFC, "PAC LOCAL", pac=True))


@pytest.fixture
def mexican_billing(
    company_csd: Signer, local_pac: LocalCfdiStampingProvider
) -> Callable[..., dict[str, Any]]:
    """Overrides of a Mexican company's billing: fiscal country, its CSD, the local PAC
    (a test CSD: as on the dev stack, the only place the settings accept one)."""

    def overrides(**more: Any) -> dict[str, Any]:
        return {
            "fiscal_country": "MX",
            "dev_stack": True,
            "csd": company_csd,
            "stamping_provider": local_pac,
            **more,
        }

    return overrides

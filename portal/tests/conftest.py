"""The portal's test fixtures: one dev stack per test module (a broker of its own, empty
service databases), orders, inventory and billing running as processes on it, the portal
served by uvicorn in a thread pointed at them, and Debian's chromium driven by Playwright
(never a browser of its own: ``make browser`` installs chromium when it is missing)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from oms_dev.devstack import drop_service_databases, env_defaults, start_broker
from oms_dev.manifest import SERVICES
from oms_dev.testing import RunningServices, Stack, running_services
from oms_kit.kafka import all_topics, ensure_topics

sys.path.insert(0, str(Path(__file__).resolve().parent))

from portal_backoffice import BackOffice
from portal_browser import Screens
from portal_server import PortalServer

CHROMIUM = "/usr/bin/chromium"
#: What the customer area calls: orders (users, quotes, orders, documents), billing
#: (invoices, installments, statements), and inventory for an order to be invoiced.
PORTAL_SERVICES = ["orders", "inventory", "billing"]
#: The url setting of each service the portal calls.
URL_SETTINGS = {
    "orders": "orders_url",
    "inventory": "inventory_url",
    "billing": "billing_url",
    "commissions": "commissions_url",
    "notifications": "notifications_url",
}


@pytest.fixture(scope="module")
def module_stack(postgres_dsn: str, issuer: Any, stack_home: Path) -> Iterator[Stack]:
    """The ``stack`` fixture's stack, kept for a whole module (its tests share the
    services, their data and the browser)."""
    _, bootstrap_servers = env_defaults()
    broker = start_broker(bootstrap_servers, log_file=stack_home / "portal-broker.log")
    asyncio.run(ensure_topics(broker.bootstrap, 3, all_topics()))
    drop_service_databases(postgres_dsn, list(SERVICES))
    try:
        yield Stack(pg_dsn=postgres_dsn, kafka_bootstrap=broker.bootstrap, issuer=issuer)
    finally:
        broker.stop()


@pytest.fixture(scope="module")
def system(
    request: pytest.FixtureRequest,
    module_stack: Stack,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningServices]:
    """The services a module names in its own ``PORTAL_SERVICES`` (else the customer
    area's), one set per module."""
    names: list[str] = getattr(request.module, "PORTAL_SERVICES", PORTAL_SERVICES)
    logs = tmp_path_factory.mktemp("service-logs")
    with running_services(module_stack, names, logs) as running:
        yield running


@pytest.fixture(scope="module")
def portal(system: RunningServices) -> Iterator[PortalServer]:
    urls = {URL_SETTINGS[name]: url for name, url in system.urls.items() if name in URL_SETTINGS}
    with PortalServer(dev_stack=True, company_language="pt", **urls) as server:
        yield server


@pytest.fixture(scope="module")
def browser(portal: PortalServer) -> Iterator[Any]:
    """Started after the stack: Playwright's sync API keeps an event loop running in this
    thread from then on (the stack's set-up runs its own with ``asyncio.run``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def office(system: RunningServices) -> Iterator[BackOffice]:
    """The back office of a module's tests: what it sets up through the services' APIs."""
    back_office = BackOffice(system)
    try:
        yield back_office
    finally:
        back_office.close()


@pytest.fixture
def screens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Screens:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return Screens(folder, capsys)

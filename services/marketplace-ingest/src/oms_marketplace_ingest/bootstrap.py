"""The composition root of the marketplace-ingest service: the one place that wires it;
tests call it with overrides (``event_store="memory"`` for the use-case tests)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from oms_kit.auth import TokenVerifier
from oms_kit.eventstore import build_application
from oms_kit.service import Service

from oms_marketplace_ingest.adapters.amazon import Credentials, SellingPartnerApi
from oms_marketplace_ingest.adapters.sealing import FernetSealer
from oms_marketplace_ingest.api.partners import build_partner_router
from oms_marketplace_ingest.api.routes import build_router
from oms_marketplace_ingest.application import (
    ClientFactory,
    MarketplaceApi,
    MarketplaceIngestApplication,
)
from oms_marketplace_ingest.domain import Connection
from oms_marketplace_ingest.integration.inbound import inbound
from oms_marketplace_ingest.integration.outbound import outbound
from oms_marketplace_ingest.projections.connections import ConnectionsView
from oms_marketplace_ingest.projections.imports import ImportsView
from oms_marketplace_ingest.settings import Settings

log = logging.getLogger(__name__)


def amazon_clients(settings: Settings, stop: threading.Event | None = None) -> ClientFactory:
    def client(connection: Connection, secrets: dict[str, str]) -> MarketplaceApi:
        return SellingPartnerApi(
            endpoint=connection.endpoint,
            lwa_endpoint=connection.lwa_endpoint,
            credentials=Credentials(
                client_id=secrets["client_id"],
                client_secret=secrets["client_secret"],
                refresh_token=secrets["refresh_token"],
            ),
            timeout_s=settings.http_timeout_s,
            throttle_base_s=settings.throttle_base_wait_s,
            throttle_max_s=settings.throttle_max_wait_s,
            stop=stop,
        )

    return client


class Importer:
    """The worker's loop: runs the requested import runs (and those a killed worker left
    running), and starts each connection's automatic import when it is due."""

    def __init__(
        self,
        app: MarketplaceIngestApplication,
        imports: ImportsView,
        connections: ConnectionsView,
        poll_s: float,
    ) -> None:
        self.app = app
        self.imports = imports
        self.connections = connections
        self.poll_s = poll_s

    def once(self) -> int:
        now = datetime.now(UTC)
        running = self.imports.running()
        busy = {connection_id for _, connection_id in running}
        last = self.imports.last_automatic()
        for connection_id, minutes in self.connections.automatic().items():
            started = last.get(connection_id)
            due = started is None or (
                datetime.fromisoformat(started.replace("Z", "+00:00"))
                <= now - timedelta(minutes=minutes)
            )
            if due and connection_id not in busy:
                run = self.app.start_automatic_import(connection_id)
                running.append((str(run.id), connection_id))
        for run_id, _ in running:
            self.app.run_import(run_id)
        return len(running)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.once()
            except Exception:
                log.exception("the importer failed; trying again")
            stop.wait(self.poll_s)


def marketplace_teller(
    app: MarketplaceIngestApplication, poll_s: float
) -> Callable[[threading.Event], None]:
    """The worker's loop that tells the marketplaces the stock levels and shipments the
    consumer noted (what fails is tried again on the next pass)."""

    def run(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                app.tell_marketplaces()
            except Exception:
                log.exception("telling the marketplaces failed; trying again")
            stop.wait(poll_s)

    return run


def bootstrap(
    *,
    verifier: TokenVerifier | None = None,
    clients: ClientFactory | None = None,
    **overrides: Any,
) -> Service:
    """The marketplace-ingest service; ``verifier`` replaces the check of tokens with the
    keys at the configured JWKS URL, ``clients`` the Selling Partner API client."""
    settings = Settings(**overrides)
    app = build_application(MarketplaceIngestApplication, settings)
    app.configure(
        sealer=FernetSealer(settings.fernet_key),
        clients=clients or amazon_clients(settings),
        endpoint=settings.amazon_endpoint,
        lwa_endpoint=settings.lwa_endpoint,
        page_size=settings.import_page_size,
        before_margin_s=settings.before_margin_s,
        waybill_wait_s=settings.marketplace_waybill_wait_s,
    )
    imports = ImportsView(app)
    connections = ConnectionsView(app)
    importer = Importer(app, imports, connections, settings.import_poll_s)
    return Service(
        settings=settings,
        app=app,
        title="OMS marketplace-ingest",
        inbound=inbound,
        outbound=outbound,
        routers=[build_router(app, imports), build_partner_router(app)],
        views=[imports, connections],
        verifier=verifier,
        background=[importer.run, marketplace_teller(app, settings.import_poll_s)],
    )

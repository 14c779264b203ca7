"""The composition root of the marketplace-ingest service: the one place that wires it;
tests call it with overrides (``event_store="memory"`` for the use-case tests)."""

from __future__ import annotations

from typing import Any

from oms_kit.auth import TokenVerifier
from oms_kit.eventstore import build_application
from oms_kit.service import Service

from oms_marketplace_ingest.api.partners import build_partner_router
from oms_marketplace_ingest.application import MarketplaceIngestApplication
from oms_marketplace_ingest.integration.inbound import inbound
from oms_marketplace_ingest.integration.outbound import outbound
from oms_marketplace_ingest.settings import Settings


def bootstrap(*, verifier: TokenVerifier | None = None, **overrides: Any) -> Service:
    """The marketplace-ingest service; ``verifier`` replaces the check of tokens with the
    keys at the configured JWKS URL."""
    settings = Settings(**overrides)
    app = build_application(MarketplaceIngestApplication, settings)
    return Service(
        settings=settings,
        app=app,
        title="OMS marketplace-ingest",
        inbound=inbound,
        outbound=outbound,
        routers=[build_partner_router(app)],
        views=[],
        verifier=verifier,
    )

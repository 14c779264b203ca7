"""The composition root of the marketplace-ingest service: tests call it with overrides."""

from typing import Any

from oms_kit.eventstore import build_application
from oms_kit.service import Service

from oms_marketplace_ingest.api.routes import ERRORS, router
from oms_marketplace_ingest.application import MarketplaceIngestApplication
from oms_marketplace_ingest.integration.inbound import SOURCES, handlers
from oms_marketplace_ingest.integration.outbound import to_contract
from oms_marketplace_ingest.projections import projections
from oms_marketplace_ingest.settings import Settings


def bootstrap(**overrides: Any) -> Service:
    settings = Settings(**overrides)
    app = build_application(MarketplaceIngestApplication, settings)
    return Service(
        settings=settings,
        app=app,
        title="OMS marketplace-ingest",
        outbound=to_contract,
        routers=[router],
        errors=ERRORS,
        sources=SOURCES,
        handlers=handlers(app),
        projections=projections(),
    )

"""The composition root of the inventory service: tests call it with overrides."""

from typing import Any

from oms_kit.eventstore import build_application
from oms_kit.service import Service

from oms_inventory.api.routes import ERRORS, build_router
from oms_inventory.application import InventoryApplication
from oms_inventory.integration.inbound import SOURCES, handlers
from oms_inventory.integration.outbound import to_contract
from oms_inventory.projections import projections
from oms_inventory.settings import Settings


def bootstrap(**overrides: Any) -> Service:
    settings = Settings(**overrides)
    app = build_application(InventoryApplication, settings)
    return Service(
        settings=settings,
        app=app,
        title="OMS inventory",
        outbound=to_contract,
        routers=[build_router(app)],
        errors=ERRORS,
        sources=SOURCES,
        handlers=handlers(app),
        projections=projections(),
    )

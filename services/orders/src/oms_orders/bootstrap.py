"""The composition root of the orders service: tests call it with overrides."""

from typing import Any

from oms_kit.eventstore import build_application
from oms_kit.service import Service

from oms_orders.api.routes import ERRORS, build_router
from oms_orders.application import OrdersApplication
from oms_orders.integration.inbound import SOURCES, handlers
from oms_orders.integration.outbound import to_contract
from oms_orders.projections import projections
from oms_orders.settings import Settings


def bootstrap(**overrides: Any) -> Service:
    settings = Settings(**overrides)
    app = build_application(OrdersApplication, settings)
    return Service(
        settings=settings,
        app=app,
        title="OMS orders",
        outbound=to_contract,
        routers=[build_router(app)],
        errors=ERRORS,
        sources=SOURCES,
        handlers=handlers(app),
        projections=projections(),
    )

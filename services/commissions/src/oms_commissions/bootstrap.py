"""The composition root of the commissions service: tests call it with overrides."""

from typing import Any

from oms_kit.eventstore import build_application
from oms_kit.service import Service

from oms_commissions.api.routes import ERRORS, router
from oms_commissions.application import CommissionsApplication
from oms_commissions.integration.inbound import SOURCES, handlers
from oms_commissions.integration.outbound import to_contract
from oms_commissions.projections import projections
from oms_commissions.settings import Settings


def bootstrap(**overrides: Any) -> Service:
    settings = Settings(**overrides)
    app = build_application(CommissionsApplication, settings)
    return Service(
        settings=settings,
        app=app,
        title="OMS commissions",
        outbound=to_contract,
        routers=[router],
        errors=ERRORS,
        sources=SOURCES,
        handlers=handlers(app),
        projections=projections(),
    )

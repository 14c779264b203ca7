"""The composition root of the billing service: tests call it with overrides."""

from typing import Any

from oms_kit.eventstore import build_application
from oms_kit.service import Service

from oms_billing.api.routes import ERRORS, router
from oms_billing.application import BillingApplication
from oms_billing.integration.inbound import SOURCES, handlers
from oms_billing.integration.outbound import to_contract
from oms_billing.projections import projections
from oms_billing.settings import Settings


def bootstrap(**overrides: Any) -> Service:
    settings = Settings(**overrides)
    app = build_application(BillingApplication, settings)
    return Service(
        settings=settings,
        app=app,
        title="OMS billing",
        outbound=to_contract,
        routers=[router],
        errors=ERRORS,
        sources=SOURCES,
        handlers=handlers(app),
        projections=projections(),
    )

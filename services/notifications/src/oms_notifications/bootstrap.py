"""The composition root of the notifications service: tests call it with overrides."""

from typing import Any

from oms_kit.eventstore import build_application
from oms_kit.service import Service

from oms_notifications.api.routes import ERRORS, router
from oms_notifications.application import NotificationsApplication
from oms_notifications.integration.inbound import SOURCES, handlers
from oms_notifications.integration.outbound import to_contract
from oms_notifications.projections import projections
from oms_notifications.settings import Settings


def bootstrap(**overrides: Any) -> Service:
    settings = Settings(**overrides)
    app = build_application(NotificationsApplication, settings)
    return Service(
        settings=settings,
        app=app,
        title="OMS notifications",
        outbound=to_contract,
        routers=[router],
        errors=ERRORS,
        sources=SOURCES,
        handlers=handlers(app),
        projections=projections(),
    )

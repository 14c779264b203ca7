"""The composition root of the commissions service: tests call it with overrides."""

from __future__ import annotations

from typing import Any

from oms_kit.auth import TokenVerifier
from oms_kit.eventstore import build_application
from oms_kit.service import Service

from oms_commissions.api.routes import make_router
from oms_commissions.application import CommissionsApplication
from oms_commissions.integration.inbound import inbound
from oms_commissions.integration.outbound import outbound
from oms_commissions.projections.commissions import CommissionsView
from oms_commissions.projections.settlements import SettlementsView
from oms_commissions.settings import Settings


def bootstrap(*, verifier: TokenVerifier | None = None, **overrides: Any) -> Service:
    """The commissions service; ``verifier`` replaces the check of tokens with the keys
    at the configured JWKS URL."""
    settings = Settings(**overrides)
    app = build_application(CommissionsApplication, settings)
    commissions = CommissionsView(app)
    settlements = SettlementsView(app)
    return Service(
        settings=settings,
        app=app,
        title="OMS commissions",
        inbound=inbound,
        outbound=outbound,
        routers=[make_router(app, commissions, settlements)],
        views=[commissions, settlements],
        verifier=verifier,
    )

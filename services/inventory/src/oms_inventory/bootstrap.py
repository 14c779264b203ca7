"""The composition root of the inventory service: the one place that wires it; tests call
it with overrides (``event_store="memory"`` for the use-case tests)."""

from __future__ import annotations

from typing import Any

from oms_kit.auth import TokenVerifier
from oms_kit.eventstore import build_application
from oms_kit.service import Service

from oms_inventory.adapters.carrier import LocalCarrier
from oms_inventory.adapters.waybill_pdf import WaybillPdfRenderer
from oms_inventory.api.routes import build_router
from oms_inventory.application import CarrierProvider, InventoryApplication
from oms_inventory.integration.inbound import inbound
from oms_inventory.integration.outbound import outbound
from oms_inventory.projections.purchasing import PurchasingView
from oms_inventory.projections.stock_levels import StockLevelsView
from oms_inventory.settings import Settings


def bootstrap(
    *,
    verifier: TokenVerifier | None = None,
    carrier: CarrierProvider | None = None,
    **overrides: Any,
) -> Service:
    """The inventory service; ``verifier`` replaces the check of tokens with the keys at
    the configured JWKS URL, ``carrier`` the configured carrier provider."""
    settings = Settings(**overrides)
    app = build_application(InventoryApplication, settings)
    app.configure(carrier=carrier or LocalCarrier())
    waybills = WaybillPdfRenderer(settings.company())
    stock_levels = StockLevelsView(app)
    purchasing = PurchasingView(app)
    return Service(
        settings=settings,
        app=app,
        title="OMS inventory",
        inbound=inbound,
        outbound=outbound,
        routers=[build_router(app, stock_levels, purchasing, waybills)],
        views=[stock_levels, purchasing],
        verifier=verifier,
    )

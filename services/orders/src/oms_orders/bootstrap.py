"""The composition root of the orders service: the one place that builds its settings,
Application, handlers, mappings, read models and routes. Tests call it with overrides
(``event_store="memory"``, another database)."""

from typing import Any

from oms_kit.auth import TokenVerifier
from oms_kit.eventstore import build_application
from oms_kit.service import Service

from oms_orders.api.routes import build_router
from oms_orders.application import OrdersApplication
from oms_orders.integration.inbound import inbound
from oms_orders.integration.outbound import outbound
from oms_orders.projections.order_list import OrderListView
from oms_orders.projections.portfolio import PortfolioView
from oms_orders.projections.quote_list import QuoteListView
from oms_orders.settings import Settings


def bootstrap(verifier: TokenVerifier | None = None, **overrides: Any) -> Service:
    """The orders service; ``verifier`` replaces how tokens are verified (tests sign
    their own)."""
    settings = Settings(**overrides)
    app = build_application(OrdersApplication, settings)
    app.company_currency = settings.company_currency
    app.company_language = settings.company_language
    order_list = OrderListView(app)
    quote_list = QuoteListView(app)
    return Service(
        settings=settings,
        app=app,
        title="OMS orders",
        inbound=inbound,
        outbound=outbound,
        routers=[build_router(app, order_list, quote_list)],
        views=[order_list, quote_list, PortfolioView(app)],
    )

"""The composition root of the billing service: tests call it with overrides."""

from __future__ import annotations

from typing import Any

from oms_kit.auth import TokenVerifier
from oms_kit.eventstore import build_application
from oms_kit.service import Service

from oms_billing.adapters.stamping import LocalStampingProvider
from oms_billing.api.routes import make_router
from oms_billing.application import BillingApplication
from oms_billing.application.stamping import StampingProvider, StampingRetrier
from oms_billing.integration.inbound import inbound
from oms_billing.integration.outbound import outbound
from oms_billing.projections.invoices import InvoicesView
from oms_billing.projections.portfolio import PortfolioView
from oms_billing.projections.statement import StatementView
from oms_billing.settings import Settings


def default_stamping_provider(settings: Settings) -> StampingProvider:
    """The local RSA provider, with the configured key or a key pair generated now."""
    if settings.stamping_key_path:
        return LocalStampingProvider.from_file(settings.stamping_key_path)
    return LocalStampingProvider.generate()


def bootstrap(
    *,
    stamping_provider: StampingProvider | None = None,
    verifier: TokenVerifier | None = None,
    **overrides: Any,
) -> Service:
    """The billing service; ``stamping_provider`` replaces the configured provider,
    ``verifier`` the check of tokens with the keys at the configured JWKS URL."""
    settings = Settings(**overrides)
    app = build_application(BillingApplication, settings)
    app.configure(
        stamping=stamping_provider or default_stamping_provider(settings),
        series=settings.invoice_series,
        issuer=settings.issuer_name,
        retry_base_s=settings.stamping_retry_base_s,
        retry_max_s=settings.stamping_retry_max_s,
    )
    invoices = InvoicesView(app)
    statements = StatementView(app)
    portfolio = PortfolioView(app)
    retrier = StampingRetrier(app, invoices.list_stamping_failed, settings.stamping_poll_s)
    return Service(
        settings=settings,
        app=app,
        title="OMS billing",
        inbound=inbound,
        outbound=outbound,
        routers=[make_router(app, invoices, statements, portfolio)],
        views=[invoices, statements, portfolio],
        verifier=verifier,
        background=[retrier.run],
    )

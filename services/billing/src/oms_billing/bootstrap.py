"""The composition root of the billing service: tests call it with overrides."""

from __future__ import annotations

from typing import Any

from oms_kit.auth import TokenVerifier
from oms_kit.eventstore import build_application
from oms_kit.service import Service
from oms_kit.settings import Company
from satcfdi.models import Signer

from oms_billing.adapters.cfdi import Cfdi40Documents, CfdiIssuer, LocalCfdiStampingProvider
from oms_billing.adapters.csd import load_csd, make_test_csd
from oms_billing.adapters.invoice_pdf import InvoicePdfRenderer
from oms_billing.adapters.stamping import LocalStampingProvider
from oms_billing.api.routes import make_router
from oms_billing.application import BillingApplication
from oms_billing.application.documents import FiscalDocuments, InvoicePdf, PlainInvoiceDocument
from oms_billing.application.stamping import StampingProvider, StampingRetrier
from oms_billing.integration.inbound import inbound
from oms_billing.integration.outbound import outbound
from oms_billing.projections.goods_issues import GoodsIssuesView
from oms_billing.projections.invoices import InvoicesView
from oms_billing.projections.portfolio import PortfolioView
from oms_billing.projections.receivables import ReceivablesView
from oms_billing.projections.statement import StatementView
from oms_billing.settings import Settings

#: The dev stack's Mexican company when the settings name none: SAT's test issuer.
TEST_ISSUER = CfdiIssuer(
    rfc="EKU9003173C9", name="ESCUELA KEMPER URGATE", fiscal_regime="601", postal_code="42501"
)
#: The local PAC's RFC on its stamps (SAT's test PAC).
LOCAL_PAC_RFC = "SPR190613I52"


def default_stamping_provider(settings: Settings) -> StampingProvider:
    """For a Mexican company the local PAC (a TimbreFiscalDigital signed with a
    certificate made at start); otherwise the local RSA provider, with the configured key
    or a key pair generated now."""
    if settings.fiscal_country == "MX":
        return LocalCfdiStampingProvider(make_test_csd(LOCAL_PAC_RFC, "PAC LOCAL", pac=True))
    if settings.stamping_key_path:
        return LocalStampingProvider.from_file(settings.stamping_key_path)
    return LocalStampingProvider.generate()


def cfdi_issuer(settings: Settings) -> CfdiIssuer:
    """The company as its CFDI names it; on the dev stack (or in memory) SAT's test issuer
    fills what the settings leave out."""
    return CfdiIssuer(
        rfc=settings.company_tax_id or TEST_ISSUER.rfc,
        name=settings.company_name if settings.company_tax_id else TEST_ISSUER.name,
        fiscal_regime=settings.company_fiscal_regime or TEST_ISSUER.fiscal_regime,
        postal_code=settings.company_postal_code or TEST_ISSUER.postal_code,
    )


def company_csd(settings: Settings, issuer: CfdiIssuer) -> Signer:
    """The CSD of the settings, or (dev stack, tests: the settings refuse it elsewhere) a
    test CSD of the issuer made now."""
    if settings.cfdi_certificate and settings.cfdi_key and settings.cfdi_key_password:
        return load_csd(
            settings.cfdi_certificate,
            settings.cfdi_key,
            settings.cfdi_key_password.get_secret_value(),
        )
    return make_test_csd(issuer.rfc, issuer.name)


def default_fiscal_documents(settings: Settings, csd: Signer | None = None) -> FiscalDocuments:
    """A Mexican company's CFDI 4.0 sealed with its CSD; otherwise the plain document."""
    if settings.fiscal_country == "MX":
        issuer = cfdi_issuer(settings)
        return Cfdi40Documents(issuer, csd or company_csd(settings, issuer))
    return PlainInvoiceDocument(settings.issuer)


def company(settings: Settings) -> Company:
    return settings.company()


def bootstrap(
    *,
    stamping_provider: StampingProvider | None = None,
    csd: Signer | None = None,
    invoice_pdf: InvoicePdf | None = None,
    verifier: TokenVerifier | None = None,
    **overrides: Any,
) -> Service:
    """The billing service; ``stamping_provider`` replaces the configured provider,
    ``csd`` the company's CSD of the settings (Mexico), ``invoice_pdf`` the PDF renderer,
    ``verifier`` the check of tokens with the keys at the configured JWKS URL."""
    settings = Settings(**overrides)
    app = build_application(BillingApplication, settings)
    app.configure(
        stamping=stamping_provider or default_stamping_provider(settings),
        documents=default_fiscal_documents(settings, csd),
        series=settings.invoice_series,
        retry_base_s=settings.stamping_retry_base_s,
        retry_max_s=settings.stamping_retry_max_s,
    )
    invoices = InvoicesView(app)
    statements = StatementView(app)
    portfolio = PortfolioView(app)
    receivables = ReceivablesView(app)
    goods_issues = GoodsIssuesView(app)
    retrier = StampingRetrier(app, invoices.list_stamping_failed, settings.stamping_poll_s)
    return Service(
        settings=settings,
        app=app,
        title="OMS billing",
        inbound=inbound,
        outbound=outbound,
        routers=[
            make_router(
                app,
                invoices,
                statements,
                portfolio,
                invoice_pdf or InvoicePdfRenderer(company(settings)),
                receivables,
                goods_issues,
            )
        ],
        views=[invoices, statements, portfolio, receivables, goods_issues],
        verifier=verifier,
        background=[retrier.run],
    )

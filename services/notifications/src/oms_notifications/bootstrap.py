"""The composition root of the notifications service: tests call it with overrides of
settings and collaborators (the mailer, the document source, the clock)."""

from __future__ import annotations

from typing import Any

from oms_kit.auth import TokenVerifier
from oms_kit.eventstore import build_application
from oms_kit.service import Background, Service

from oms_notifications.api.routes import make_router
from oms_notifications.application import NotificationsApplication
from oms_notifications.integration.inbound import inbound
from oms_notifications.integration.outbound import outbound
from oms_notifications.projections.notifications import NotificationLogView
from oms_notifications.projections.stock_alerts import StockAlertsView
from oms_notifications.rendering import DefaultTemplates, Renderer
from oms_notifications.sending.documents import HttpDocumentSource
from oms_notifications.sending.sender import Clock, DocumentSource, Mailer, Sender, utc_now
from oms_notifications.sending.smtp import SmtpMailer
from oms_notifications.settings import Settings


def smtp_mailer(settings: Settings) -> SmtpMailer:
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        timeout_s=settings.smtp_timeout_s,
    )


def document_source(settings: Settings) -> HttpDocumentSource:
    return HttpDocumentSource(
        settings.orders_url,
        settings.billing_url,
        settings.service_client_id,
        settings.client_secret,
        timeout_s=settings.document_timeout_s,
    )


def configure(app: NotificationsApplication, settings: Settings) -> None:
    app.configure(
        renderer=Renderer(DefaultTemplates.shipped(), settings.company_name),
        company_language=settings.company_language,
        mail_domain=settings.mail_domain,
        lease_s=settings.mail_lease_s,
        retry_base_s=settings.mail_retry_base_s,
        retry_cap_s=settings.mail_retry_cap_s,
        max_event_age_s=settings.mail_max_event_age_s,
    )


def bootstrap(
    *,
    mailer: Mailer | None = None,
    documents: DocumentSource | None = None,
    clock: Clock = utc_now,
    verifier: TokenVerifier | None = None,
    **overrides: Any,
) -> Service:
    """The notifications service; ``mailer`` replaces the SMTP server of the settings,
    ``documents`` the fetching of attachments from orders and billing, ``clock`` the time
    the sender goes by, ``verifier`` the check of tokens with the keys at the configured
    JWKS URL."""
    settings = Settings(**overrides)
    app = build_application(NotificationsApplication, settings)
    configure(app, settings)
    log = NotificationLogView(app)
    alerts = StockAlertsView(app)
    sender = Sender(
        app,
        lambda now, limit: log.list_due(now, app.lease, limit),
        mailer or smtp_mailer(settings),
        documents or document_source(settings),
        settings.mail_from,
        clock=clock,
        poll_s=settings.mail_poll_s,
        parallel=settings.mail_parallel,
    )
    return Service(
        settings=settings,
        app=app,
        title="OMS notifications",
        inbound=inbound,
        outbound=outbound,
        routers=[make_router(app, log, alerts)],
        views=[log, alerts],
        verifier=verifier,
        # Each worker's sender claims a message before sending it (one claim wins), so
        # every worker of the service may run one: more mail sent at a time.
        background=[Background(sender.run, "sender", side_by_side=True)],
    )

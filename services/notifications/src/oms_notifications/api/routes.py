"""Routes of the notifications service: each reads a view or calls the Application.

Who may call (DESIGN section 9): back office and admin set the settings and templates of
documents, read the whole log and resend; a customer reads the log of the e-mails sent to
him, a sales rep that of his portfolio and his own (a record outside the caller's reach
answers 404); reps (for themselves) and staff (for a rep) ask for stock alerts; warehouse,
partners and services nothing (403)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, status
from oms_kit.auth import BACK_OFFICE, CUSTOMER, SALES_REP, CurrentUser, Scope, allow
from oms_kit.http import Paging

from oms_notifications.api.models import (
    AlertStatus,
    AttemptPublic,
    DeliveryPublic,
    DeliveryUpdate,
    DocumentType,
    Language,
    NotificationDetailPublic,
    NotificationListPublic,
    NotificationPublic,
    ResendPublic,
    SettingsListPublic,
    Status,
    StockAlertCreate,
    StockAlertListPublic,
    StockAlertPublic,
    TemplatePublic,
    TemplateUpdate,
)
from oms_notifications.application import NotificationsApplication
from oms_notifications.domain.document_settings import Delivery
from oms_notifications.domain.documents import DOCUMENT_TYPES
from oms_notifications.domain.errors import NotYourAlert, SalesRepRequired
from oms_notifications.domain.notification import Notification
from oms_notifications.domain.stock_alert import StockAlert
from oms_notifications.projections.notifications import (
    NotificationFilter,
    NotificationLogView,
    NotificationSummary,
)
from oms_notifications.projections.stock_alerts import AlertSummary, StockAlertsView
from oms_notifications.rendering import Text


def caller_scope(caller: CurrentUser) -> Scope:
    return Scope.of(caller)


#: Whose notifications and alerts the caller may see.
CallerScope = Annotated[Scope, Depends(caller_scope)]


def make_router(
    app: NotificationsApplication, log: NotificationLogView, alerts: StockAlertsView
) -> APIRouter:
    router = APIRouter(
        tags=["notifications"],
        responses={403: {"description": "the caller's role may not do this"}},
    )

    # --- settings -------------------------------------------------------------------------

    @router.get("/settings", response_model=SettingsListPublic, dependencies=[allow(BACK_OFFICE)])
    def list_settings() -> SettingsListPublic:
        """Who receives each document type, and how (the defaults until set)."""
        return SettingsListPublic(
            items=[
                delivery_public(document_type, app.delivery(document_type))
                for document_type in DOCUMENT_TYPES
            ]
        )

    @router.put(
        "/settings/{document_type}",
        response_model=DeliveryPublic,
        dependencies=[allow(BACK_OFFICE)],
    )
    def change_settings(
        document_type: DocumentType, body: DeliveryUpdate, caller: CurrentUser
    ) -> DeliveryPublic:
        """Change who receives a document type (the fields given; the rest stay): from the
        next event of that type on (what is queued goes out as it was queued)."""
        current = app.delivery(document_type)
        given = body.model_dump(exclude_none=True)
        if "cc" in given:
            given["cc"] = tuple(dict.fromkeys(given["cc"]))
        delivery = app.change_delivery(document_type, replace(current, **given), caller.subject)
        return delivery_public(document_type, delivery)

    # --- templates ------------------------------------------------------------------------

    @router.get(
        "/templates/{document_type}/{language}",
        response_model=TemplatePublic,
        dependencies=[allow(BACK_OFFICE)],
    )
    def get_template(document_type: DocumentType, language: Language) -> TemplatePublic:
        """The template in use: the one edited, or the shipped default."""
        text, default = app.template(document_type, language)
        return TemplatePublic(
            document_type=document_type,
            language=language,
            subject=text.subject,
            body=text.body,
            default=default,
        )

    @router.put(
        "/templates/{document_type}/{language}",
        response_model=TemplatePublic,
        dependencies=[allow(BACK_OFFICE)],
        responses={422: {"description": "the template does not parse or is not allowed"}},
    )
    def edit_template(
        document_type: DocumentType,
        language: Language,
        body: TemplateUpdate,
        caller: CurrentUser,
    ) -> TemplatePublic:
        """Replace the template (Jinja2, rendered in a sandbox with only its variables):
        tried with sample values first, refused with 422 naming ``subject`` or ``body``."""
        text = app.edit_template(
            document_type, language, Text(body.subject, body.body), caller.subject
        )
        return TemplatePublic(
            document_type=document_type,
            language=language,
            subject=text.subject,
            body=text.body,
            default=False,
        )

    # --- the log --------------------------------------------------------------------------

    @router.get(
        "/notifications",
        response_model=NotificationListPublic,
        dependencies=[allow(BACK_OFFICE, SALES_REP, CUSTOMER)],
    )
    def list_notifications(
        scope: CallerScope,
        page: Paging,
        document_id: str | None = None,
        document_type: DocumentType | None = None,
        recipient: str | None = None,
        status: Status | None = None,
        customer_id: str | None = None,
    ) -> NotificationListPublic:
        """Every e-mail, newest first: to whom, in which language, its subject, status,
        attempts and last error."""
        found = log.list_notifications(
            scope,
            NotificationFilter(
                document_id=document_id,
                document_type=document_type,
                recipient=recipient,
                status=status,
                customer_id=customer_id,
            ),
            page,
        )
        return NotificationListPublic(
            items=[notification_public(row) for row in found.items],
            next_cursor=found.next_cursor,
        )

    @router.get(
        "/notifications/{notification_id}",
        response_model=NotificationDetailPublic,
        dependencies=[allow(BACK_OFFICE, SALES_REP, CUSTOMER)],
        responses={404: {"description": "no such notification within the caller's reach"}},
    )
    def get_notification(notification_id: str, scope: CallerScope) -> NotificationDetailPublic:
        """One e-mail, with every attempt and its outcome."""
        row = log.get_notification(scope, notification_id)
        notification = app.find(Notification, notification_id)
        history = notification.history if notification is not None else []
        return NotificationDetailPublic(
            **notification_public(row).model_dump(),
            history=[
                AttemptPublic(
                    attempt=entry["attempt"],
                    started_at=entry["started_at"],
                    outcome=entry["outcome"],
                    detail=entry.get("detail"),
                )
                for entry in history
            ],
        )

    @router.post(
        "/notifications/{notification_id}/resend",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=ResendPublic,
        dependencies=[allow(BACK_OFFICE)],
        responses={404: {"description": "no such notification"}},
    )
    def resend(notification_id: str, caller: CurrentUser) -> ResendPublic:
        """Send it again on purpose: a new message (new Message-ID) composed as now known;
        one still pending is going out anyway and is left as it is."""
        notification = app.request_resend(notification_id, caller.subject, datetime.now(UTC))
        return ResendPublic(notification_id=str(notification.id), status="pending")

    # --- stock alerts ---------------------------------------------------------------------

    @router.post(
        "/stock-alerts",
        status_code=status.HTTP_201_CREATED,
        response_model=StockAlertPublic,
        dependencies=[allow(BACK_OFFICE, SALES_REP)],
    )
    def request_stock_alert(body: StockAlertCreate, caller: CurrentUser) -> StockAlertPublic:
        """Tell the rep when the product is in stock (once: at once if it is already)."""
        if caller.role == SALES_REP:
            if body.sales_rep_id not in (None, caller.sales_rep_id):
                raise NotYourAlert()
            sales_rep_id, check_rep = caller.sales_rep_id, False
        else:
            sales_rep_id, check_rep = body.sales_rep_id, True
        if not sales_rep_id:
            raise SalesRepRequired()
        alert = app.request_stock_alert(
            body.sku, sales_rep_id, caller.subject, datetime.now(UTC), check_rep=check_rep
        )
        return alert_public(alert)

    @router.get(
        "/stock-alerts",
        response_model=StockAlertListPublic,
        dependencies=[allow(BACK_OFFICE, SALES_REP)],
    )
    def list_stock_alerts(
        scope: CallerScope,
        page: Paging,
        sku: str | None = None,
        status: AlertStatus | None = None,
        sales_rep_id: str | None = None,
    ) -> StockAlertListPublic:
        """Stock alerts, newest first (a rep sees his own)."""
        found = alerts.list_alerts(scope, page, sku=sku, status=status, sales_rep_id=sales_rep_id)
        return StockAlertListPublic(
            items=[summary_public(alert) for alert in found.items],
            next_cursor=found.next_cursor,
        )

    return router


def delivery_public(document_type: str, delivery: Delivery) -> DeliveryPublic:
    return DeliveryPublic(
        document_type=document_type,
        enabled=delivery.enabled,
        to_customer=delivery.to_customer,
        to_sales_rep=delivery.to_sales_rep,
        cc=list(delivery.cc),
        attach_documents=delivery.attach_documents,
    )


def notification_public(row: NotificationSummary) -> NotificationPublic:
    return NotificationPublic(
        notification_id=row.notification_id,
        document_type=row.document_type,
        document_id=row.document_id,
        customer_id=row.customer_id,
        audience=row.audience,
        recipient=row.recipient,
        language=row.language,
        subject=row.subject,
        status=row.status,
        attempts=row.attempts,
        queued_at=row.queued_at,
        sent_at=row.sent_at,
        error=row.error,
        message_id=row.message_id,
        retry_at=row.retry_at if row.in_flight_since is None else None,
    )


def alert_public(alert: StockAlert) -> StockAlertPublic:
    return StockAlertPublic(
        alert_id=str(alert.id),
        sku=alert.sku,
        sales_rep_id=alert.sales_rep_id,
        status=alert.status,
        requested_at=alert.requested_at,
        notified_at=alert.fired_at,
        available=alert.available,
    )


def summary_public(alert: AlertSummary) -> StockAlertPublic:
    return StockAlertPublic(
        alert_id=alert.alert_id,
        sku=alert.sku,
        sales_rep_id=alert.sales_rep_id,
        status=alert.status,
        requested_at=alert.requested_at,
        notified_at=alert.notified_at,
        available=alert.available,
    )

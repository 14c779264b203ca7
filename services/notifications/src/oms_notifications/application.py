"""The notifications service's use cases: one Application method per command (it saves) or
reaction to a consumed event (it returns the aggregates it changed, unsaved: the kit stores
them with the event's tracking record in one transaction).

Reactions keep what the service knows of customers, reps, products, quotes, orders and
invoices, and queue a notification per recipient that the document type's settings name
when a document event arrives. The sender (``sending/``) claims what is due, one
notification at a time, through ``claim`` and records the outcome with ``record_*``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import RecordConflictError
from oms_kit.eventstore import ServiceApplication

from oms_notifications.domain.customer import Customer
from oms_notifications.domain.directory import DirectoryEntry, Fields
from oms_notifications.domain.document_settings import (
    Delivery,
    DocumentSettings,
    default_delivery,
)
from oms_notifications.domain.documents import (
    ATTACHMENTS,
    CC_PREFIX,
    CUSTOMER,
    CUSTOMER_DOCUMENTS,
    INVOICE_STAMPED,
    LANGUAGES,
    ORDER_CONFIRMED,
    ORDER_STATUS_CHANGED,
    PAYMENT_RECEIVED,
    QUOTE_SENT,
    REQUESTER,
    SALES_REP,
    STOCK_AVAILABLE,
    cc_audience,
)
from oms_notifications.domain.errors import (
    NotificationNotFound,
    UnknownProduct,
    UnknownSalesRep,
)
from oms_notifications.domain.invoice import Invoice
from oms_notifications.domain.notification import (
    Attempt,
    Message,
    Notification,
    idempotency_key,
)
from oms_notifications.domain.order import Order
from oms_notifications.domain.product import Product
from oms_notifications.domain.quote import Quote
from oms_notifications.domain.sales_rep import SalesRep
from oms_notifications.domain.stock_alert import StockAlert
from oms_notifications.domain.stock_watch import Level, StockWatch
from oms_notifications.domain.template import Template
from oms_notifications.rendering import DefaultTemplates, Renderer, RenderFailed, Text

log = logging.getLogger(__name__)

E = TypeVar("E", bound=DirectoryEntry)

#: How often a change is re-read and retried when a concurrent change won the race.
CONFLICT_RETRIES = 5


@dataclass(frozen=True)
class Cause:
    """The contract event that caused a notification: its source service, aggregate and
    version (the same event redelivered or republished says the same) and when it
    happened."""

    source: str
    aggregate_id: str
    aggregate_version: int
    occurred_at: datetime


class Postpone(Exception):
    """The message cannot be composed yet (its recipient is not known yet)."""


class CannotCompose(Exception):
    """The message can never be composed as queued (e.g. a rep's copy for a customer
    without a rep)."""


class NotificationsApplication(ServiceApplication):
    name = "notifications"

    renderer: Renderer = Renderer(DefaultTemplates({}), "OMS")
    company_language = "pt"
    mail_domain = "oms.localhost"
    lease = timedelta(seconds=120)
    retry_base_s = 2.0
    retry_cap_s = 300.0
    max_event_age = timedelta(days=7)

    def configure(
        self,
        *,
        renderer: Renderer,
        company_language: str,
        mail_domain: str,
        lease_s: float,
        retry_base_s: float,
        retry_cap_s: float,
        max_event_age_s: float,
    ) -> None:
        self.renderer = renderer
        self.company_language = company_language
        self.mail_domain = mail_domain
        self.lease = timedelta(seconds=lease_s)
        self.retry_base_s = retry_base_s
        self.retry_cap_s = retry_cap_s
        self.max_event_age = timedelta(seconds=max_event_age_s)

    # --- reactions: what the service knows of other services' records --------------------

    def learn_customer(self, customer_id: str, fields: Fields, version: int) -> Customer | None:
        return self._learn(Customer, customer_id, fields, version)

    def learn_sales_rep(self, sales_rep_id: str, fields: Fields, version: int) -> SalesRep | None:
        return self._learn(SalesRep, sales_rep_id, fields, version)

    def learn_product(self, sku: str, fields: Fields, version: int) -> Product | None:
        return self._learn(Product, sku, fields, version)

    def learn_quote(self, quote_id: str, fields: Fields, version: int) -> Quote | None:
        return self._learn(Quote, quote_id, fields, version)

    def learn_order(self, order_id: str, fields: Fields, version: int) -> Order | None:
        return self._learn(Order, order_id, fields, version)

    def learn_invoice(self, invoice_id: str, fields: Fields, version: int) -> Invoice | None:
        return self._learn(Invoice, invoice_id, fields, version)

    def _learn(self, cls: type[E], key: str, fields: Fields, version: int) -> E | None:
        """The entry of ``cls`` for ``key``, opened if new, when ``fields`` told it
        something new; None when they did not."""
        entry = self._entry(cls, key) or cls(key=key)
        return entry if entry.learn(fields, version) else None

    def _entry(self, cls: type[E], key: str | None) -> E | None:
        """The entry of ``cls`` for ``key`` (each entry's id is derived from its key)."""
        if not key:
            return None
        return self.find(cls, cls.create_id(key))

    # --- reactions: documents -------------------------------------------------------------

    def queue(
        self,
        document_type: str,
        document_id: str,
        cause: Cause,
        facts: dict[str, Any],
        *,
        customer_id: str | None = None,
        requester: str | None = None,
        sales_rep_id: str | None = None,
    ) -> list[Notification]:
        """A notification per recipient the document type's settings name now; none for
        a recipient already queued for this document and event (a redelivery)."""
        delivery = self.delivery(document_type)
        if not delivery.enabled:
            return []
        if cause.occurred_at < datetime.now(UTC) - self.max_event_age:
            # A topic read from its beginning (a first start on an existing history) must
            # not e-mail every customer about last year's documents.
            log.info("%s %s: the event is too old to e-mail about", document_type, document_id)
            return []
        customer_id = customer_id or self._customer_of(document_type, document_id, facts)
        customer = self._entry(Customer, customer_id)
        sales_rep_id = sales_rep_id or (customer.sales_rep_id if customer else None)
        audiences: list[tuple[str, str | None]] = []
        if delivery.to_customer and document_type in CUSTOMER_DOCUMENTS:
            if document_type == QUOTE_SENT:
                if requester:
                    audiences.append((REQUESTER, requester))
            else:
                audiences.append((CUSTOMER, None))
        # The rep of a customer known to have none gets no copy; of one not known yet, the
        # rep is looked up when the message is composed.
        if delivery.to_sales_rep and (sales_rep_id or (customer_id and customer is None)):
            audiences.append((SALES_REP, None))
        audiences += [(cc_audience(address), address) for address in delivery.cc]
        attachments = list(ATTACHMENTS.get(document_type, ())) if delivery.attach_documents else []
        queued = []
        for audience, address in audiences:
            key = idempotency_key(
                document_type,
                document_id,
                cause.source,
                cause.aggregate_id,
                cause.aggregate_version,
                audience,
            )
            if self.find(Notification, Notification.create_id(key)) is not None:
                continue  # queued when this event came the first time
            queued.append(
                Notification(
                    idempotency_key=key,
                    document_type=document_type,
                    document_id=document_id,
                    customer_id=customer_id,
                    sales_rep_id=sales_rep_id,
                    audience=audience,
                    address=address,
                    facts={name: str(value) for name, value in facts.items() if value is not None},
                    attachments=attachments,
                    queued_at=cause.occurred_at,
                )
            )
        return queued

    def _customer_of(
        self, document_type: str, document_id: str, facts: dict[str, Any]
    ) -> str | None:
        """The customer of a document whose event does not name him, if known yet."""
        if document_type in (ORDER_CONFIRMED, ORDER_STATUS_CHANGED):
            order = self._entry(Order, facts.get("order_id") or document_id)
            return order.customer_id if order else None
        if document_type in (INVOICE_STAMPED, PAYMENT_RECEIVED):
            invoice = self._entry(Invoice, facts.get("invoice_id") or document_id)
            return invoice.customer_id if invoice else None
        if document_type == QUOTE_SENT:
            quote = self._entry(Quote, document_id)
            return quote.customer_id if quote else None
        return None

    def see_stock_level(self, sku: str, level: Level, at: datetime) -> list[Aggregate]:
        """Inventory's latest level of ``sku``: in stock, every alert waiting for it fires
        (once) and its rep is notified."""
        watch = self._watch(sku)
        if not watch.see(level):
            return []
        changed: list[Aggregate] = [watch]
        if watch.in_stock:
            for alert_id in watch.fire_all():
                alert = self._alert(alert_id)
                if alert is not None and alert.fire(level.available, at):
                    changed.append(alert)
                    changed += self._queue_alert(alert, level, at)
        return changed

    def _queue_alert(self, alert: StockAlert, level: Level, at: datetime) -> list[Notification]:
        return self.queue(
            STOCK_AVAILABLE,
            str(alert.id),
            Cause(level.source, level.aggregate_id, level.version, at),
            {"sku": alert.sku, "available": level.available},
            sales_rep_id=alert.sales_rep_id,
        )

    def _watch(self, sku: str) -> StockWatch:
        return self.find(StockWatch, StockWatch.create_id(sku)) or StockWatch(sku=sku)

    def _alert(self, alert_id: str) -> StockAlert | None:
        return self.find(StockAlert, alert_id)

    # --- commands: settings and templates -------------------------------------------------

    def delivery(self, document_type: str) -> Delivery:
        settings = self.find(DocumentSettings, DocumentSettings.create_id(document_type))
        return settings.delivery if settings else default_delivery(document_type)

    def change_delivery(self, document_type: str, delivery: Delivery, by: str) -> Delivery:
        for attempt in range(CONFLICT_RETRIES):
            settings = self.find(
                DocumentSettings, DocumentSettings.create_id(document_type)
            ) or DocumentSettings(document_type=document_type)
            if not settings.change(delivery, by):
                return settings.delivery
            try:
                self.save(settings)
            except RecordConflictError:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                continue
            return settings.delivery
        raise AssertionError("unreachable")

    def template(self, document_type: str, language: str) -> tuple[Text, bool]:
        """The template in use, and whether it is the shipped default."""
        edited = self.find(Template, Template.create_id(document_type, language))
        if edited is not None and edited.subject:
            return Text(edited.subject, edited.body), False
        return self.renderer.defaults.text(document_type, language), True

    def edit_template(self, document_type: str, language: str, text: Text, by: str) -> Text:
        """Save a template once it has passed the renderer's checks (422 otherwise)."""
        self.renderer.check(document_type, language, text)
        for attempt in range(CONFLICT_RETRIES):
            template = self.find(Template, Template.create_id(document_type, language)) or Template(
                document_type=document_type, language=language
            )
            if not template.edit(text.subject, text.body, by):
                return text
            try:
                self.save(template)
            except RecordConflictError:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                continue
            return text
        raise AssertionError("unreachable")

    # --- commands: stock alerts -----------------------------------------------------------

    def request_stock_alert(
        self, sku: str, sales_rep_id: str, requested_by: str, now: datetime, *, check_rep: bool
    ) -> StockAlert:
        """An alert for the rep when ``sku`` is in stock: at once if it is already (as last
        heard from inventory), else the first time it is."""
        if self._entry(Product, sku) is None:
            raise UnknownProduct(sku)
        if check_rep and self._entry(SalesRep, sales_rep_id) is None:
            raise UnknownSalesRep(sales_rep_id)
        for attempt in range(CONFLICT_RETRIES):
            # Made anew on each try: a failed save has taken the events of the last one.
            alert = StockAlert(
                sku=sku, sales_rep_id=sales_rep_id, requested_by=requested_by, requested_at=now
            )
            watch = self._watch(sku)
            changed: list[Aggregate] = [alert, watch]
            if watch.level is not None and watch.in_stock:
                alert.fire(watch.level.available, now)
                changed += self._queue_alert(alert, watch.level, now)
            else:
                watch.add_alert(str(alert.id))
            try:
                self.save(*changed)
            except RecordConflictError:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                continue
            return alert
        raise AssertionError("unreachable")

    # --- commands: the log ----------------------------------------------------------------

    def request_resend(self, notification_id: str, by: str, now: datetime) -> Notification:
        """Send it again on purpose (a new message); a pending one is going out anyway."""
        for attempt in range(CONFLICT_RETRIES):
            notification = self.find(Notification, notification_id)
            if notification is None:
                raise NotificationNotFound(notification_id)
            if not notification.request_resend(by, now):
                return notification
            try:
                self.save(notification)
            except RecordConflictError:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                continue
            return notification
        raise AssertionError("unreachable")

    # --- the sender's steps ---------------------------------------------------------------

    def claim(self, notification_id: UUID, now: datetime) -> Attempt | None:
        """Claim a due notification for an attempt (``SendingStarted``, recorded before
        anything is sent), composing its message at the first attempt of a cycle; None
        when it is not due, cannot be sent yet (postponed) or ever (failed), or another
        sender claimed it first (the aggregate's version decides)."""
        notification = self.find(Notification, notification_id)
        if notification is None or not notification.is_due(now, self.lease):
            return None
        message = None
        if notification.message is None:
            try:
                message = self._compose(notification)
            except Postpone as reason:
                log.info("notification %s postponed: %s", notification_id, reason)
                notification.postpone(str(reason), now, self.retry_base_s, self.retry_cap_s)
                self._save_unless_raced(notification)
                return None
            except (CannotCompose, RenderFailed) as reason:
                log.warning("notification %s failed: %s", notification_id, reason)
                notification.cannot_compose(str(reason), now)
                self._save_unless_raced(notification)
                return None
        customer_id = notification.customer_id or self._customer_of(
            notification.document_type, notification.document_id, notification.facts
        )
        attempt = notification.start_sending(now, message, customer_id)
        if not self._save_unless_raced(notification):
            return None
        assert notification.message is not None
        return Attempt(
            notification_id=notification.id,
            attempt=attempt,
            message=notification.message,
            idempotency_key=notification.idempotency_key,
            document_type=notification.document_type,
            document_id=notification.document_id,
            facts=dict(notification.facts),
            attachments=notification.attachments,
            claimed=notification,
        )

    def record_sent(self, claimed: Attempt, now: datetime, answer: str) -> bool:
        attempt = claimed.attempt
        return self._change(claimed, lambda n: n.mark_sent(attempt, now, answer))

    def record_attempt_failed(self, claimed: Attempt, error: str, now: datetime) -> bool:
        attempt = claimed.attempt
        return self._change(
            claimed,
            lambda n: n.attempt_failed(attempt, error, now, self.retry_base_s, self.retry_cap_s),
        )

    def record_failure(self, claimed: Attempt, error: str, now: datetime) -> bool:
        attempt = claimed.attempt
        return self._change(claimed, lambda n: n.fail(attempt, error, now))

    def _change(self, claimed: Attempt, change: Callable[[Notification], bool]) -> bool:
        """``change`` saved on the notification as the claim left it (no load), or, if
        it moved on since (another sender's claim after the lease, a resend), on the
        stored one (where a late outcome may no longer apply)."""
        held = claimed.claimed
        if held is not None and change(held):
            try:
                self.save(held)
            except RecordConflictError:
                pass  # moved on meanwhile
            else:
                return True
        notification_id = claimed.notification_id
        for attempt in range(CONFLICT_RETRIES):
            notification = self.find(Notification, notification_id)
            if notification is None or not change(notification):
                return False
            try:
                self.save(notification)
            except RecordConflictError:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                continue
            return True
        raise AssertionError("unreachable")

    def _save_unless_raced(self, notification: Notification) -> bool:
        try:
            self.save(notification)
        except RecordConflictError:
            return False  # another sender moved it on first
        return True

    # --- composing a message --------------------------------------------------------------

    def _compose(self, notification: Notification) -> Message:
        """The recipient (address, name, language) as known now, and the text in his
        language."""
        customer_id = notification.customer_id or self._customer_of(
            notification.document_type, notification.document_id, notification.facts
        )
        customer = self._entry(Customer, customer_id)
        recipient, recipient_name, language = self._recipient(notification, customer_id, customer)
        if language not in LANGUAGES:
            language = self.company_language
        raw: dict[str, str | None] = {
            **self._document_values(notification),
            **notification.facts,
            "recipient_name": recipient_name,
            "customer_name": customer.name if customer else None,
        }
        template, _ = self.template(notification.document_type, language)
        text = self.renderer.render(notification.document_type, language, template, raw)
        return Message(
            recipient=recipient,
            recipient_name=recipient_name,
            language=language,
            subject=text.subject,
            body=text.body,
            message_id=f"<{notification.id}.{notification.cycle}@{self.mail_domain}>",
        )

    def _recipient(
        self, notification: Notification, customer_id: str | None, customer: Customer | None
    ) -> tuple[str, str, str]:
        audience = notification.audience
        customer_language = (customer.language if customer else None) or self.company_language
        if audience == CUSTOMER:
            if customer is None or not customer.email:
                raise Postpone(f"customer {customer_id or '(of the document)'} not known yet")
            return customer.email, customer.name or "", customer_language
        if audience == REQUESTER:
            if customer is None:
                raise Postpone(f"customer {customer_id or '(of the document)'} not known yet")
            return notification.address or "", customer.name or "", customer_language
        if audience == SALES_REP:
            rep_id = notification.sales_rep_id or (customer.sales_rep_id if customer else None)
            if rep_id is None:
                if customer is None:
                    raise Postpone(f"customer {customer_id or '(of the document)'} not known yet")
                raise CannotCompose(f"customer {customer_id} has no sales rep")
            rep = self._entry(SalesRep, rep_id)
            if rep is None or not rep.email:
                raise Postpone(f"sales rep {rep_id} not known yet")
            return rep.email, rep.name or "", rep.language or self.company_language
        if audience.startswith(CC_PREFIX):
            return notification.address or audience[len(CC_PREFIX) :], "", customer_language
        raise CannotCompose(f"unknown audience {audience!r}")

    def _document_values(self, notification: Notification) -> dict[str, str | None]:
        """What the template needs beyond the event's facts, from what is known of the
        document now."""
        document_type, document_id = notification.document_type, notification.document_id
        if document_type == QUOTE_SENT:
            quote = self._entry(Quote, document_id)
            return {
                "quote_id": document_id,
                "total": quote.total if quote else None,
                "currency": quote.currency if quote else None,
                "valid_until": quote.valid_until if quote else None,
            }
        if document_type in (ORDER_CONFIRMED, ORDER_STATUS_CHANGED):
            order = self._entry(Order, notification.facts.get("order_id") or document_id)
            return {
                "total": order.total if order else None,
                "currency": order.currency if order else None,
                "expected_delivery_date": order.expected_delivery_date if order else None,
            }
        if document_type in (INVOICE_STAMPED, PAYMENT_RECEIVED):
            invoice = self._entry(Invoice, notification.facts.get("invoice_id") or document_id)
            return {
                "invoice_number": invoice.number if invoice else None,
                "order_id": invoice.order_id if invoice else None,
                "total": invoice.total if invoice else None,
                "currency": invoice.currency if invoice else None,
            }
        if document_type == STOCK_AVAILABLE:
            product = self._entry(Product, notification.facts.get("sku"))
            return {"product_name": product.name if product else None}
        return {}

"""Contract events the notifications service reacts to, one handler each.

Orders: customers, reps (and their users' language), products, quotes and orders are kept
as far as the e-mails need them, each field ordered by its source record's version; a quote
sent, an order confirmed and an order's status change are e-mailed. Billing: invoices are
kept; an invoice stamped and a payment received are e-mailed. Inventory: each stock level is
kept, and fires the alerts waiting for the product when it is in stock.

Each notification is keyed by the event that caused it (its source, aggregate and
version, from the envelope), so the same event redelivered or republished queues nothing
new."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from eventsourcing.domain import Aggregate
from oms_contracts.billing import InvoiceIssued, InvoiceStamped, PaymentReceived
from oms_contracts.inventory import StockLevelChanged
from oms_contracts.orders import (
    CustomerRegistered,
    CustomerUpdated,
    OrderConfirmed,
    OrderPlaced,
    OrderStatusChanged,
    ProductDefined,
    QuoteCreated,
    QuoteRevised,
    QuoteSent,
    SalesRepRegistered,
    UserRegistered,
)
from oms_kit.auth import SALES_REP
from oms_kit.eventstore import Changed
from oms_kit.service import Inbound, Received

from oms_notifications.application import Cause, NotificationsApplication
from oms_notifications.domain.documents import (
    INVOICE_STAMPED,
    ORDER_CONFIRMED,
    ORDER_STATUS_CHANGED,
    PAYMENT_RECEIVED,
    QUOTE_SENT,
)
from oms_notifications.domain.stock_watch import Level

inbound = Inbound(NotificationsApplication)

#: The status whose change OrderConfirmed tells (as order_confirmed): not told twice.
CONFIRMED = "confirmed"


def _cause(received: Received) -> Cause:
    return Cause(
        received.source,
        received.aggregate_id,
        received.aggregate_version,
        received.occurred_at,
    )


def _text(value: Decimal | date | None) -> str | None:
    if value is None:
        return None
    return format(value, "f") if isinstance(value, Decimal) else value.isoformat()


def _given(**fields: str | None) -> dict[str, str | None]:
    """Only the fields an update sets (the rest did not change)."""
    return {name: value for name, value in fields.items() if value is not None}


def _both(*changed: Changed) -> list[Aggregate]:
    out: list[Aggregate] = []
    for change in changed:
        if isinstance(change, Aggregate):
            out.append(change)
        elif change:
            out.extend(change)  # type: ignore[arg-type]
    return out


# --- who is who ----------------------------------------------------------------------------


@inbound.on(CustomerRegistered)
def on_customer_registered(
    app: NotificationsApplication, registered: CustomerRegistered, received: Received
) -> Changed:
    return app.learn_customer(
        registered.customer_id,
        {
            "name": registered.name,
            "email": registered.email,
            "language": registered.language,
            "sales_rep_id": registered.sales_rep_id,
        },
        received.aggregate_version,
    )


@inbound.on(CustomerUpdated)
def on_customer_updated(
    app: NotificationsApplication, updated: CustomerUpdated, received: Received
) -> Changed:
    fields = _given(
        name=updated.name,
        email=updated.email,
        language=updated.language,
        sales_rep_id=updated.sales_rep_id,
    )
    if not fields:
        return None
    return app.learn_customer(updated.customer_id, fields, received.aggregate_version)


@inbound.on(SalesRepRegistered)
def on_sales_rep_registered(
    app: NotificationsApplication, registered: SalesRepRegistered, received: Received
) -> Changed:
    return app.learn_sales_rep(
        registered.sales_rep_id,
        {"name": registered.name, "email": registered.email},
        received.aggregate_version,
    )


@inbound.on(UserRegistered)
def on_user_registered(
    app: NotificationsApplication, registered: UserRegistered, received: Received
) -> Changed:
    """A rep's user says the rep's language."""
    if registered.role != SALES_REP or not registered.sales_rep_id:
        return None
    return app.learn_sales_rep(
        registered.sales_rep_id, {"language": registered.language}, received.aggregate_version
    )


@inbound.on(ProductDefined)
def on_product_defined(
    app: NotificationsApplication, defined: ProductDefined, received: Received
) -> Changed:
    return app.learn_product(defined.sku, {"name": defined.name}, received.aggregate_version)


# --- quotes ----------------------------------------------------------------------------------


@inbound.on(QuoteCreated)
def on_quote_created(
    app: NotificationsApplication, created: QuoteCreated, received: Received
) -> Changed:
    return app.learn_quote(
        created.quote_id,
        {
            "customer_id": created.customer_id,
            "total": _text(created.total),
            "currency": created.currency,
            "valid_until": _text(created.valid_until),
        },
        received.aggregate_version,
    )


@inbound.on(QuoteRevised)
def on_quote_revised(
    app: NotificationsApplication, revised: QuoteRevised, received: Received
) -> Changed:
    return app.learn_quote(
        revised.quote_id, {"total": _text(revised.total)}, received.aggregate_version
    )


@inbound.on(QuoteSent)
def on_quote_sent(app: NotificationsApplication, sent: QuoteSent, received: Received) -> Changed:
    return app.queue(
        QUOTE_SENT,
        sent.quote_id,
        _cause(received),
        {"quote_id": sent.quote_id},
        customer_id=sent.customer_id,
        requester=sent.email,
    )


# --- orders ----------------------------------------------------------------------------------


@inbound.on(OrderPlaced)
def on_order_placed(
    app: NotificationsApplication, placed: OrderPlaced, received: Received
) -> Changed:
    return app.learn_order(
        placed.order_id,
        {
            "customer_id": placed.customer_id,
            "sales_rep_id": placed.sales_rep_id,
            "total": _text(placed.total),
            "currency": placed.currency,
            "expected_delivery_date": _text(placed.expected_delivery_date),
        },
        received.aggregate_version,
    )


@inbound.on(OrderConfirmed)
def on_order_confirmed(
    app: NotificationsApplication, confirmed: OrderConfirmed, received: Received
) -> Changed:
    learnt = app.learn_order(
        confirmed.order_id,
        _given(
            customer_id=confirmed.customer_id,
            total=_text(confirmed.total),
            currency=confirmed.currency,
            expected_delivery_date=_text(confirmed.expected_delivery_date),
        ),
        received.aggregate_version,
    )
    queued = app.queue(
        ORDER_CONFIRMED,
        confirmed.order_id,
        _cause(received),
        {
            "order_id": confirmed.order_id,
            "total": _text(confirmed.total),
            "currency": confirmed.currency,
            "expected_delivery_date": _text(confirmed.expected_delivery_date),
        },
        customer_id=confirmed.customer_id,
    )
    return _both(learnt, queued)


@inbound.on(OrderStatusChanged)
def on_order_status_changed(
    app: NotificationsApplication, changed: OrderStatusChanged, received: Received
) -> Changed:
    if changed.status == CONFIRMED or changed.status == changed.previous_status:
        return None  # order_confirmed tells it; a change of reason only is not e-mailed
    return app.queue(
        ORDER_STATUS_CHANGED,
        changed.order_id,
        _cause(received),
        {
            "order_id": changed.order_id,
            "status": changed.status,
            "previous_status": changed.previous_status,
            "reason": changed.reason,
        },
    )


# --- billing ---------------------------------------------------------------------------------


@inbound.on(InvoiceIssued)
def on_invoice_issued(
    app: NotificationsApplication, issued: InvoiceIssued, received: Received
) -> Changed:
    return app.learn_invoice(
        issued.invoice_id,
        {
            "order_id": issued.order_id,
            "customer_id": issued.customer_id,
            "number": issued.number,
            "total": _text(issued.total),
            "currency": issued.currency,
        },
        received.aggregate_version,
    )


@inbound.on(InvoiceStamped)
def on_invoice_stamped(
    app: NotificationsApplication, stamped: InvoiceStamped, received: Received
) -> Changed:
    return app.queue(
        INVOICE_STAMPED,
        stamped.invoice_id,
        _cause(received),
        {
            "invoice_id": stamped.invoice_id,
            "invoice_number": stamped.number,
            "order_id": stamped.order_id,
            "stamped_at": stamped.stamped_at.isoformat(),
            "stamp_uuid": stamped.stamp_uuid,
        },
    )


@inbound.on(PaymentReceived)
def on_payment_received(
    app: NotificationsApplication, payment: PaymentReceived, received: Received
) -> Changed:
    return app.queue(
        PAYMENT_RECEIVED,
        payment.payment_id,
        _cause(received),
        {
            "invoice_id": payment.invoice_id,
            "order_id": payment.order_id,
            "amount": _text(payment.amount),
            "open_after": _text(payment.open_after),
            "currency": payment.currency,
            "paid_at": received.occurred_at.isoformat(),
        },
        customer_id=payment.customer_id,
    )


# --- inventory -------------------------------------------------------------------------------


@inbound.on(StockLevelChanged)
def on_stock_level_changed(
    app: NotificationsApplication, level: StockLevelChanged, received: Received
) -> Changed:
    return app.see_stock_level(
        level.sku,
        Level(
            available=Decimal(level.available),
            source=received.source,
            aggregate_id=received.aggregate_id,
            version=received.aggregate_version,
        ),
        received.occurred_at,
    )

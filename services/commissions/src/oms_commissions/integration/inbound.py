"""Contract events the commissions service reacts to, one handler each: the ledger is fed
by events only.

Orders: a placement names the order's rep (the customer's rep then) and its expected
delivery date; a confirmation accrues; a cancellation removes what was left to invoice;
customer events name the customers (ordered by the customer's version). Billing: an invoice
issued moves its part to invoiced; a payment received earns its share. Dates are the day
the source stored the event (the envelope's ``occurred_at``), so a replay dates alike.

An invoice cancelled reverses its commission in full; a credit note the credited share of
it (its net amount over the invoice's net)."""

from __future__ import annotations

from oms_contracts.billing import (
    CreditNoteIssued,
    InvoiceCancelled,
    InvoiceIssued,
    PaymentReceived,
)
from oms_contracts.orders import (
    CustomerRegistered,
    CustomerUpdated,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
)
from oms_kit.eventstore import Changed
from oms_kit.service import Inbound, Received

from oms_commissions.application import CommissionsApplication
from oms_commissions.domain.order import InvoicedLine

inbound = Inbound(CommissionsApplication)


def _day(received: Received) -> str:
    return received.occurred_at.date().isoformat()


@inbound.on(CustomerRegistered)
def on_customer_registered(
    app: CommissionsApplication, registered: CustomerRegistered, received: Received
) -> Changed:
    return app.name_customer(
        customer_id=registered.customer_id,
        name=registered.name,
        customer_version=received.aggregate_version,
    )


@inbound.on(CustomerUpdated)
def on_customer_updated(
    app: CommissionsApplication, updated: CustomerUpdated, received: Received
) -> Changed:
    if updated.name is None:
        return None  # only the fields that changed are set: the name did not
    return app.name_customer(
        customer_id=updated.customer_id,
        name=updated.name,
        customer_version=received.aggregate_version,
    )


@inbound.on(OrderPlaced)
def on_order_placed(app: CommissionsApplication, placed: OrderPlaced) -> Changed:
    return app.place_order(
        order_id=placed.order_id,
        customer_id=placed.customer_id,
        sales_rep_id=placed.sales_rep_id,
        currency=placed.currency,
        expected_delivery_date=(
            placed.expected_delivery_date.isoformat() if placed.expected_delivery_date else None
        ),
    )


@inbound.on(OrderConfirmed)
def on_order_confirmed(
    app: CommissionsApplication, confirmed: OrderConfirmed, received: Received
) -> Changed:
    return app.confirm_order(
        order_id=confirmed.order_id,
        lines=[
            {
                "line_no": line.line_no,
                "sku": line.sku,
                "quantity": line.quantity,
                "net_amount": line.net_amount,
                "tax_rate": line.tax_rate,
            }
            for line in confirmed.lines
        ],
        confirmed_on=_day(received),
        expected_delivery_date=(
            confirmed.expected_delivery_date.isoformat()
            if confirmed.expected_delivery_date
            else None
        ),
    )


@inbound.on(OrderCancelled)
def on_order_cancelled(app: CommissionsApplication, cancelled: OrderCancelled) -> Changed:
    return app.cancel_order(order_id=cancelled.order_id, reason=cancelled.reason)


@inbound.on(InvoiceIssued)
def on_invoice_issued(
    app: CommissionsApplication, issued: InvoiceIssued, received: Received
) -> Changed:
    return app.issue_invoice(
        invoice_id=issued.invoice_id,
        number=issued.number,
        order_id=issued.order_id,
        customer_id=issued.customer_id,
        currency=issued.currency,
        lines=[
            InvoicedLine(
                sku=line.sku,
                quantity=line.quantity,
                net_amount=line.net_amount,
                tax_amount=line.tax_amount,
            )
            for line in issued.lines
        ],
        total=issued.total,
        issued_on=_day(received),
    )


@inbound.on(PaymentReceived)
def on_payment_received(
    app: CommissionsApplication, received_payment: PaymentReceived, received: Received
) -> Changed:
    return app.record_payment(
        payment_id=received_payment.payment_id,
        invoice_id=received_payment.invoice_id,
        amount=received_payment.amount,
        open_after=received_payment.open_after,
        received_on=_day(received),
    )


@inbound.on(InvoiceCancelled)
def on_invoice_cancelled(
    app: CommissionsApplication, cancelled: InvoiceCancelled, received: Received
) -> Changed:
    return app.reverse_invoice(
        invoice_id=cancelled.invoice_id,
        reason=cancelled.reason,
        reversed_on=cancelled.cancelled_at.date().isoformat(),
    )


@inbound.on(CreditNoteIssued)
def on_credit_note_issued(
    app: CommissionsApplication, credit_note: CreditNoteIssued, received: Received
) -> Changed:
    return app.credit_invoice(
        credit_note_id=credit_note.credit_note_id,
        invoice_id=credit_note.invoice_id,
        amount=credit_note.total,
        net_amount=credit_note.net_amount,
        credited_on=credit_note.issued_at.date().isoformat(),
        reason=credit_note.reason,
    )

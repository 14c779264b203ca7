"""Private domain events of the billing service -> public contract events."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from oms_contracts import ContractEvent
from oms_contracts.billing import (
    Installment,
    InvoiceIssued,
    InvoiceLine,
    InvoicePaid,
    InvoiceStamped,
    InvoiceStampingFailed,
    JournalEntryPosted,
    JournalLine,
    PaymentReceived,
    ReceivableOpened,
)

from oms_billing.domain.invoice import Invoice
from oms_billing.domain.receivable import JournalEntry, Receivable


def to_contract(event: DomainEventProtocol[UUID]) -> ContractEvent | None:
    """The public event for a domain event, or None when it stays private."""
    aggregate_id = str(event.originator_id)
    if isinstance(event, Invoice.Issued):
        return InvoiceIssued(
            invoice_id=aggregate_id,
            number=event.number,
            order_id=event.order_id,
            customer_id=event.customer_id,
            goods_issue_id=event.goods_issue_id,
            currency=event.currency,
            lines=[
                InvoiceLine(
                    sku=line["sku"],
                    quantity=line["quantity"],
                    unit_price=line["unit_price"],
                    net_amount=line["net_amount"],
                    tax_rate=line["tax_rate"],
                    tax_amount=line["tax_amount"],
                )
                for line in event.lines
            ],
            net_total=event.net_total,
            tax_total=event.tax_total,
            total=event.total,
        )
    if isinstance(event, Invoice.Stamped):
        return InvoiceStamped(
            invoice_id=aggregate_id,
            order_id=event.order_id,
            number=event.number,
            stamp_uuid=event.stamp_uuid,
            stamped_at=event.stamped_at,
            provider=event.provider,
        )
    if isinstance(event, Invoice.StampingFailed):
        return InvoiceStampingFailed(
            invoice_id=aggregate_id,
            order_id=event.order_id,
            reason=event.reason,
            attempt=event.attempt,
        )
    if isinstance(event, Invoice.PaymentRecorded):
        return PaymentReceived(
            payment_id=str(event.payment_id),
            invoice_id=aggregate_id,
            order_id=event.order_id,
            customer_id=event.customer_id,
            currency=event.currency,
            amount=event.amount,
            open_after=event.open_after,
        )
    if isinstance(event, Invoice.Paid):
        return InvoicePaid(
            invoice_id=aggregate_id, order_id=event.order_id, customer_id=event.customer_id
        )
    if isinstance(event, Receivable.Opened):
        return ReceivableOpened(
            receivable_id=aggregate_id,
            invoice_id=str(event.invoice_id),
            order_id=event.order_id,
            customer_id=event.customer_id,
            currency=event.currency,
            amount=event.amount,
            installments=[
                Installment(number=i["number"], due_on=i["due_on"], amount=i["amount"])
                for i in event.installments
            ],
        )
    if isinstance(event, JournalEntry.Posted):
        return JournalEntryPosted(
            entry_id=aggregate_id,
            invoice_id=str(event.invoice_id),
            currency=event.currency,
            lines=[
                JournalLine(account=li["account"], debit=li["debit"], credit=li["credit"])
                for li in event.lines
            ],
        )
    return None

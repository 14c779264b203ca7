"""Private domain events of the billing service -> public contract events, one mapping
each; the rest (the order copy, the numbering series) stay private."""

from __future__ import annotations

from oms_contracts.billing import (
    CreditNoteIssued,
    CreditNoteLine,
    Installment,
    InvoiceCancelled,
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
from oms_kit.service import Outbound

from oms_billing.domain.invoice import Invoice
from oms_billing.domain.receivable import JournalEntry, Receivable

outbound = Outbound()


@outbound.maps(Invoice.Issued)
def invoice_issued(issued: Invoice.Issued) -> InvoiceIssued:
    return InvoiceIssued(
        invoice_id=str(issued.originator_id),
        number=issued.number,
        order_id=issued.order_id,
        customer_id=issued.customer_id,
        goods_issue_id=issued.goods_issue_id,
        goods_issue_ids=getattr(issued, "goods_issue_ids", None) or [issued.goods_issue_id],
        currency=issued.currency,
        lines=[
            InvoiceLine(
                sku=line["sku"],
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                net_amount=line["net_amount"],
                tax_rate=line["tax_rate"],
                tax_amount=line["tax_amount"],
            )
            for line in issued.lines
        ],
        net_total=issued.net_total,
        tax_total=issued.tax_total,
        total=issued.total,
    )


@outbound.maps(Invoice.Stamped)
def invoice_stamped(stamped: Invoice.Stamped) -> InvoiceStamped:
    return InvoiceStamped(
        invoice_id=str(stamped.originator_id),
        order_id=stamped.order_id,
        number=stamped.number,
        stamp_uuid=stamped.stamp_uuid,
        stamped_at=stamped.stamped_at,
        provider=stamped.provider,
    )


@outbound.maps(Invoice.StampingFailed)
def invoice_stamping_failed(failed: Invoice.StampingFailed) -> InvoiceStampingFailed:
    return InvoiceStampingFailed(
        invoice_id=str(failed.originator_id),
        order_id=failed.order_id,
        reason=failed.reason,
        attempt=failed.attempt,
    )


@outbound.maps(Invoice.PaymentRecorded)
def payment_received(recorded: Invoice.PaymentRecorded) -> PaymentReceived:
    return PaymentReceived(
        payment_id=str(recorded.payment_id),
        invoice_id=str(recorded.originator_id),
        order_id=recorded.order_id,
        customer_id=recorded.customer_id,
        currency=recorded.currency,
        amount=recorded.amount,
        open_after=recorded.open_after,
    )


@outbound.maps(Invoice.Paid)
def invoice_paid(paid: Invoice.Paid) -> InvoicePaid:
    return InvoicePaid(
        invoice_id=str(paid.originator_id), order_id=paid.order_id, customer_id=paid.customer_id
    )


@outbound.maps(Receivable.Opened)
def receivable_opened(opened: Receivable.Opened) -> ReceivableOpened:
    return ReceivableOpened(
        receivable_id=str(opened.originator_id),
        invoice_id=str(opened.invoice_id),
        order_id=opened.order_id,
        customer_id=opened.customer_id,
        currency=opened.currency,
        amount=opened.amount,
        installments=[
            Installment(number=i["number"], due_on=i["due_on"], amount=i["amount"])
            for i in opened.installments
        ],
    )


@outbound.maps(JournalEntry.Posted)
def journal_entry_posted(posted: JournalEntry.Posted) -> JournalEntryPosted:
    return JournalEntryPosted(
        entry_id=str(posted.originator_id),
        invoice_id=str(posted.invoice_id),
        currency=posted.currency,
        lines=[
            JournalLine(account=line["account"], debit=line["debit"], credit=line["credit"])
            for line in posted.lines
        ],
    )


@outbound.maps(Invoice.Cancelled)
def invoice_cancelled(cancelled: Invoice.Cancelled) -> InvoiceCancelled:
    return InvoiceCancelled(
        invoice_id=str(cancelled.originator_id),
        order_id=cancelled.order_id,
        customer_id=cancelled.customer_id,
        number=cancelled.number,
        reason=cancelled.reason,
        total=cancelled.total,
        currency=cancelled.currency,
        cancelled_at=cancelled.cancelled_at,
    )


@outbound.maps(Invoice.Credited)
def credit_note_issued(credited: Invoice.Credited) -> CreditNoteIssued:
    return CreditNoteIssued(
        credit_note_id=str(credited.credit_note_id),
        invoice_id=str(credited.originator_id),
        order_id=credited.order_id,
        customer_id=credited.customer_id,
        number=credited.number,
        reason=credited.reason,
        lines=[
            CreditNoteLine(sku=line["sku"], quantity=line["quantity"], amount=line["amount"])
            for line in credited.lines
        ],
        total=credited.total,
        net_amount=credited.net_amount,
        currency=credited.currency,
        issued_at=credited.issued_at,
        returned_goods=credited.returned_goods,
    )

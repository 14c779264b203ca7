"""Public events of the billing service: invoices, stamping, receivables, payments."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from oms_contracts.base import ContractEvent, Day, DecimalStr, Quantity, UtcDatetime


class _Billing(ContractEvent):
    source = "billing"


class InvoiceLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    quantity: Quantity
    unit_price: DecimalStr
    net_amount: DecimalStr
    tax_rate: DecimalStr
    tax_amount: DecimalStr


class Installment(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    due_on: Day
    amount: DecimalStr


class JournalLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    account: str
    debit: DecimalStr
    credit: DecimalStr


class InvoiceIssued(_Billing):
    invoice_id: str
    number: str
    order_id: str
    customer_id: str
    goods_issue_id: str | None = None
    #: Every goods issue it invoices: several when the customer is invoiced on demand
    #: (``goods_issue_id`` is the first of them).
    goods_issue_ids: list[str] = Field(default_factory=list)
    currency: str
    lines: list[InvoiceLine]
    net_total: DecimalStr
    tax_total: DecimalStr
    total: DecimalStr


class InvoiceStamped(_Billing):
    invoice_id: str
    order_id: str
    number: str
    stamp_uuid: str
    stamped_at: UtcDatetime
    provider: str


class InvoiceStampingFailed(_Billing):
    invoice_id: str
    order_id: str
    reason: str
    attempt: int


class ReceivableOpened(_Billing):
    receivable_id: str
    invoice_id: str
    order_id: str
    customer_id: str
    currency: str
    amount: DecimalStr
    installments: list[Installment]


class PaymentReceived(_Billing):
    payment_id: str
    invoice_id: str
    order_id: str
    customer_id: str
    currency: str
    amount: DecimalStr
    open_after: DecimalStr


class InvoicePaid(_Billing):
    invoice_id: str
    order_id: str
    customer_id: str


class JournalEntryPosted(_Billing):
    entry_id: str
    invoice_id: str
    currency: str
    lines: list[JournalLine]


class InvoiceCancelled(_Billing):
    """An unpaid invoice was cancelled: its receivable and journal entry are reversed."""

    invoice_id: str
    order_id: str
    customer_id: str
    number: str
    reason: str
    total: DecimalStr
    currency: str
    cancelled_at: UtcDatetime


class CreditNoteLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    quantity: Quantity
    amount: DecimalStr


class CreditNoteIssued(_Billing):
    """A credit note against an invoice, full or partial, numbered in its own series.

    ``total`` is the amount credited, tax included; ``net_amount`` the same without tax.
    ``lines`` name the goods credited (empty for a credit by amount alone);
    ``returned_goods`` says whether those goods come back into stock.
    """

    credit_note_id: str
    invoice_id: str
    order_id: str
    customer_id: str
    number: str
    reason: str
    lines: list[CreditNoteLine]
    total: DecimalStr
    net_amount: DecimalStr
    currency: str
    issued_at: UtcDatetime
    returned_goods: bool = False

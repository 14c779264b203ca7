"""Request and response models of the billing routes (DESIGN section 5)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from oms_kit.types import Money, MoneyIn, Quantity, QuantityIn
from pydantic import BaseModel, Field, StringConstraints


class StampPublic(BaseModel):
    uuid: str
    stamped_at: datetime
    provider: str


class InvoiceSummaryPublic(BaseModel):
    invoice_id: str
    order_id: str
    customer_id: str
    number: str
    status: str
    currency: str
    net_total: Money
    tax_total: Money
    total: Money
    open_amount: Money
    issued_at: datetime
    stamp: StampPublic | None


class StatusTotalPublic(BaseModel):
    count: int
    total: Money


class InvoiceListPublic(BaseModel):
    items: list[InvoiceSummaryPublic]
    #: Over the whole filtered list, not just the page.
    totals_by_status: dict[str, StatusTotalPublic]
    next_cursor: str | None


class InvoiceLinePublic(BaseModel):
    line_no: int
    sku: str
    quantity: Quantity
    unit_price: Money
    net_amount: Money
    tax_rate: Money
    tax_amount: Money


class InstallmentPublic(BaseModel):
    number: int
    due_on: date
    amount: Money


class StampDetailPublic(StampPublic):
    signature: str
    xml: str


class PaymentSummaryPublic(BaseModel):
    payment_id: str
    amount: Money
    open_after: Money
    received_at: datetime


class CreditNoteSummaryPublic(BaseModel):
    credit_note_id: str
    number: str
    reason: str
    total: Money
    net_amount: Money
    issued_at: datetime


class InvoicePublic(BaseModel):
    invoice_id: str
    order_id: str
    customer_id: str
    goods_issue_id: str
    goods_issue_ids: list[str]
    number: str
    status: str
    currency: str
    issued_at: datetime
    lines: list[InvoiceLinePublic]
    net_total: Money
    tax_total: Money
    total: Money
    open_amount: Money
    installments: list[InstallmentPublic]
    stamp: StampDetailPublic | None
    stamping_attempts: int
    last_stamping_error: str | None
    payments: list[PaymentSummaryPublic]
    #: What is still open of each installment (number -> amount).
    installments_open: dict[int, Money]
    credit_notes: list[CreditNoteSummaryPublic]
    cancel_reason: str | None


class PaymentCreate(BaseModel):
    #: Positive with at most two decimals: the invoice checks both and names ``amount``.
    amount: MoneyIn
    #: The installment it pays (its number, 1-based); none: the oldest open ones.
    installment: int | None = Field(default=None, ge=1)


class InvoiceCancel(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class CreditNoteLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=100)
    quantity: QuantityIn


class CreditNoteCreate(BaseModel):
    reason: str = Field(min_length=1, max_length=500)
    #: The goods credited; with neither lines nor amount, all that remains creditable.
    lines: list[CreditNoteLineIn] | None = Field(default=None, max_length=500)
    #: An amount with tax, instead of lines.
    amount: MoneyIn | None = None
    #: Whether the goods of the lines come back into stock.
    returned_goods: bool = False


class CreditNotePublic(BaseModel):
    credit_note_id: str
    invoice_id: str
    number: str
    reason: str
    net_amount: Money
    total: Money
    invoice_open_amount: Money


class AgingBucketPublic(BaseModel):
    label: str
    total: Money


class AgingPublic(BaseModel):
    as_of: date
    buckets: list[AgingBucketPublic]


class PaymentPublic(BaseModel):
    payment_id: str
    invoice_id: str
    amount: Money
    open_amount: Money


class StatementEntryPublic(BaseModel):
    date: date
    type: str
    reference: str
    currency: str
    debit: Money
    credit: Money
    balance: Money


class StatementPublic(BaseModel):
    customer_id: str
    balance: Money
    entries: list[StatementEntryPublic]


class GoodsIssueLinePublic(BaseModel):
    sku: str
    quantity: Quantity


class GoodsIssuePublic(BaseModel):
    goods_issue_id: str
    order_id: str
    customer_id: str
    issued_at: datetime
    lines: list[GoodsIssueLinePublic]
    invoiced: bool
    invoice_id: str | None


class GoodsIssueListPublic(BaseModel):
    items: list[GoodsIssuePublic]
    next_cursor: str | None


#: A goods issue's id as a caller names it: never a NUL character, which PostgreSQL cannot
#: compare (the lookup failed with an error that named no field).
GoodsIssueId = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]+$")
]


class InvoiceBatchCreate(BaseModel):
    #: The waiting goods issues to invoice: one invoice per order.
    goods_issue_ids: list[GoodsIssueId] = Field(min_length=1, max_length=500)


class InvoiceBatchPublic(BaseModel):
    items: list[InvoicePublic]

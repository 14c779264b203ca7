"""Request and response models of the billing routes (DESIGN section 5)."""

from __future__ import annotations

from datetime import date, datetime

from oms_kit.types import Money, MoneyIn, Quantity
from pydantic import BaseModel


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


class InvoiceListPublic(BaseModel):
    items: list[InvoiceSummaryPublic]
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


class InvoicePublic(BaseModel):
    invoice_id: str
    order_id: str
    customer_id: str
    goods_issue_id: str
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


class PaymentCreate(BaseModel):
    #: Positive with at most two decimals: the invoice checks both and names ``amount``.
    amount: MoneyIn


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

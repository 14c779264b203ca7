"""Routes of the billing service, and the one map from its errors to HTTP problems."""

from __future__ import annotations

import base64
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response, status
from oms_kit.http import ErrorMap
from pydantic import BaseModel, Field, PlainSerializer

from oms_billing.application import BillingApplication
from oms_billing.application.queries import BillingQueries
from oms_billing.domain.errors import (
    GoodsIssueNotInvoiceable,
    InvalidPaymentAmount,
    InvoiceNotFound,
    PaymentExceedsOpenAmount,
    StatementNotFound,
    UnbalancedJournalEntry,
)

ERRORS: ErrorMap = {
    InvoiceNotFound: (404, "Invoice not found"),
    StatementNotFound: (404, "No statement"),
    InvalidPaymentAmount: (422, "Invalid payment"),
    PaymentExceedsOpenAmount: (422, "Payment exceeds the open amount"),
    GoodsIssueNotInvoiceable: (409, "Goods issue cannot be invoiced"),
    UnbalancedJournalEntry: (409, "Unbalanced journal entry"),
}

#: Money in JSON: a decimal string ("100.00").
Money = Annotated[Decimal, PlainSerializer(lambda d: format(d, "f"), return_type=str)]
#: Quantities in JSON: numbers.
Quantity = Annotated[
    Decimal,
    PlainSerializer(
        lambda d: int(d) if d == d.to_integral_value() else float(d), return_type=float
    ),
]


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
    amount: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=2)]


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


def _invoice_uuid(invoice_id: str) -> UUID:
    try:
        return UUID(invoice_id)
    except ValueError:
        raise InvoiceNotFound(invoice_id) from None


def make_router(app: BillingApplication, queries: BillingQueries) -> APIRouter:
    router = APIRouter(tags=["billing"])

    @router.get("/invoices", response_model=InvoiceListPublic)
    def list_invoices(
        order_id: str | None = None,
        customer_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> InvoiceListPublic:
        """Invoices, newest first, optionally of one order or customer; ``offset`` pages
        on (the first ``offset`` are skipped)."""
        rows = queries.list_invoices(order_id, customer_id, limit, offset)
        return InvoiceListPublic(items=[_summary(row) for row in rows])

    @router.get(
        "/invoices/{invoice_id}",
        response_model=InvoicePublic,
        responses={404: {"description": "unknown invoice"}},
    )
    def get_invoice(invoice_id: str) -> InvoicePublic:
        """One invoice, read from its aggregate: lines, installments, stamp, payments."""
        invoice = app.get_invoice(_invoice_uuid(invoice_id))
        receivable = app.get_receivable(invoice.id)
        stamp = invoice.stamp
        return InvoicePublic(
            invoice_id=str(invoice.id),
            order_id=invoice.order_id,
            customer_id=invoice.customer_id,
            goods_issue_id=invoice.goods_issue_id,
            number=invoice.number,
            status=invoice.status,
            currency=invoice.currency,
            issued_at=invoice.issued_at,
            lines=[InvoiceLinePublic(**line) for line in invoice.lines],
            net_total=invoice.net_total,
            tax_total=invoice.tax_total,
            total=invoice.total,
            open_amount=invoice.open_amount,
            installments=[
                InstallmentPublic(**i) for i in (receivable.installments if receivable else [])
            ],
            stamp=(
                StampDetailPublic(
                    uuid=stamp["uuid"],
                    stamped_at=stamp["stamped_at"],
                    provider=stamp["provider"],
                    signature=stamp["signature"],
                    xml=base64.b64decode(stamp["xml"]).decode("utf-8"),
                )
                if stamp
                else None
            ),
            stamping_attempts=invoice.stamping_attempts,
            last_stamping_error=invoice.last_stamping_error,
            payments=[
                PaymentSummaryPublic(
                    payment_id=str(p.payment_id),
                    amount=p.amount,
                    open_after=p.open_after,
                    received_at=p.received_at,
                )
                for p in invoice.payments
            ],
        )

    @router.post(
        "/invoices/{invoice_id}/payments",
        status_code=status.HTTP_201_CREATED,
        response_model=PaymentPublic,
        responses={
            404: {"description": "unknown invoice"},
            409: {"description": "changed concurrently; retry"},
            422: {"description": "invalid amount, or more than is open"},
        },
    )
    def record_payment(
        invoice_id: str,
        body: PaymentCreate,
        response: Response,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> PaymentPublic:
        """Record a payment. The same ``Idempotency-Key`` again returns the first
        payment's response and records nothing."""
        receipt = app.record_payment(_invoice_uuid(invoice_id), body.amount, idempotency_key)
        if not receipt.created:
            response.headers["idempotent-replay"] = "true"
        return PaymentPublic(
            payment_id=str(receipt.payment_id),
            invoice_id=str(receipt.invoice_id),
            amount=receipt.amount,
            open_amount=receipt.open_amount,
        )

    @router.get(
        "/customers/{customer_id}/statement",
        response_model=StatementPublic,
        responses={404: {"description": "no entries for this customer"}},
    )
    def get_statement(customer_id: str) -> StatementPublic:
        """The customer's account statement: invoices debit, payments credit."""
        found = queries.statement(customer_id)
        if found is None:
            raise StatementNotFound(customer_id)
        return StatementPublic.model_validate(found)

    return router


def _summary(row: dict[str, Any]) -> InvoiceSummaryPublic:
    stamp = row["stamp"]
    return InvoiceSummaryPublic(
        invoice_id=str(row["invoice_id"]),
        order_id=row["order_id"],
        customer_id=row["customer_id"],
        number=row["number"],
        status=row["status"],
        currency=row["currency"],
        net_total=row["net_total"],
        tax_total=row["tax_total"],
        total=row["total"],
        open_amount=row["open_amount"],
        issued_at=row["issued_at"],
        stamp=StampPublic(**stamp) if stamp else None,
    )

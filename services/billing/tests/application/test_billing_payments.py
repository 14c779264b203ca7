"""Payments against invoices: partial then closing, amounts refused naming the field,
unknown invoices, idempotency keys; the public events they publish."""

from __future__ import annotations

from decimal import Decimal

import pytest
from billing_examples import goods_issued, order_confirmed
from oms_billing.application import BillingApplication
from oms_billing.domain.errors import InvalidPaymentAmount, PaymentExceedsOpenAmount
from oms_contracts.billing import InvoiceIssued, InvoicePaid, PaymentReceived
from oms_dev.inmemory import ServiceInMemory
from oms_kit.domain import InvalidInput, NotFound

D = Decimal


def issue_invoice(billing: ServiceInMemory, order_id: str) -> InvoiceIssued:
    """One invoice of 58.00 (1 x SKU-B at 50.00 + 16%)."""
    billing.deliver(order_confirmed(order_id))
    billing.deliver(goods_issued(f"gi-{order_id}", order_id, ("SKU-B", 1)))
    [issued] = [e for e in billing.published(InvoiceIssued) if e.order_id == order_id]
    assert issued.total == D("58.00")
    return issued


def test_a_partial_payment_then_the_closing_one_pays_the_invoice(
    billing: ServiceInMemory,
) -> None:
    app: BillingApplication = billing.app
    invoice = issue_invoice(billing, "ord-p")
    first = app.record_payment(invoice.invoice_id, D("20.00"))
    assert (str(first.invoice_id), first.amount, first.open_amount, first.created) == (
        invoice.invoice_id,
        D("20.00"),
        D("38.00"),
        True,
    )
    assert billing.published(InvoicePaid) == []
    second = app.record_payment(invoice.invoice_id, D("38.00"))
    assert second.open_amount == D("0.00")
    received = billing.published(PaymentReceived)
    assert [(p.amount, p.open_after, p.customer_id, p.currency) for p in received] == [
        (D("20.00"), D("38.00"), "cust-1", "MXN"),
        (D("38.00"), D("0.00"), "cust-1", "MXN"),
    ]
    assert [p.payment_id for p in received] == [str(first.payment_id), str(second.payment_id)]
    [paid] = billing.published(InvoicePaid)
    assert (paid.invoice_id, paid.order_id, paid.customer_id) == (
        invoice.invoice_id,
        "ord-p",
        "cust-1",
    )
    assert app.get_invoice(invoice.invoice_id).status == "paid"


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("58.01", PaymentExceedsOpenAmount),
        ("0", InvalidPaymentAmount),
        ("-5", InvalidPaymentAmount),
        ("1.001", InvalidPaymentAmount),
    ],
)
def test_an_amount_that_cannot_be_paid_is_refused_naming_amount(
    billing: ServiceInMemory, amount: str, error: type[InvalidInput]
) -> None:
    app: BillingApplication = billing.app
    invoice = issue_invoice(billing, "ord-o")
    with pytest.raises(error) as refused:
        app.record_payment(invoice.invoice_id, D(amount))
    assert (refused.value.field, refused.value.status) == ("amount", 422)
    assert billing.published(PaymentReceived) == []
    assert app.get_invoice(invoice.invoice_id).open_amount == D("58.00")


def test_a_payment_after_the_invoice_is_paid_exceeds_what_is_open(
    billing: ServiceInMemory,
) -> None:
    app: BillingApplication = billing.app
    invoice = issue_invoice(billing, "ord-twice")
    app.record_payment(invoice.invoice_id, D("58.00"))
    with pytest.raises(PaymentExceedsOpenAmount):
        app.record_payment(invoice.invoice_id, D("0.01"))
    assert len(billing.published(InvoicePaid)) == 1


def test_a_payment_on_an_unknown_invoice_is_not_found(billing: ServiceInMemory) -> None:
    app: BillingApplication = billing.app
    for invoice_id in ("3f0e8b7c-0000-4000-8000-000000000000", "not-a-uuid"):
        with pytest.raises(NotFound) as missing:
            app.record_payment(invoice_id, D("1.00"))
        assert missing.value.field == "invoice_id"


def test_the_same_idempotency_key_returns_the_first_payment(billing: ServiceInMemory) -> None:
    app: BillingApplication = billing.app
    invoice = issue_invoice(billing, "ord-i")
    first = app.record_payment(invoice.invoice_id, D("10.00"), "pay-123")
    again = app.record_payment(invoice.invoice_id, D("10.00"), "pay-123")
    assert first.created and not again.created
    assert (again.payment_id, again.amount, again.open_amount) == (
        first.payment_id,
        first.amount,
        first.open_amount,
    )
    assert len(billing.published(PaymentReceived)) == 1
    other = app.record_payment(invoice.invoice_id, D("10.00"), "x")
    assert other.created
    assert other.open_amount == D("38.00")
    assert len(billing.published(PaymentReceived)) == 2

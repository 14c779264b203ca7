"""Installments settled by payments and credit notes, and the aging buckets' edges."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from oms_billing.domain.errors import InvalidCredit, PaymentExceedsOpenAmount, UnknownInstallment
from oms_billing.domain.invoice import Invoice, allocate
from oms_billing.domain.receivable import installments
from oms_billing.projections.receivables import bucket_of

D = Decimal
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def invoice_of(total: Decimal) -> Invoice:
    net = (total / D("1.16")).quantize(D("0.01"))
    return Invoice(
        goods_issue_id=f"gi-{uuid4()}",
        number="A-000001",
        order_id="ord-1",
        customer_id="cust-1",
        currency="MXN",
        lines=[
            {
                "line_no": 1,
                "sku": "SKU-A",
                "quantity": D(3),
                "unit_price": net / 3,
                "net_amount": net,
                "tax_rate": D("0.16"),
                "tax_amount": total - net,
            }
        ],
        net_total=net,
        tax_total=total - net,
        total=total,
        issued_at=NOW,
    )


@pytest.mark.parametrize(
    ("days", "label"),
    [
        (-10, "current"),
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, ">90"),
        (400, ">90"),
    ],
)
def test_days_overdue_fall_in_their_bucket(days: int, label: str) -> None:
    assert bucket_of(days) == label


def test_allocation_takes_the_oldest_or_the_latest_first() -> None:
    open_by_number = {1: D("10.00"), 2: D("10.00"), 3: D("10.00")}
    assert allocate(D("15.00"), open_by_number) == [
        {"number": 1, "amount": D("10.00")},
        {"number": 2, "amount": D("5.00")},
    ]
    assert allocate(D("15.00"), open_by_number, latest_first=True) == [
        {"number": 3, "amount": D("10.00")},
        {"number": 2, "amount": D("5.00")},
    ]


def test_payments_and_a_credit_note_settle_installments() -> None:
    invoice = invoice_of(D("90.00"))
    plan = installments(D("90.00"), date(2026, 3, 1), [30, 60, 90])
    assert [i["amount"] for i in plan] == [D("30.00")] * 3
    invoice.record_payment(uuid4(), D("20.00"), NOW, installments=plan, installment=3)
    invoice.record_payment(uuid4(), D("35.00"), NOW, installments=plan)
    assert invoice.installments_open(plan) == {1: D("0.00"), 2: D("25.00"), 3: D("10.00")}
    with pytest.raises(PaymentExceedsOpenAmount):
        invoice.record_payment(uuid4(), D("10.01"), NOW, installments=plan, installment=3)
    with pytest.raises(UnknownInstallment):
        invoice.record_payment(uuid4(), D("1.00"), NOW, installments=plan, installment=4)
    # A credit note of 30.00 takes the latest installments first.
    draft = invoice.draft_credit(None, D("30.00"))
    invoice.credit(uuid4(), "A-NC-000001", "discount", draft, NOW, installments=plan)
    assert invoice.installments_open(plan) == {1: D("0.00"), 2: D("5.00"), 3: D("0.00")}
    assert invoice.open_amount == D("5.00")
    with pytest.raises(InvalidCredit):
        invoice.draft_credit(None, D("60.01"))
    # What remains creditable (90.00 - 30.00) may exceed what is open: it was paid.
    rest = invoice.draft_credit(None, None)
    assert rest.total == D("60.00")
    invoice.credit(uuid4(), "A-NC-000002", "returned", rest, NOW, installments=plan)
    assert (invoice.open_amount, invoice.status, invoice.creditable) == (
        D("0.00"),
        "credited",
        D("0.00"),
    )

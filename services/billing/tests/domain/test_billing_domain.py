"""Given/when/then on billing's aggregates: no I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.utils import get_topic
from oms_billing.domain.customer import CustomerAccount
from oms_billing.domain.errors import (
    GoodsIssueNotInvoiceable,
    InvalidPaymentAmount,
    PaymentExceedsOpenAmount,
    UnbalancedJournalEntry,
)
from oms_billing.domain.invoice import Invoice, InvoiceSeries
from oms_billing.domain.money import split_evenly, tax_on
from oms_billing.domain.order import BillingOrder, IssuedQuantity
from oms_billing.domain.receivable import JournalEntry, Receivable, installments

D = Decimal


def confirmed_order(lines: list[dict[str, object]], total: str) -> BillingOrder:
    order = BillingOrder(order_id="o-1")
    order.confirm("c-1", "MXN", lines, D(total), [30, 60])
    return order


def line(no: int, sku: str, qty: str, net: str, rate: str = "0.16") -> dict[str, object]:
    return {
        "line_no": no,
        "sku": sku,
        "quantity": D(qty),
        "net_amount": D(net),
        "tax_rate": D(rate),
    }


def invoice_all(order: BillingOrder, issues: list[list[IssuedQuantity]]) -> list[Decimal]:
    totals = []
    for n, issued in enumerate(issues):
        draft = order.price(issued)
        order.record_invoiced(f"gi-{n}", uuid4(), draft)
        totals.append(draft.total)
    return totals


def test_tax_is_rounded_half_up_per_line() -> None:
    assert tax_on(D("0.03"), D("0.5")) == D("0.02")  # 0.015 -> 0.02
    assert tax_on(D("10.00"), D("16")) == D("1.60")  # a percentage reads as 16%


def test_a_partial_issue_is_priced_at_the_net_unit_price_with_tax_per_line() -> None:
    order = confirmed_order([line(1, "A", "3", "100.00")], total="116.00")
    draft = order.price([IssuedQuantity("A", D("1"))])
    assert [(li["quantity"], li["net_amount"], li["tax_amount"]) for li in draft.lines] == [
        (D("1"), D("33.33"), D("5.33"))
    ]
    assert draft.lines[0]["unit_price"] == D("33.3333")
    assert (draft.net_total, draft.tax_total, draft.total) == (D("33.33"), D("5.33"), D("38.66"))
    assert not draft.completes_order


def test_invoices_of_an_order_add_up_to_its_total_without_rounding_drift() -> None:
    order = confirmed_order([line(1, "A", "3", "100.00")], total="116.00")
    one = [IssuedQuantity("A", D("1"))]
    totals = invoice_all(order, [one, one, one])
    assert totals[:2] == [D("38.66"), D("38.66")]
    assert totals[2] == D("38.68")  # the last takes exactly what remains
    assert sum(totals) == D("116.00")
    assert order.fully_invoiced


def test_the_same_sku_on_several_lines_fills_them_in_line_order() -> None:
    order = confirmed_order(
        [line(1, "A", "2", "20.00"), line(2, "B", "1", "5.00"), line(3, "A", "2", "30.00")],
        total="63.80",
    )
    draft = order.price([IssuedQuantity("A", D("3"))])
    assert [(li["line_no"], li["quantity"], li["net_amount"]) for li in draft.lines] == [
        (1, D("2"), D("20.00")),
        (3, D("1"), D("15.00")),
    ]


def test_issuing_more_than_is_left_to_invoice_is_refused() -> None:
    order = confirmed_order([line(1, "A", "2", "20.00")], total="23.20")
    with pytest.raises(GoodsIssueNotInvoiceable, match="beyond"):
        order.price([IssuedQuantity("A", D("3"))])
    with pytest.raises(GoodsIssueNotInvoiceable):
        order.price([IssuedQuantity("Z", D("1"))])


def test_a_goods_issue_before_confirmation_is_held() -> None:
    order = BillingOrder(order_id="o-2")
    order.hold_goods_issue("gi-1", [IssuedQuantity("A", D("1"))])
    assert order.is_known_goods_issue("gi-1")
    with pytest.raises(GoodsIssueNotInvoiceable, match="not confirmed"):
        order.price([IssuedQuantity("A", D("1"))])
    order.confirm("c", "EUR", [line(1, "A", "1", "10.00")], D("11.60"), [])
    draft = order.price([IssuedQuantity(h["sku"], h["quantity"]) for h in order.held[0]["lines"]])
    order.record_invoiced("gi-1", uuid4(), draft)
    assert order.held == []
    assert order.fully_invoiced


def test_numbers_are_sequential_per_series() -> None:
    series = InvoiceSeries(series="A")
    assert [series.next_number(uuid4()) for _ in range(3)] == ["A-000001", "A-000002", "A-000003"]
    assert series.id == InvoiceSeries.create_id("A") != InvoiceSeries.create_id("B")


def make_invoice(total: str = "116.00") -> Invoice:
    return Invoice(
        goods_issue_id="gi-1",
        number="A-000001",
        order_id="o-1",
        customer_id="c-1",
        currency="MXN",
        lines=[],
        net_total=D("100.00"),
        tax_total=D(total) - D("100.00"),
        total=D(total),
        issued_at=datetime(2025, 1, 10, tzinfo=UTC),
    )


def test_payments_reduce_the_open_amount_and_the_last_one_pays_the_invoice() -> None:
    invoice = make_invoice()
    now = datetime.now(UTC)
    invoice.record_payment(uuid4(), D("16.00"), now)
    assert invoice.open_amount == D("100.00")
    assert invoice.status != "paid"
    invoice.record_payment(uuid4(), D("100.00"), now)
    assert invoice.open_amount == D("0.00")
    assert invoice.status == "paid"
    names = [type(e).__name__ for e in invoice.collect_events()]
    assert names == ["Issued", "PaymentRecorded", "PaymentRecorded", "Paid"]


def test_a_payment_never_exceeds_what_is_open() -> None:
    invoice = make_invoice()
    with pytest.raises(PaymentExceedsOpenAmount) as info:
        invoice.record_payment(uuid4(), D("116.01"), datetime.now(UTC))
    assert info.value.field == "amount"
    for bad in (D("0"), D("-1"), D("1.001")):
        with pytest.raises(InvalidPaymentAmount) as refused:
            invoice.record_payment(uuid4(), bad, datetime.now(UTC))
        assert (refused.value.field, refused.value.status) == ("amount", 422)
    assert invoice.open_amount == D("116.00")


def test_the_same_idempotency_key_finds_the_first_payment() -> None:
    invoice = make_invoice()
    first = invoice.record_payment(uuid4(), D("10.00"), datetime.now(UTC), "key-1")
    assert invoice.payment_for_key("key-1") == first
    assert invoice.payment_for_key("key-2") is None


def test_stamping_failures_back_off_until_stamped() -> None:
    invoice = make_invoice()
    t0 = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
    invoice.record_stamping_failure("down", t0)
    invoice.record_stamping_failure("down", t0)
    assert invoice.stamping_attempts == 2
    assert invoice.status == "stamping_failed"
    assert not invoice.stamping_due(t0.replace(second=1), base_delay=1, max_delay=60)
    assert invoice.stamping_due(t0.replace(second=2), base_delay=1, max_delay=60)
    invoice.mark_stamped("U-1", t0, "test", "sig", "eG1s")
    assert invoice.status == "stamped"
    assert not invoice.stamping_due(t0.replace(minute=5), base_delay=1, max_delay=60)


def test_installments_split_evenly_to_the_cent_and_the_last_takes_the_rest() -> None:
    assert split_evenly(D("100.00"), 3) == [D("33.33"), D("33.33"), D("33.34")]
    got = installments(D("100.00"), date(2025, 1, 31), [60, 30, 90])
    assert got == [
        {"number": 1, "due_on": date(2025, 3, 2), "amount": D("33.33")},
        {"number": 2, "due_on": date(2025, 4, 1), "amount": D("33.33")},
        {"number": 3, "due_on": date(2025, 5, 1), "amount": D("33.34")},
    ]
    assert installments(D("5.00"), date(2025, 1, 31), []) == [
        {"number": 1, "due_on": date(2025, 1, 31), "amount": D("5.00")}
    ]


def test_a_receivable_opens_with_its_installments() -> None:
    invoice_id = uuid4()
    receivable = Receivable.open(
        invoice_id, "o-1", "c-1", "MXN", D("116.00"), date(2025, 1, 1), [30, 60]
    )
    assert receivable.id == Receivable.create_id(invoice_id)
    assert sum(i["amount"] for i in receivable.installments) == D("116.00")


def test_the_journal_entry_of_an_invoice_is_balanced() -> None:
    entry = JournalEntry.for_invoice(uuid4(), "MXN", D("100.00"), D("16.00"), D("116.00"))
    assert sum(li["debit"] for li in entry.lines) == sum(li["credit"] for li in entry.lines)
    assert {li["account"] for li in entry.lines} == {"receivables", "revenue", "tax_payable"}
    with pytest.raises(UnbalancedJournalEntry):
        JournalEntry.post(
            uuid4(), "MXN", [{"account": "receivables", "debit": D("1"), "credit": D("0")}]
        )


def test_stored_event_names_stay_as_they_were() -> None:
    # Stored events are found by their topic: a renamed class would orphan stored data.
    topics = {
        get_topic(cls)
        for cls in (
            InvoiceSeries.Started,
            InvoiceSeries.NumberAssigned,
            Invoice.Issued,
            Invoice.Stamped,
            Invoice.StampingFailed,
            Invoice.PaymentRecorded,
            Invoice.Paid,
            BillingOrder.Opened,
            BillingOrder.Confirmed,
            BillingOrder.GoodsIssueHeld,
            BillingOrder.GoodsIssueInvoiced,
            BillingOrder.GoodsIssueRejected,
            BillingOrder.Cancelled,
            Receivable.Opened,
            JournalEntry.Posted,
            CustomerAccount.Opened,
            CustomerAccount.RepAssigned,
        )
    }
    assert topics == {
        "oms_billing.domain.invoice:InvoiceSeries.Started",
        "oms_billing.domain.invoice:InvoiceSeries.NumberAssigned",
        "oms_billing.domain.invoice:Invoice.Issued",
        "oms_billing.domain.invoice:Invoice.Stamped",
        "oms_billing.domain.invoice:Invoice.StampingFailed",
        "oms_billing.domain.invoice:Invoice.PaymentRecorded",
        "oms_billing.domain.invoice:Invoice.Paid",
        "oms_billing.domain.order:BillingOrder.Opened",
        "oms_billing.domain.order:BillingOrder.Confirmed",
        "oms_billing.domain.order:BillingOrder.GoodsIssueHeld",
        "oms_billing.domain.order:BillingOrder.GoodsIssueInvoiced",
        "oms_billing.domain.order:BillingOrder.GoodsIssueRejected",
        "oms_billing.domain.order:BillingOrder.Cancelled",
        "oms_billing.domain.receivable:Receivable.Opened",
        "oms_billing.domain.receivable:JournalEntry.Posted",
        "oms_billing.domain.customer:CustomerAccount.Opened",
        "oms_billing.domain.customer:CustomerAccount.RepAssigned",
    }


def test_a_customer_keeps_the_rep_of_his_latest_version() -> None:
    account = CustomerAccount(customer_id="c-1")
    assert (account.sales_rep_id, account.rep_version) == (None, 0)
    assert account.assign_rep("rep-2", customer_version=3)
    assert not account.assign_rep("rep-1", customer_version=1)  # older: stale
    assert not account.assign_rep("rep-9", customer_version=3)  # the same version again
    assert (account.sales_rep_id, account.rep_version) == ("rep-2", 3)
    assert account.assign_rep("rep-2", customer_version=4)  # the same rep, said later
    assert [type(e).__name__ for e in account.collect_events()] == [
        "Opened",
        "RepAssigned",
        "RepAssigned",
    ]

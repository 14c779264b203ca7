"""Order -> goods issues -> invoices: numbering, stamping, receivables, journal entries,
goods issues that arrive before their order, repeats, cancellations and dead letters."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from billing_examples import customer_registered, goods_issued, order_confirmed
from eventsourcing.persistence import IntegrityError, Tracking
from oms_billing.adapters.stamping import LocalStampingProvider
from oms_billing.application import BillingApplication
from oms_billing.domain.invoice import Invoice, InvoiceSeries
from oms_billing.domain.order import BillingOrder, IssuedQuantity
from oms_billing.domain.receivable import JournalEntry, Receivable
from oms_contracts.billing import (
    InvoiceIssued,
    InvoiceStamped,
    JournalEntryPosted,
    ReceivableOpened,
)
from oms_contracts.orders import OrderCancelled
from oms_dev.inmemory import ServiceInMemory
from oms_kit.domain import NotFound

D = Decimal


def test_two_goods_issues_make_two_stamped_invoices_numbered_consecutively(
    billing: ServiceInMemory, provider: LocalStampingProvider
) -> None:
    assert billing.deliver(order_confirmed("ord-1")).status == "applied"
    first = billing.deliver(goods_issued("gi-1", "ord-1", ("SKU-A", 2)))
    second = billing.deliver(goods_issued("gi-2", "ord-1", ("SKU-A", 1), ("SKU-B", 1)))
    assert (first.status, second.status) == ("applied", "applied")

    issued = billing.published(InvoiceIssued)
    assert [(e.number, e.goods_issue_id) for e in issued] == [
        ("A-000001", "gi-1"),
        ("A-000002", "gi-2"),
    ]
    assert [e.net_total for e in issued] == [D("66.67"), D("83.33")]
    assert issued[0].tax_total == D("10.67")
    assert sum(e.total for e in issued) == D("174.00")  # the order total, no drift
    stamped = billing.published(InvoiceStamped)
    assert {e.invoice_id for e in stamped} == {e.invoice_id for e in issued}
    assert {e.provider for e in stamped} == {"local-rsa"}
    receivables = billing.published(ReceivableOpened)
    assert [r.amount for r in receivables] == [e.total for e in issued]
    assert [len(r.installments) for r in receivables] == [2, 2]
    assert sum(i.amount for i in receivables[0].installments) == issued[0].total
    journal = billing.published(JournalEntryPosted)
    assert len(journal) == 2
    for entry, invoice in zip(journal, issued, strict=True):
        assert entry.invoice_id == invoice.invoice_id
        assert sum(li.debit for li in entry.lines) == sum(li.credit for li in entry.lines)
        assert sum(li.debit for li in entry.lines) == invoice.total

    app: BillingApplication = billing.app
    invoice = app.get_invoice(issued[1].invoice_id)
    assert (invoice.status, invoice.open_amount) == ("stamped", D("96.66"))
    assert [(li["sku"], li["quantity"], li["net_amount"]) for li in invoice.lines] == [
        ("SKU-A", D(1), D("33.33")),
        ("SKU-B", D(1), D("50.00")),
    ]
    receivable = app.find_receivable(invoice.id)
    assert receivable is not None
    assert [i["amount"] for i in receivable.installments] == [D("48.33"), D("48.33")]
    assert invoice.stamp is not None
    xml = base64.b64decode(invoice.stamp["xml"])
    assert b'Folio="000002"' in xml
    assert provider.verify(xml, invoice.stamp["signature"])
    assert not provider.verify(xml.replace(b"SKU-B", b"SKU-C"), invoice.stamp["signature"])


def test_the_numbers_of_a_series_run_on_across_orders(billing: ServiceInMemory) -> None:
    for n in range(3):
        billing.deliver(order_confirmed(f"ord-{n}"))
        billing.deliver(goods_issued(f"gi-{n}", f"ord-{n}", ("SKU-B", 1)))
    issued = billing.published(InvoiceIssued)
    assert [(e.order_id, e.number) for e in issued] == [
        ("ord-0", "A-000001"),
        ("ord-1", "A-000002"),
        ("ord-2", "A-000003"),
    ]


def test_the_invoice_series_is_returned_with_the_invoice_that_takes_its_number(
    billing: ServiceInMemory,
) -> None:
    # Stored in the one transaction of the reaction: a number is taken exactly when its
    # invoice is stored, never lost and never given twice.
    app: BillingApplication = billing.app
    billing.deliver(order_confirmed("ord-s"))
    changed = app.invoice_goods_issue(
        goods_issue_id="gi-s", order_id="ord-s", lines=[IssuedQuantity("SKU-B", D(1))]
    )
    by_type = {type(aggregate): aggregate for aggregate in changed}
    assert set(by_type) == {BillingOrder, InvoiceSeries, Invoice, Receivable, JournalEntry}
    assert len(changed) == 5
    series = by_type[InvoiceSeries]
    assert [type(e).__name__ for e in series.pending_events] == ["Started", "NumberAssigned"]
    assert app.find(Invoice, Invoice.create_id("gi-s")) is None  # returned, not saved


def test_a_confirmation_returns_the_series_with_the_held_goods_issues_it_invoices(
    billing: ServiceInMemory,
) -> None:
    app: BillingApplication = billing.app
    billing.deliver(goods_issued("gi-h1", "ord-h", ("SKU-A", 1)))
    billing.deliver(goods_issued("gi-h2", "ord-h", ("SKU-B", 1)))
    confirmed = order_confirmed("ord-h")
    changed = app.confirm_order(
        order_id="ord-h",
        customer_id=confirmed.customer_id,
        currency=confirmed.currency,
        lines=[line.model_dump() for line in confirmed.lines],
        total=confirmed.total,
        payment_terms_days=confirmed.payment_terms_days,
    )
    [series] = [a for a in changed if isinstance(a, InvoiceSeries)]
    numbers = [
        e.number for e in series.pending_events if isinstance(e, InvoiceSeries.NumberAssigned)
    ]
    assert numbers == ["A-000001", "A-000002"]
    assert sum(isinstance(a, Invoice) for a in changed) == 2


def test_two_issuers_numbering_from_the_same_series_state_cannot_both_be_stored(
    billing: ServiceInMemory,
) -> None:
    # What two workers side by side would do: both read series number n and take n + 1.
    # The second to be recorded conflicts on the series' version, so the kit re-runs it.
    app: BillingApplication = billing.app
    billing.deliver(order_confirmed("ord-x"))
    billing.deliver(order_confirmed("ord-y"))
    one = app.invoice_goods_issue(
        goods_issue_id="gi-x", order_id="ord-x", lines=[IssuedQuantity("SKU-B", D(1))]
    )
    two = app.invoice_goods_issue(
        goods_issue_id="gi-y", order_id="ord-y", lines=[IssuedQuantity("SKU-B", D(1))]
    )
    app.record_reaction(one, Tracking("inventory", 101))
    with pytest.raises(IntegrityError):
        app.record_reaction(two, Tracking("inventory", 102))
    assert [e.number for e in billing.published(InvoiceIssued)] == ["A-000001"]
    # Re-run on the stored series, it takes the next number.
    again = app.invoice_goods_issue(
        goods_issue_id="gi-y", order_id="ord-y", lines=[IssuedQuantity("SKU-B", D(1))]
    )
    app.record_reaction(again, Tracking("inventory", 102))
    assert [e.number for e in billing.published(InvoiceIssued)] == ["A-000001", "A-000002"]


def test_a_repeated_goods_issue_changes_nothing(billing: ServiceInMemory) -> None:
    billing.deliver(order_confirmed("ord-2"))
    event = goods_issued("gi-9", "ord-2", ("SKU-B", 1))
    assert billing.deliver(event, position=7).status == "applied"
    assert billing.deliver(event, position=7).status == "duplicate"
    # The same goods issue republished under another position is recognised too.
    assert billing.deliver(event, position=8).status == "applied"
    assert len(billing.published(InvoiceIssued)) == 1
    assert len(billing.published(ReceivableOpened)) == 1


def test_a_repeated_order_confirmation_changes_nothing(billing: ServiceInMemory) -> None:
    event = order_confirmed("ord-r")
    assert billing.deliver(event, position=3).status == "applied"
    assert billing.deliver(event, position=3).status == "duplicate"
    # Republished under another position: the first confirmation stands.
    assert billing.deliver(event, position=4).status == "applied"
    app: BillingApplication = billing.app
    order = app.find(BillingOrder, BillingOrder.create_id("ord-r"))
    assert order is not None
    assert order.version == 2  # opened, confirmed: once
    assert billing.published() == []  # billing's copy of the order is private


def test_a_goods_issue_before_its_order_is_held_then_invoiced(billing: ServiceInMemory) -> None:
    assert billing.deliver(goods_issued("gi-early", "ord-3", ("SKU-A", 3))).status == "applied"
    assert billing.published() == []
    billing.deliver(order_confirmed("ord-3"))
    issued = billing.published(InvoiceIssued)
    assert [(e.goods_issue_id, e.number, e.total) for e in issued] == [
        ("gi-early", "A-000001", D("116.00"))
    ]
    assert len(billing.published(ReceivableOpened)) == 1


def test_held_goods_issues_that_do_not_fit_are_rejected_when_the_order_comes(
    billing: ServiceInMemory,
) -> None:
    billing.deliver(goods_issued("gi-too-many", "ord-6", ("SKU-B", 2)))
    billing.deliver(goods_issued("gi-fits", "ord-6", ("SKU-A", 1)))
    assert billing.deliver(order_confirmed("ord-6")).status == "applied"
    assert [e.goods_issue_id for e in billing.published(InvoiceIssued)] == ["gi-fits"]
    app: BillingApplication = billing.app
    order = app.find(BillingOrder, BillingOrder.create_id("ord-6"))
    assert order is not None
    assert (order.rejected_goods_issues, order.held) == (["gi-too-many"], [])


def test_no_number_is_taken_when_no_held_goods_issue_fits(billing: ServiceInMemory) -> None:
    app: BillingApplication = billing.app
    billing.deliver(goods_issued("gi-too-many", "ord-8", ("SKU-B", 2)))
    assert billing.deliver(order_confirmed("ord-8")).status == "applied"
    assert app.find(InvoiceSeries, InvoiceSeries.create_id("A")) is None
    billing.deliver(order_confirmed("ord-9"))
    billing.deliver(goods_issued("gi-9", "ord-9", ("SKU-B", 1)))
    assert [e.number for e in billing.published(InvoiceIssued)] == ["A-000001"]


def test_more_than_the_order_left_to_invoice_is_dead_lettered(billing: ServiceInMemory) -> None:
    billing.deliver(order_confirmed("ord-4"))
    outcome = billing.deliver(goods_issued("gi-x", "ord-4", ("SKU-B", 2)))
    assert outcome.status == "dead-letter"
    assert outcome.dead_letter is not None
    assert "GoodsIssueNotInvoiceable" in outcome.dead_letter.reason
    assert billing.published() == []


def test_no_invoice_after_the_order_is_cancelled(billing: ServiceInMemory) -> None:
    billing.deliver(order_confirmed("ord-5"))
    billing.deliver(OrderCancelled(order_id="ord-5", reason="customer changed their mind"))
    assert billing.deliver(goods_issued("gi-late", "ord-5", ("SKU-B", 1))).status == "applied"
    assert billing.published() == []
    app: BillingApplication = billing.app
    order = app.find(BillingOrder, BillingOrder.create_id("ord-5"))
    assert order is not None
    assert order.cancelled
    assert order.rejected_goods_issues == ["gi-late"]


def test_cancelling_an_order_billing_never_saw_changes_nothing(billing: ServiceInMemory) -> None:
    outcome = billing.deliver(OrderCancelled(order_id="ord-unknown", reason="typo"))
    assert outcome.status == "applied"
    app: BillingApplication = billing.app
    assert app.find(BillingOrder, BillingOrder.create_id("ord-unknown")) is None


def test_an_unknown_invoice_is_not_found_naming_invoice_id(billing: ServiceInMemory) -> None:
    app: BillingApplication = billing.app
    billing.deliver(order_confirmed("ord-7"))
    for invoice_id in (
        "00000000-0000-0000-0000-000000000000",
        "not-a-uuid",
        str(BillingOrder.create_id("ord-7")),  # an id, but of another aggregate
    ):
        with pytest.raises(NotFound) as missing:
            app.get_invoice(invoice_id)
        assert missing.value.field == "invoice_id"


def test_the_invoicing_choice_the_order_was_released_with_decides(
    billing: ServiceInMemory,
) -> None:
    """OrderConfirmed says how the customer is invoiced, so a goods issue never races the
    customer's events: on demand although billing has not heard of the customer, and per
    goods issue although his account (heard later) says on demand."""
    waits = order_confirmed("ord-od", "cust-new").model_copy(update={"invoicing": "on_demand"})
    billing.deliver(waits)
    billing.deliver(goods_issued("gi-od", "ord-od", ("SKU-A", 1)))
    billing.deliver(
        customer_registered("cust-od").model_copy(update={"invoicing": "on_demand"}),
        aggregate_version=1,
    )
    at_once = order_confirmed("ord-pg", "cust-od").model_copy(
        update={"invoicing": "per_goods_issue"}
    )
    billing.deliver(at_once)
    billing.deliver(goods_issued("gi-pg", "ord-pg", ("SKU-A", 1)))
    assert [e.goods_issue_id for e in billing.published(InvoiceIssued)] == ["gi-pg"]
    app: BillingApplication = billing.app
    order = app.find(BillingOrder, BillingOrder.create_id("ord-od"))
    assert order is not None
    assert [a["goods_issue_id"] for a in order.awaiting] == ["gi-od"]

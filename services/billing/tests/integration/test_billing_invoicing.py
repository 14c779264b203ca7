"""Order -> goods issues -> invoices, on the real PostgreSQL: numbering, stamping,
receivables, journal entries, and goods issues that arrive before their order."""

from __future__ import annotations

import base64
import threading
from decimal import Decimal

from billing_support import Billing, goods_issued, order_confirmed, raw
from oms_billing.adapters.stamping import LocalStampingProvider
from oms_contracts.billing import (
    InvoiceIssued,
    InvoiceStamped,
    JournalEntryPosted,
    ReceivableOpened,
)
from oms_contracts.orders import OrderCancelled

D = Decimal


def test_two_goods_issues_make_two_stamped_invoices_numbered_consecutively(
    make_billing,
) -> None:
    provider = LocalStampingProvider.generate()
    billing: Billing = make_billing(stamping_provider=provider)
    assert billing.feed(order_confirmed("ord-1")).status == "applied"
    first = billing.feed(goods_issued("gi-1", "ord-1", ("SKU-A", 2)))
    second = billing.feed(goods_issued("gi-2", "ord-1", ("SKU-A", 1), ("SKU-B", 1)))
    assert (first.status, second.status) == ("applied", "applied")

    issued = billing.of_type(InvoiceIssued)
    assert [(e.number, e.goods_issue_id) for e in issued] == [
        ("A-000001", "gi-1"),
        ("A-000002", "gi-2"),
    ]
    assert [e.net_total for e in issued] == [D("66.67"), D("83.33")]
    assert issued[0].tax_total == D("10.67")
    assert sum(e.total for e in issued) == D("174.00")  # the order total, no drift
    assert {e.invoice_id for e in billing.of_type(InvoiceStamped)} == {e.invoice_id for e in issued}
    receivables = billing.of_type(ReceivableOpened)
    assert [r.amount for r in receivables] == [e.total for e in issued]
    assert [len(r.installments) for r in receivables] == [2, 2]
    assert sum(i.amount for i in receivables[0].installments) == issued[0].total
    journal = billing.of_type(JournalEntryPosted)
    assert len(journal) == 2
    for entry, invoice in zip(journal, issued, strict=True):
        assert entry.invoice_id == invoice.invoice_id
        assert sum(li.debit for li in entry.lines) == sum(li.credit for li in entry.lines)
        assert sum(li.debit for li in entry.lines) == invoice.total

    billing.catch_up()
    listed = billing.client.get("/invoices", params={"order_id": "ord-1"})
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert sorted(i["number"] for i in items) == ["A-000001", "A-000002"]
    assert {i["status"] for i in items} == {"stamped"}
    assert all(i["stamp"]["provider"] == "local-rsa" and i["stamp"]["uuid"] for i in items)
    assert {i["open_amount"] for i in items} == {"77.34", "96.66"}

    detail = billing.client.get(f"/invoices/{issued[1].invoice_id}").json()
    assert [(li["sku"], li["quantity"], li["net_amount"]) for li in detail["lines"]] == [
        ("SKU-A", 1, "33.33"),
        ("SKU-B", 1, "50.00"),
    ]
    assert [i["amount"] for i in detail["installments"]] == ["48.33", "48.33"]
    xml = detail["stamp"]["xml"].encode()
    assert b'Folio="000002"' in xml
    assert provider.verify(xml, detail["stamp"]["signature"])
    assert not provider.verify(xml.replace(b"SKU-B", b"SKU-C"), detail["stamp"]["signature"])
    assert base64.b64decode(detail["stamp"]["signature"])


def test_a_repeated_goods_issue_changes_nothing(billing: Billing) -> None:
    billing.feed(order_confirmed("ord-2"))
    event = goods_issued("gi-9", "ord-2", ("SKU-B", 1))
    raw_position = 7
    message = raw(event, raw_position)
    assert billing.consumer.process(message).status == "applied"
    assert billing.consumer.process(message).status == "duplicate"
    # The same goods issue republished under another position is recognised too.
    assert billing.consumer.process(raw(event, raw_position + 1)).status == "applied"
    assert len(billing.of_type(InvoiceIssued)) == 1


def test_a_goods_issue_before_its_order_is_held_then_invoiced(billing: Billing) -> None:
    assert billing.feed(goods_issued("gi-early", "ord-3", ("SKU-A", 3))).status == "applied"
    assert billing.of_type(InvoiceIssued) == []
    billing.feed(order_confirmed("ord-3"))
    issued = billing.of_type(InvoiceIssued)
    assert [(e.goods_issue_id, e.number, e.total) for e in issued] == [
        ("gi-early", "A-000001", D("116.00"))
    ]


def test_more_than_the_order_left_to_invoice_is_dead_lettered(billing: Billing) -> None:
    billing.feed(order_confirmed("ord-4"))
    outcome = billing.feed(goods_issued("gi-x", "ord-4", ("SKU-B", 2)))
    assert outcome.status == "dead-letter"
    assert outcome.dead_letter is not None
    assert "GoodsIssueNotInvoiceable" in outcome.dead_letter.reason
    assert billing.of_type(InvoiceIssued) == []


def test_no_invoice_after_the_order_is_cancelled(billing: Billing) -> None:
    billing.feed(order_confirmed("ord-5"))
    billing.feed(OrderCancelled(order_id="ord-5", reason="customer changed their mind"))
    assert billing.feed(goods_issued("gi-late", "ord-5", ("SKU-B", 1))).status == "applied"
    assert billing.of_type(InvoiceIssued) == []
    billing.catch_up()
    assert billing.client.get("/invoices", params={"order_id": "ord-5"}).json() == {"items": []}


def test_an_unknown_invoice_is_a_404_problem(billing: Billing) -> None:
    for invoice_id in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        response = billing.client.get(f"/invoices/{invoice_id}")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")


def test_concurrent_issuing_numbers_every_invoice_once_without_gaps(make_billing) -> None:
    # Two consumers (as two worker processes would) on the same event store.
    one: Billing = make_billing()
    two: Billing = make_billing()
    orders = [f"ord-n{i}" for i in range(6)]
    for order_id in orders:
        one.feed(order_confirmed(order_id))
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def issue(billing: Billing, order_ids: list[str], first_position: int) -> None:
        start.wait()
        for n, order_id in enumerate(order_ids):
            message = raw(
                goods_issued(f"gi-{order_id}", order_id, ("SKU-B", 1)), first_position + n
            )
            outcomes.append(billing.consumer.process(message).status)

    threads = [
        threading.Thread(target=issue, args=(one, orders[0::2], 100)),
        threading.Thread(target=issue, args=(two, orders[1::2], 200)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == ["applied"] * 6
    numbers = sorted(e.number for e in one.of_type(InvoiceIssued))
    assert numbers == [f"A-{n:06d}" for n in range(1, 7)]

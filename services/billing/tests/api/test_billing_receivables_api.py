"""Issue 17 over HTTP on the real stack: the invoice list's filters, paging and totals by
status; payments against installments, each with its journal entry; the aging of
receivables (dates computed here); cancellation and credit notes reversing the receivable,
the journal entry and showing in the statement, with their own gap-free numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from billing_examples import customer_registered, goods_issued, order_confirmed
from oms_contracts.billing import CreditNoteIssued, InvoiceCancelled
from oms_dev.testing import ServiceOnStack
from oms_kit.auth import SALES_REP

D = Decimal
CENT = D("0.01")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def invoice_order(
    billing: ServiceOnStack,
    order_id: str,
    customer_id: str = "cust-1",
    terms: list[int] | None = None,
) -> dict[str, Any]:
    """The whole of ``order_confirmed`` invoiced: 3 x SKU-A (100.00 net) and 1 x SKU-B
    (50.00 net) at 16%: 174.00; installments per ``terms`` (default 30 and 60 days)."""
    billing.deliver(order_confirmed(order_id, customer_id, terms))
    billing.deliver(goods_issued(f"gi-{order_id}", order_id, ("SKU-A", 3), ("SKU-B", 1)))
    billing.catch_up()
    [item] = billing.client.get("/invoices", params={"order_id": order_id}).json()["items"]
    assert item["total"] == "174.00"
    return dict(item)


def today() -> date:
    return datetime.now(UTC).date()


def test_the_invoice_list_filters_pages_and_totals_by_status(billing: ServiceOnStack) -> None:
    first = invoice_order(billing, "ord-l1", "cust-a")
    second = invoice_order(billing, "ord-l2", "cust-a", terms=[0])
    third = invoice_order(billing, "ord-l3", "cust-b")
    paid = billing.client.post(
        f"/invoices/{second['invoice_id']}/payments", json={"amount": "174.00"}
    )
    assert paid.status_code == 201
    billing.catch_up()

    def listed(**params: str) -> dict[str, Any]:
        response = billing.client.get("/invoices", params=params)
        assert response.status_code == 200, response.text
        return dict(response.json())

    everything = listed()
    # Newest first.
    assert [i["invoice_id"] for i in everything["items"]] == [
        third["invoice_id"],
        second["invoice_id"],
        first["invoice_id"],
    ]
    stamped_total = str(D(first["total"]) + D(third["total"]))
    assert everything["totals_by_status"] == {
        "paid": {"count": 1, "total": "174.00"},
        "stamped": {"count": 2, "total": stamped_total},
    }
    only_a = listed(customer_id="cust-a")
    assert {i["invoice_id"] for i in only_a["items"]} == {first["invoice_id"], second["invoice_id"]}
    assert only_a["totals_by_status"]["stamped"] == {"count": 1, "total": "174.00"}
    assert [i["invoice_id"] for i in listed(status="paid")["items"]] == [second["invoice_id"]]
    assert [i["invoice_id"] for i in listed(number=third["number"])["items"]] == [
        third["invoice_id"]
    ]
    day = today()
    assert len(listed(issued_from=day.isoformat(), issued_to=day.isoformat())["items"]) == 3
    yesterday = (day - timedelta(days=1)).isoformat()
    assert listed(issued_to=yesterday) == {"items": [], "totals_by_status": {}, "next_cursor": None}
    # Due dates are the installments': terms 30 and 60 days, or one due today.
    due_in_30 = (day + timedelta(days=30)).isoformat()
    assert {i["invoice_id"] for i in listed(due_from=due_in_30, due_to=due_in_30)["items"]} == {
        first["invoice_id"],
        third["invoice_id"],
    }
    assert [i["invoice_id"] for i in listed(due_to=day.isoformat())["items"]] == [
        second["invoice_id"]
    ]
    # Paged with the kit's cursors; the totals cover the whole filtered list on each page.
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = listed(limit="2", **({"cursor": cursor} if cursor else {}))
        assert page["totals_by_status"] == everything["totals_by_status"]
        seen += [i["invoice_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [i["invoice_id"] for i in everything["items"]]
    for name in ("issued_from", "issued_to", "due_from", "due_to"):
        bad = billing.client.get("/invoices", params={name: "soon"})
        assert bad.status_code == 422
        assert [e["field"] for e in bad.json()["errors"]] == [name]


def test_payments_settle_installments_each_with_a_journal_entry_and_age_by_due_date(
    billing: ServiceOnStack,
) -> None:
    billing.deliver(customer_registered("cust-r", sales_rep_id="rep-1"))
    billing.deliver(customer_registered("cust-o", sales_rep_id="rep-2"))
    invoice = invoice_order(billing, "ord-i", "cust-r")  # 87.00 due in 30 days, 87.00 in 60
    on_sight = invoice_order(billing, "ord-s", "cust-o", terms=[0])  # 174.00 due today
    url = f"/invoices/{invoice['invoice_id']}/payments"
    installment = D("174.00") / 2

    second = billing.client.post(url, json={"amount": "50.00", "installment": 2})
    assert second.status_code == 201, second.text
    oldest = billing.client.post(url, json={"amount": "40.00"})
    assert oldest.status_code == 201
    detail = billing.client.get(f"/invoices/{invoice['invoice_id']}").json()
    assert detail["installments_open"] == {
        "1": str(installment - D("40.00")),
        "2": str(installment - D("50.00")),
    }
    assert detail["open_amount"] == str(D("174.00") - D("90.00"))
    for body, field in (
        ({"amount": str(installment - D("50.00") + CENT), "installment": 2}, "amount"),
        ({"amount": "1.00", "installment": 3}, "installment"),
        ({"amount": "1.00", "installment": 0}, "installment"),
    ):
        refused = billing.client.post(url, json=body)
        assert refused.status_code == 422, body
        assert [e["field"] for e in refused.json()["errors"]] == [field], body

    # Every payment has its journal entry: cash against receivables.
    app = billing.service.app
    for payment in detail["payments"]:
        entry = app.journal_entry(UUID(invoice["invoice_id"]), f"payment/{payment['payment_id']}")
        assert entry is not None
        assert [(li["account"], li["debit"], li["credit"]) for li in entry.lines] == [
            ("cash", D(payment["amount"]), D("0.00")),
            ("receivables", D("0.00"), D(payment["amount"])),
        ]

    billing.catch_up()

    def aging(days_later: int, **params: str) -> dict[str, str]:
        as_of = (today() + timedelta(days=days_later)).isoformat()
        response = billing.client.get("/receivables/aging", params={"as_of": as_of, **params})
        assert response.status_code == 200, response.text
        assert response.json()["as_of"] == as_of
        return {b["label"]: b["total"] for b in response.json()["buckets"]}

    open_1, open_2 = installment - D("40.00"), installment - D("50.00")
    zero = "0.00"
    # Today nothing is overdue but the invoice due on sight (0 days: current).
    assert aging(0) == {
        "current": str(open_1 + open_2 + D("174.00")),
        "1-30": zero,
        "31-60": zero,
        "61-90": zero,
        ">90": zero,
    }
    # 45 days on: installment 1 is 15 days overdue, 2 not due; the other 45 days overdue.
    assert aging(45) == {
        "current": str(open_2),
        "1-30": str(open_1),
        "31-60": "174.00",
        "61-90": zero,
        ">90": zero,
    }
    # 100 days on: 70 and 40 days overdue; the other 100.
    assert aging(100) == {
        "current": zero,
        "1-30": zero,
        "31-60": str(open_2),
        "61-90": str(open_1),
        ">90": "174.00",
    }
    assert aging(100, customer_id="cust-o")[">90"] == "174.00"
    # A rep sees his portfolio's receivables only.
    rep = billing.headers(SALES_REP, "user-rep-1", sales_rep_id="rep-1")
    as_of = (today() + timedelta(days=100)).isoformat()
    mine = billing.client.get("/receivables/aging", params={"as_of": as_of}, headers=rep).json()
    assert {b["label"]: b["total"] for b in mine["buckets"]}[">90"] == zero
    assert {b["label"]: b["total"] for b in mine["buckets"]}["61-90"] == str(open_1)
    assert on_sight["customer_id"] == "cust-o"
    bad = billing.client.get("/receivables/aging", params={"as_of": "later"})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["as_of"]


def test_an_unpaid_invoice_is_cancelled_and_a_paid_one_is_not(billing: ServiceOnStack) -> None:
    invoice = invoice_order(billing, "ord-c", "cust-c")
    paid = invoice_order(billing, "ord-p", "cust-c")
    billing.client.post(f"/invoices/{paid['invoice_id']}/payments", json={"amount": "10.00"})
    url = f"/invoices/{invoice['invoice_id']}/cancel"
    assert billing.client.post(url, json={}).status_code == 422

    cancelled = billing.client.post(url, json={"reason": "wrong customer"})
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert (body["status"], body["open_amount"], body["cancel_reason"]) == (
        "cancelled",
        "0.00",
        "wrong customer",
    )
    again = billing.client.post(url, json={"reason": "wrong customer"})
    assert again.status_code == 200
    refused = billing.client.post(f"/invoices/{paid['invoice_id']}/cancel", json={"reason": "x"})
    assert refused.status_code == 409
    no_payment = billing.client.post(
        f"/invoices/{invoice['invoice_id']}/payments", json={"amount": "1.00"}
    )
    assert no_payment.status_code == 409

    [event] = billing.published(InvoiceCancelled)
    assert (event.invoice_id, event.number, event.reason, event.total, event.customer_id) == (
        invoice["invoice_id"],
        invoice["number"],
        "wrong customer",
        D("174.00"),
        "cust-c",
    )
    entry = billing.service.app.journal_entry(UUID(invoice["invoice_id"]), "cancellation")
    assert [(li["account"], li["debit"], li["credit"]) for li in entry.lines] == [
        ("revenue", D("150.00"), D("0.00")),
        ("tax_payable", D("24.00"), D("0.00")),
        ("receivables", D("0.00"), D("174.00")),
    ]
    billing.catch_up()
    [listed] = billing.client.get("/invoices", params={"status": "cancelled"}).json()["items"]
    assert listed["invoice_id"] == invoice["invoice_id"]
    statement = billing.client.get("/customers/cust-c/statement").json()
    assert [(e["type"], e["reference"], e["debit"], e["credit"]) for e in statement["entries"]] == [
        ("invoice", invoice["number"], "174.00", "0.00"),
        ("invoice", paid["number"], "174.00", "0.00"),
        ("payment", paid["number"], "0.00", "10.00"),
        ("cancellation", invoice["number"], "0.00", "174.00"),
    ]
    assert statement["balance"] == "164.00"
    as_of = (today() + timedelta(days=365)).isoformat()
    aged = billing.client.get("/receivables/aging", params={"as_of": as_of}).json()
    assert {b["label"]: b["total"] for b in aged["buckets"]}[">90"] == "164.00"


def test_credit_notes_partial_by_lines_and_amount_then_in_full(billing: ServiceOnStack) -> None:
    invoice = invoice_order(billing, "ord-n", "cust-n")
    other = invoice_order(billing, "ord-m", "cust-n")
    url = f"/invoices/{invoice['invoice_id']}/credit-notes"

    # One of the three SKU-A (100.00 net for 3) with its 16% tax.
    by_line = billing.client.post(
        url,
        json={
            "reason": "damaged",
            "lines": [{"sku": "SKU-A", "quantity": 1}],
            "returned_goods": True,
        },
    )
    assert by_line.status_code == 201, by_line.text
    net_1 = cents(D("100.00") / 3)
    total_1 = net_1 + cents(net_1 * D("0.16"))
    assert (by_line.json()["number"], by_line.json()["total"]) == ("A-NC-000001", str(total_1))
    assert by_line.json()["invoice_open_amount"] == str(D("174.00") - total_1)

    # 10.00 with tax, split in the proportion of what remains.
    remaining = D("174.00") - total_1
    by_amount = billing.client.post(url, json={"reason": "discount", "amount": "10.00"})
    assert by_amount.status_code == 201, by_amount.text
    net_2 = cents(D("10.00") * (D("150.00") - net_1) / remaining)
    assert (by_amount.json()["number"], by_amount.json()["net_amount"]) == (
        "A-NC-000002",
        str(net_2),
    )
    remaining -= D("10.00")

    for body, field in (
        ({"reason": "x", "amount": str(remaining + CENT)}, "amount"),
        ({"reason": "x", "lines": [{"sku": "SKU-A", "quantity": 3}]}, "lines"),
        ({"reason": "x", "lines": [{"sku": "SKU-Z", "quantity": 1}]}, "lines"),
        ({"reason": "x", "lines": [{"sku": "SKU-A", "quantity": 1}], "amount": "1.00"}, "amount"),
        ({"reason": "x", "amount": "0"}, "amount"),
    ):
        refused = billing.client.post(url, json=body)
        assert refused.status_code == 422, body
        assert [e["field"] for e in refused.json()["errors"]] == [field], body

    # A credit note on another invoice takes the next number of the one series.
    on_other = billing.client.post(
        f"/invoices/{other['invoice_id']}/credit-notes", json={"reason": "x", "amount": "1.00"}
    )
    assert on_other.json()["number"] == "A-NC-000003"

    full = billing.client.post(url, json={"reason": "returned"}, headers={"Idempotency-Key": "k1"})
    assert full.status_code == 201, full.text
    assert (full.json()["number"], full.json()["total"]) == ("A-NC-000004", str(remaining))
    assert full.json()["invoice_open_amount"] == "0.00"
    replay = billing.client.post(
        url, json={"reason": "returned"}, headers={"Idempotency-Key": "k1"}
    )
    assert replay.json() == full.json()
    assert replay.headers["idempotent-replay"] == "true"
    assert billing.client.post(url, json={"reason": "more"}).status_code == 409

    published = [
        e for e in billing.published(CreditNoteIssued) if e.invoice_id == invoice["invoice_id"]
    ]
    assert [(e.number, e.total, e.returned_goods) for e in published] == [
        ("A-NC-000001", total_1, True),
        ("A-NC-000002", D("10.00"), False),
        ("A-NC-000004", remaining, False),
    ]
    assert [(li.sku, li.quantity, li.amount) for li in published[0].lines] == [
        ("SKU-A", D(1), total_1)
    ]
    assert sum((e.total for e in published), D(0)) == D("174.00")
    # Each reverses its part of the journal entry.
    app = billing.service.app
    reversed_total = D(0)
    for note in published:
        entry = app.journal_entry(UUID(invoice["invoice_id"]), f"credit-note/{note.credit_note_id}")
        credit = {li["account"]: li["credit"] for li in entry.lines}
        debit = {li["account"]: li["debit"] for li in entry.lines}
        assert credit["receivables"] == note.total
        assert debit["revenue"] == note.net_amount
        reversed_total += credit["receivables"]
    assert reversed_total == D("174.00")

    billing.catch_up()
    [listed] = billing.client.get("/invoices", params={"number": invoice["number"]}).json()["items"]
    assert (listed["status"], listed["open_amount"]) == ("credited", "0.00")
    statement = billing.client.get("/customers/cust-n/statement").json()
    assert [(e["type"], e["reference"], e["credit"]) for e in statement["entries"]] == [
        ("invoice", invoice["number"], "0.00"),
        ("invoice", other["number"], "0.00"),
        ("credit_note", "A-NC-000001", str(total_1)),
        ("credit_note", "A-NC-000002", "10.00"),
        ("credit_note", "A-NC-000003", "1.00"),
        ("credit_note", "A-NC-000004", str(remaining)),
    ]
    assert statement["balance"] == "173.00"
    assert (
        billing.client.post(url.replace("credit-notes", "cancel"), json={"reason": "x"}).status_code
        == 409
    )

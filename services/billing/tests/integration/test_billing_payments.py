"""Payments against invoices over HTTP: partial then closing, overpayment, unknown
invoices, idempotency keys, concurrent payers, and the customer's statement."""

from __future__ import annotations

import threading
from decimal import Decimal

from billing_support import Billing, goods_issued, order_confirmed
from oms_contracts.billing import InvoiceIssued, InvoicePaid, PaymentReceived
from oms_dev.testing import wait_until
from oms_kit.projection import ProjectionRunner

D = Decimal


def issue_invoice(billing: Billing, order_id: str, customer_id: str = "cust-1") -> InvoiceIssued:
    """One invoice of 58.00 (1 x SKU-B at 50.00 + 16%)."""
    billing.feed(order_confirmed(order_id, customer_id))
    billing.feed(goods_issued(f"gi-{order_id}", order_id, ("SKU-B", 1)))
    issued: InvoiceIssued
    [issued] = [e for e in billing.of_type(InvoiceIssued) if e.order_id == order_id]
    assert issued.total == D("58.00")
    return issued


def test_a_partial_payment_then_the_closing_one_pays_the_invoice(billing: Billing) -> None:
    invoice = issue_invoice(billing, "ord-p")
    url = f"/invoices/{invoice.invoice_id}/payments"
    first = billing.client.post(url, json={"amount": "20.00"})
    assert first.status_code == 201
    assert first.json()["invoice_id"] == invoice.invoice_id
    assert (first.json()["amount"], first.json()["open_amount"]) == ("20.00", "38.00")
    assert billing.of_type(InvoicePaid) == []
    second = billing.client.post(url, json={"amount": "38.00"})
    assert second.status_code == 201
    assert second.json()["open_amount"] == "0.00"
    received = billing.of_type(PaymentReceived)
    assert [(p.amount, p.open_after, p.customer_id) for p in received] == [
        (D("20.00"), D("38.00"), "cust-1"),
        (D("38.00"), D("0.00"), "cust-1"),
    ]
    [paid] = billing.of_type(InvoicePaid)
    assert (paid.invoice_id, paid.order_id) == (invoice.invoice_id, "ord-p")
    assert billing.client.get(f"/invoices/{invoice.invoice_id}").json()["status"] == "paid"
    billing.catch_up()
    [item] = billing.client.get("/invoices", params={"order_id": "ord-p"}).json()["items"]
    assert (item["status"], item["open_amount"]) == ("paid", "0.00")


def test_paying_more_than_is_open_is_a_422_naming_amount(billing: Billing) -> None:
    invoice = issue_invoice(billing, "ord-o")
    url = f"/invoices/{invoice.invoice_id}/payments"
    for body in ({"amount": "58.01"}, {"amount": "0"}, {"amount": "-5"}, {}):
        response = billing.client.post(url, json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == ["amount"]
    assert billing.of_type(PaymentReceived) == []


def test_a_payment_on_an_unknown_invoice_is_a_404(billing: Billing) -> None:
    response = billing.client.post(
        "/invoices/3f0e8b7c-0000-4000-8000-000000000000/payments", json={"amount": "1.00"}
    )
    assert response.status_code == 404


def test_the_same_idempotency_key_returns_the_first_payment(billing: Billing) -> None:
    invoice = issue_invoice(billing, "ord-i")
    url = f"/invoices/{invoice.invoice_id}/payments"
    headers = {"Idempotency-Key": "pay-123"}
    first = billing.client.post(url, json={"amount": "10.00"}, headers=headers)
    again = billing.client.post(url, json={"amount": "10.00"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(billing.of_type(PaymentReceived)) == 1
    other = billing.client.post(url, json={"amount": "10.00"}, headers={"Idempotency-Key": "x"})
    assert other.json()["open_amount"] == "38.00"


def test_concurrent_payments_never_exceed_what_is_open(billing: Billing) -> None:
    invoice = issue_invoice(billing, "ord-c")
    url = f"/invoices/{invoice.invoice_id}/payments"
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def pay() -> None:
        start.wait()
        status = billing.client.post(url, json={"amount": "20.00"}).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=pay) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # 58.00 open: two payments of 20.00 fit, a third would exceed it.
    assert statuses.count(201) == 2
    assert set(statuses) <= {201, 409, 422}
    paid = [p.amount for p in billing.of_type(PaymentReceived)]
    assert paid == [D("20.00"), D("20.00")]
    detail = billing.client.get(f"/invoices/{invoice.invoice_id}").json()
    assert detail["open_amount"] == "18.00"


def test_the_statement_shows_invoices_and_payments_with_a_running_balance(
    billing: Billing,
) -> None:
    first = issue_invoice(billing, "ord-s1", customer_id="cust-s")
    second = issue_invoice(billing, "ord-s2", customer_id="cust-s")
    issue_invoice(billing, "ord-other", customer_id="cust-other")
    billing.client.post(f"/invoices/{first.invoice_id}/payments", json={"amount": "58.00"})
    billing.client.post(f"/invoices/{second.invoice_id}/payments", json={"amount": "8.00"})
    billing.catch_up()
    statement = wait_until(
        lambda: billing.client.get("/customers/cust-s/statement").json(), what="statement"
    )
    assert statement["customer_id"] == "cust-s"
    assert statement["balance"] == "50.00"
    assert [
        (e["type"], e["reference"], e["debit"], e["credit"], e["balance"])
        for e in statement["entries"]
    ] == [
        ("invoice", first.number, "58.00", "0.00", "58.00"),
        ("invoice", second.number, "58.00", "0.00", "116.00"),
        ("payment", first.number, "0.00", "58.00", "58.00"),
        ("payment", second.number, "0.00", "8.00", "50.00"),
    ]
    assert billing.client.get("/customers/nobody/statement").status_code == 404
    # Rebuildable: the same statement after dropping and replaying the read model.

    ProjectionRunner(
        billing.service.app, billing.service.projection("customer_statement")
    ).rebuild()
    assert billing.client.get("/customers/cust-s/statement").json() == statement

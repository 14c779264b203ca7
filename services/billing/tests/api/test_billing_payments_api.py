"""Payments and the customer's statement over HTTP on the real stack: 201 with what is
open, 422 naming amount, the Idempotency-Key, concurrent payers, the statement and its
rebuild."""

from __future__ import annotations

import threading
from decimal import Decimal

from billing_examples import issue_invoice
from oms_dev.testing import ServiceOnStack
from oms_kit.projection import ProjectionRunner

D = Decimal


def test_a_partial_payment_then_the_closing_one_pays_the_invoice(
    billing: ServiceOnStack,
) -> None:
    invoice_id = issue_invoice(billing, "ord-p")
    url = f"/invoices/{invoice_id}/payments"
    first = billing.client.post(url, json={"amount": "20.00"})
    assert first.status_code == 201
    assert first.json()["invoice_id"] == invoice_id
    assert (first.json()["amount"], first.json()["open_amount"]) == ("20.00", "38.00")
    second = billing.client.post(url, json={"amount": "38.00"})
    assert second.status_code == 201
    assert second.json()["open_amount"] == "0.00"
    detail = billing.client.get(f"/invoices/{invoice_id}").json()
    assert detail["status"] == "paid"
    assert [(p["amount"], p["open_after"]) for p in detail["payments"]] == [
        ("20.00", "38.00"),
        ("38.00", "0.00"),
    ]
    billing.catch_up()
    [item] = billing.client.get("/invoices", params={"order_id": "ord-p"}).json()["items"]
    assert (item["status"], item["open_amount"]) == ("paid", "0.00")


def test_an_amount_that_cannot_be_paid_is_a_422_naming_amount(billing: ServiceOnStack) -> None:
    invoice_id = issue_invoice(billing, "ord-o")
    url = f"/invoices/{invoice_id}/payments"
    for body in (
        {"amount": "58.01"},
        {"amount": "0"},
        {"amount": "-5"},
        {"amount": "1.001"},
        {"amount": "lots"},
        {},
    ):
        response = billing.client.post(url, json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == ["amount"], body
    assert billing.client.get(f"/invoices/{invoice_id}").json()["payments"] == []


def test_the_same_idempotency_key_returns_the_first_payment(billing: ServiceOnStack) -> None:
    invoice_id = issue_invoice(billing, "ord-i")
    url = f"/invoices/{invoice_id}/payments"
    headers = {"Idempotency-Key": "pay-123"}
    first = billing.client.post(url, json={"amount": "10.00"}, headers=headers)
    again = billing.client.post(url, json={"amount": "10.00"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert "idempotent-replay" not in first.headers
    assert again.headers["idempotent-replay"] == "true"
    other = billing.client.post(url, json={"amount": "10.00"}, headers={"Idempotency-Key": "x"})
    assert other.json()["open_amount"] == "38.00"
    assert len(billing.client.get(f"/invoices/{invoice_id}").json()["payments"]) == 2


def test_concurrent_payments_never_exceed_what_is_open(billing: ServiceOnStack) -> None:
    invoice_id = issue_invoice(billing, "ord-c")
    url = f"/invoices/{invoice_id}/payments"
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
    detail = billing.client.get(f"/invoices/{invoice_id}").json()
    assert [p["amount"] for p in detail["payments"]] == ["20.00", "20.00"]
    assert detail["open_amount"] == "18.00"


def test_the_statement_shows_invoices_and_payments_with_a_running_balance(
    billing: ServiceOnStack,
) -> None:
    first = issue_invoice(billing, "ord-s1", customer_id="cust-s")
    second = issue_invoice(billing, "ord-s2", customer_id="cust-s")
    issue_invoice(billing, "ord-other", customer_id="cust-other")
    numbers = {
        i["invoice_id"]: i["number"]
        for i in billing.client.get("/invoices", params={"customer_id": "cust-s"}).json()["items"]
    }
    billing.client.post(f"/invoices/{first}/payments", json={"amount": "58.00"})
    billing.client.post(f"/invoices/{second}/payments", json={"amount": "8.00"})
    billing.catch_up()
    response = billing.client.get("/customers/cust-s/statement")
    assert response.status_code == 200
    statement = response.json()
    assert statement["customer_id"] == "cust-s"
    assert statement["balance"] == "50.00"
    assert [
        (e["type"], e["reference"], e["currency"], e["debit"], e["credit"], e["balance"])
        for e in statement["entries"]
    ] == [
        ("invoice", numbers[first], "MXN", "58.00", "0.00", "58.00"),
        ("invoice", numbers[second], "MXN", "58.00", "0.00", "116.00"),
        ("payment", numbers[first], "MXN", "0.00", "58.00", "58.00"),
        ("payment", numbers[second], "MXN", "0.00", "8.00", "50.00"),
    ]
    missing = billing.client.get("/customers/nobody/statement")
    assert missing.status_code == 404
    assert [e["field"] for e in missing.json()["errors"]] == ["customer_id"]
    # Rebuildable: the same statement after dropping and replaying the read model.
    ProjectionRunner(billing.service.app, billing.service.view("statement")).rebuild()
    assert billing.client.get("/customers/cust-s/statement").json() == statement

"""Who may call billing's routes, and what each caller sees (DESIGN section 9), on the real
stack: 401 without a valid token, 403 for warehouse and partners everywhere and for anyone
but the back office recording a payment, a service's token reading any invoice's documents
and refused (403) everywhere else, and the scope of every list and detail: two reps
with a customer each; a portfolio change takes effect everywhere."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from billing_examples import customer_registered, customer_updated, issue_invoice
from fastapi.testclient import TestClient
from oms_dev.testing import ServiceOnStack
from oms_kit.auth import ADMIN, BACK_OFFICE, CUSTOMER, PARTNER, SALES_REP, SERVICE, WAREHOUSE
from oms_kit.projection import ProjectionRunner


def as_rep(billing: ServiceOnStack, rep_id: str) -> dict[str, str]:
    return billing.headers(SALES_REP, f"user-{rep_id}", sales_rep_id=rep_id)


def as_customer(billing: ServiceOnStack, customer_id: str) -> dict[str, str]:
    return billing.headers(CUSTOMER, f"user-{customer_id}", customer_id=customer_id)


def invoice_ids(billing: ServiceOnStack, headers: dict[str, str], **params: str) -> set[str]:
    response = billing.client.get("/invoices", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {item["invoice_id"] for item in response.json()["items"]}


def status(
    billing: ServiceOnStack, method: str, url: str, headers: dict[str, str], **kwargs: Any
) -> int:
    response: httpx.Response = billing.client.request(method, url, headers=headers, **kwargs)
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    return response.status_code


def routes(invoice_id: str, customer_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every billing route, with a record of ``customer_id``."""
    return [
        ("GET", "/invoices", {}),
        ("GET", f"/invoices/{invoice_id}", {}),
        ("GET", f"/invoices/{invoice_id}/xml", {}),
        ("GET", f"/invoices/{invoice_id}/pdf", {}),
        ("POST", f"/invoices/{invoice_id}/payments", {"json": {"amount": "1.00"}}),
        ("GET", f"/customers/{customer_id}/statement", {}),
    ]


def assert_outside(
    billing: ServiceOnStack, headers: dict[str, str], invoice_id: str, customer_id: str
) -> None:
    """The invoice and statement of a customer outside the caller's reach answer as if
    they did not exist: 404 naming the field, the same problem an unknown one gets."""
    for url, unknown_url, field in (
        (
            f"/invoices/{invoice_id}",
            "/invoices/00000000-0000-0000-0000-000000000000",
            "invoice_id",
        ),
        *(
            (
                f"/invoices/{invoice_id}/{document}",
                f"/invoices/00000000-0000-0000-0000-000000000000/{document}",
                "invoice_id",
            )
            for document in ("xml", "pdf")
        ),
        (f"/customers/{customer_id}/statement", "/customers/nobody/statement", "customer_id"),
    ):
        outside = billing.client.get(url, headers=headers)
        unknown = billing.client.get(unknown_url, headers=headers)
        assert outside.status_code == unknown.status_code == 404, url
        assert [e["field"] for e in outside.json()["errors"]] == [field]
        assert outside.json()["title"] == unknown.json()["title"]


@pytest.fixture
def invoices(billing: ServiceOnStack) -> dict[str, str]:
    """Two reps with a customer each (rep-1: cust-1, rep-2: cust-2) and an invoice each;
    the invoice ids by customer."""
    billing.deliver(customer_registered("cust-1", "rep-1"), aggregate_version=1)
    billing.deliver(customer_registered("cust-2", "rep-2"), aggregate_version=1)
    issued = {
        customer: issue_invoice(billing, f"ord-{customer}", customer)
        for customer in ("cust-1", "cust-2")
    }
    billing.catch_up()
    return issued


def test_without_a_valid_token_every_route_is_401(
    billing: ServiceOnStack, invoices: dict[str, str]
) -> None:
    issuer = billing.issuer
    anonymous = TestClient(billing.client.app)
    bad_tokens = {
        "none": {},
        "expired": {"Authorization": f"Bearer {issuer.expired_token(ADMIN)}"},
        "forged": {"Authorization": f"Bearer {issuer.forged_token(ADMIN)}"},
        "alg none": {"Authorization": f"Bearer {issuer.none_token(ADMIN)}"},
        "not a token": {"Authorization": "Bearer not-a-token"},
    }
    for name, headers in bad_tokens.items():
        for method, url, kwargs in routes(invoices["cust-1"], "cust-1"):
            response = anonymous.request(method, url, headers=headers, **kwargs)
            assert response.status_code == 401, (name, url)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.headers["www-authenticate"] == "Bearer"
    detail = billing.client.get(f"/invoices/{invoices['cust-1']}").json()
    assert detail["payments"] == []  # nothing was recorded


@pytest.mark.parametrize("role", [WAREHOUSE, PARTNER])
def test_warehouse_and_partners_may_not_use_billing(
    billing: ServiceOnStack, invoices: dict[str, str], role: str
) -> None:
    headers = billing.headers(role, partner_id="partner-1" if role == PARTNER else None)
    for method, url, kwargs in routes(invoices["cust-1"], "cust-1"):
        assert status(billing, method, url, headers, **kwargs) == 403, url


def test_a_service_reads_every_customers_invoice_documents_and_nothing_else(
    billing: ServiceOnStack, invoices: dict[str, str]
) -> None:
    """The notifications service's token (role ``service``) fetches the PDF and XML of
    any customer's invoice, to attach them to e-mails; the invoices themselves, their
    list, statements and payments answer it 403, whoever's they are."""
    service = billing.headers(SERVICE, "service:notifications")
    for customer, invoice_id in invoices.items():
        pdf = billing.client.get(f"/invoices/{invoice_id}/pdf", headers=service)
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        xml = billing.client.get(f"/invoices/{invoice_id}/xml", headers=service)
        assert xml.status_code == 200, xml.text
        assert xml.headers["content-type"].startswith("application/xml")
        for method, url, kwargs in routes(invoice_id, customer):
            if not url.endswith(("/pdf", "/xml")):
                assert status(billing, method, url, service, **kwargs) == 403, url
        unknown = "/invoices/00000000-0000-0000-0000-000000000000/pdf"
        assert status(billing, "GET", unknown, service) == 404
    assert status(billing, "GET", "/invoices", service, params={"customer_id": "cust-1"}) == 403
    detail = billing.client.get(f"/invoices/{invoices['cust-1']}").json()
    assert detail["payments"] == []  # nothing was recorded


def test_only_the_back_office_and_admin_record_payments(
    billing: ServiceOnStack, invoices: dict[str, str]
) -> None:
    url = f"/invoices/{invoices['cust-1']}/payments"
    payment = {"json": {"amount": "1.00"}}
    # Their own customer's invoice, or their own: still not theirs to record.
    assert status(billing, "POST", url, as_rep(billing, "rep-1"), **payment) == 403
    assert status(billing, "POST", url, as_customer(billing, "cust-1"), **payment) == 403
    # Refused before the body is read: no 422 tells a customer what the invoice expects.
    assert status(billing, "POST", url, as_customer(billing, "cust-1"), json={}) == 403
    assert status(billing, "POST", url, billing.headers(BACK_OFFICE), **payment) == 201
    assert status(billing, "POST", url, billing.headers(ADMIN), **payment) == 201
    detail = billing.client.get(f"/invoices/{invoices['cust-1']}").json()
    assert [p["amount"] for p in detail["payments"]] == ["1.00", "1.00"]


@pytest.mark.parametrize("role", [BACK_OFFICE, ADMIN])
def test_the_back_office_and_admin_see_every_customer(
    billing: ServiceOnStack, invoices: dict[str, str], role: str
) -> None:
    headers = billing.headers(role)
    assert invoice_ids(billing, headers) == set(invoices.values())
    for customer, invoice_id in invoices.items():
        assert status(billing, "GET", f"/invoices/{invoice_id}", headers) == 200
        assert status(billing, "GET", f"/invoices/{invoice_id}/pdf", headers) == 200
        assert status(billing, "GET", f"/customers/{customer}/statement", headers) == 200


def test_a_rep_sees_only_his_portfolio(billing: ServiceOnStack, invoices: dict[str, str]) -> None:
    rep = as_rep(billing, "rep-1")
    assert invoice_ids(billing, rep) == {invoices["cust-1"]}
    assert invoice_ids(billing, rep, customer_id="cust-1") == {invoices["cust-1"]}
    assert invoice_ids(billing, rep, customer_id="cust-2") == set()
    assert invoice_ids(billing, rep, order_id="ord-cust-2") == set()
    assert status(billing, "GET", f"/invoices/{invoices['cust-1']}", rep) == 200
    assert status(billing, "GET", "/customers/cust-1/statement", rep) == 200
    assert_outside(billing, rep, invoices["cust-2"], "cust-2")
    assert invoice_ids(billing, as_rep(billing, "rep-9")) == set()  # a rep without customers


def test_a_customer_sees_only_his_own(billing: ServiceOnStack, invoices: dict[str, str]) -> None:
    customer = as_customer(billing, "cust-2")
    assert invoice_ids(billing, customer) == {invoices["cust-2"]}
    assert invoice_ids(billing, customer, customer_id="cust-1") == set()
    statement = billing.client.get("/customers/cust-2/statement", headers=customer)
    assert statement.status_code == 200
    assert statement.json()["customer_id"] == "cust-2"
    detail = billing.client.get(f"/invoices/{invoices['cust-2']}", headers=customer)
    assert detail.status_code == 200
    assert detail.json()["customer_id"] == "cust-2"
    assert_outside(billing, customer, invoices["cust-1"], "cust-1")


def test_a_portfolio_change_takes_effect_everywhere(
    billing: ServiceOnStack, invoices: dict[str, str]
) -> None:
    billing.deliver(customer_updated("cust-2", "rep-1"), aggregate_version=2)
    billing.catch_up()
    rep_1, rep_2 = as_rep(billing, "rep-1"), as_rep(billing, "rep-2")
    assert invoice_ids(billing, rep_1) == set(invoices.values())
    assert invoice_ids(billing, rep_1, customer_id="cust-2") == {invoices["cust-2"]}
    assert status(billing, "GET", f"/invoices/{invoices['cust-2']}", rep_1) == 200
    assert status(billing, "GET", "/customers/cust-2/statement", rep_1) == 200
    assert invoice_ids(billing, rep_2) == set()
    assert_outside(billing, rep_2, invoices["cust-2"], "cust-2")
    # The portfolio is a read model like the others: rebuilt, it answers the same.
    ProjectionRunner(billing.service.app, billing.service.view("portfolio")).rebuild()
    assert invoice_ids(billing, rep_1) == set(invoices.values())
    assert invoice_ids(billing, rep_2) == set()


def test_a_customer_billing_has_not_heard_of_is_in_no_portfolio_until_registered(
    billing: ServiceOnStack,
) -> None:
    invoice_id = issue_invoice(billing, "ord-new", "cust-new")
    rep = as_rep(billing, "rep-1")
    assert invoice_ids(billing, rep) == set()
    assert_outside(billing, rep, invoice_id, "cust-new")
    assert invoice_ids(billing, as_customer(billing, "cust-new")) == {invoice_id}
    billing.deliver(customer_registered("cust-new", "rep-1"), aggregate_version=1)
    billing.catch_up()
    assert invoice_ids(billing, rep) == {invoice_id}

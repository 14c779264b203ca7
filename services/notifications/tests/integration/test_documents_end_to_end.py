"""The documents attached as the services that own them make them: orders, inventory,
billing and notifications as processes on the real PostgreSQL and broker, mail to an SMTP
server in this process. A quote sent arrives with its proposal PDF; an order taken to its
stamped invoice arrives with the invoice's PDF and fiscal XML, each fetched by the
notifications service with its own credential (the service client of orders), the bytes
those services serve."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from notifications_examples import attachment_names, text_of
from oms_dev.mailsink import MailSink
from oms_dev.testing import RunningServices, Stack, running_services, wait_until
from pypdf import PdfReader

SERVICES = ["orders", "inventory", "billing", "notifications"]
MAIL_FROM = "Fábrica Exemplo <vendas@fabrica.example>"


@pytest.fixture
def system(stack: Stack, tmp_path: Path) -> Iterator[RunningServices]:
    """The services as processes, mail to the stack's sink; the supervisor tells
    notifications where orders and billing answer."""
    env = {"OMS_MAIL_FROM": MAIL_FROM, "OMS_MAIL_POLL_S": "0.2"}
    with running_services(stack, SERVICES, tmp_path / "logs", env=env) as running:
        yield running


@pytest.fixture
def mail(stack: Stack) -> MailSink:
    assert stack.smtp is not None
    return stack.smtp


class Client:
    def __init__(self, system: RunningServices) -> None:
        self.http = httpx.Client(timeout=15.0, auth=system.admin.auth)
        self.system = system

    def call(self, method: str, service: str, path: str, status: int, **kwargs: Any) -> Any:
        answer = self.http.request(method, f"{self.system.url(service)}{path}", **kwargs)
        assert answer.status_code == status, (method, path, answer.status_code, answer.text)
        return answer.json() if "json" in answer.headers.get("content-type", "") else answer

    def document(self, service: str, path: str) -> bytes:
        answer = self.http.get(f"{self.system.url(service)}{path}")
        assert answer.status_code == 200, (path, answer.status_code, answer.text)
        return answer.content


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _attachment(message: EmailMessage, name: str) -> bytes:
    for part in message.iter_attachments():
        if part.get_filename() == name:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload
    raise AssertionError(f"no attachment {name} in {attachment_names(message)}")


def _mail_with(mail: MailSink, suffix: str) -> EmailMessage | None:
    messages = (kept.message for kept in mail.messages())
    return next((m for m in messages if any(n.endswith(suffix) for n in attachment_names(m))), None)


def test_the_documents_are_attached_as_their_services_make_them(
    system: RunningServices, mail: MailSink
) -> None:
    admin = Client(system)
    customer_id = admin.call(
        "POST",
        "orders",
        "/customers",
        201,
        json={
            "name": "Müller Handels GmbH",
            "tax_id": "DE123456789",
            "email": "einkauf@mueller.example",
            "credit_limit": "100000.00",
            "payment_terms_days": [30],
            "currency": "EUR",
            "language": "de",
        },
    )["customer_id"]
    sku = f"SKU-{uuid.uuid4().hex[:6]}"
    admin.call(
        "POST",
        "orders",
        "/products",
        201,
        json={
            "sku": sku,
            "name": "Schraube M6",
            "unit_price": "12.50",
            "currency": "EUR",
            "tax_rate": "0.19",
        },
    )
    admin.call(
        "POST",
        "inventory",
        "/stock/receipts",
        201,
        json={"sku": sku, "warehouse": "MAIN", "lot": "L1", "quantity": 100},
    )

    # A quote sent: the e-mail carries the proposal PDF orders serves.
    quote = admin.call(
        "POST",
        "orders",
        "/quotes",
        201,
        json={"customer_id": customer_id, "lines": [{"sku": sku, "quantity": 8}]},
    )
    admin.call("POST", "orders", f"/quotes/{quote['quote_id']}/send", 200)
    proposal_name = f"proposal-{quote['quote_id']}.pdf"
    quote_mail = wait_until(lambda: _mail_with(mail, proposal_name), 60, "the quote's e-mail")
    assert quote_mail["To"].addresses[0].addr_spec == "einkauf@mueller.example"
    assert quote_mail["Content-Language"] == "de"
    assert quote_mail["Subject"].startswith("Angebot")
    proposal = _attachment(quote_mail, proposal_name)
    assert proposal.startswith(b"%PDF")
    served = admin.document("orders", f"/quotes/{quote['quote_id']}/pdf")
    assert _pdf_text(proposal) == _pdf_text(served)
    assert "Müller Handels GmbH" in _pdf_text(proposal)

    # An order to its stamped invoice: the e-mail carries the invoice's PDF and XML.
    order_id = admin.call(
        "POST",
        "orders",
        "/orders",
        201,
        json={"customer_id": customer_id, "lines": [{"sku": sku, "quantity": 4}]},
    )["order_id"]

    def open_pick_list() -> dict[str, Any] | None:
        items = admin.call("GET", "inventory", "/pick-lists", 200, params={"order_id": order_id})
        return next((p for p in items["items"] if p["status"] == "open"), None)

    pick_list = wait_until(open_pick_list, 60, "the pick list")
    admin.call(
        "POST",
        "inventory",
        f"/pick-lists/{pick_list['pick_list_id']}/confirm",
        200,
        json={"lines": pick_list["lines"]},
    )

    def stamped_invoice() -> dict[str, Any] | None:
        items = admin.call("GET", "billing", "/invoices", 200, params={"order_id": order_id})
        return next((i for i in items["items"] if i.get("stamp")), None)

    invoice = wait_until(stamped_invoice, 60, "the stamped invoice")
    number = invoice["number"]
    invoice_mail = wait_until(lambda: _mail_with(mail, f"{number}.xml"), 60, "the invoice e-mail")
    assert attachment_names(invoice_mail) == [f"{number}.pdf", f"{number}.xml"]
    assert invoice_mail["To"].addresses[0].addr_spec == "einkauf@mueller.example"
    assert invoice_mail["Subject"] == f"Rechnung {number}"
    assert invoice["stamp"]["uuid"] in text_of(invoice_mail)
    xml = _attachment(invoice_mail, f"{number}.xml")
    assert xml == admin.document("billing", f"/invoices/{invoice['invoice_id']}/xml")
    pdf = _attachment(invoice_mail, f"{number}.pdf")
    assert pdf.startswith(b"%PDF") and number in _pdf_text(pdf)

    # Each e-mail went once, and the log says so.
    log = admin.call("GET", "notifications", "/notifications", 200, params={"limit": 200})
    sent = {(i["document_type"], i["document_id"]): i for i in log["items"]}
    assert sent[("quote_sent", quote["quote_id"])]["status"] == "sent"
    assert sent[("invoice_stamped", invoice["invoice_id"])]["status"] == "sent"
    message_ids = [kept.message_id for kept in mail.messages()]
    assert len(message_ids) == len(set(message_ids))

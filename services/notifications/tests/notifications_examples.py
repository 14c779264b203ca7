"""Example contract events, and collaborators a test hands the sender: a clock it moves, a
mailer that records (or refuses as told), documents made up on the spot."""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from typing import Any
from uuid import UUID

from aiosmtpd.controller import Controller
from oms_contracts.billing import InvoiceIssued, InvoiceStamped, PaymentReceived
from oms_contracts.inventory import StockLevelChanged
from oms_contracts.orders import (
    CustomerRegistered,
    OrderConfirmed,
    OrderPlaced,
    OrderStatusChanged,
    ProductDefined,
    QuoteCreated,
    QuoteSent,
    SalesRepRegistered,
    UserRegistered,
)
from oms_dev.devstack import free_port
from oms_dev.inmemory import Fed
from oms_notifications.domain.notification import Attempt, Notification
from oms_notifications.sending.sender import Document, Sender, wire_bytes

D = Decimal
MAIL_FROM = "OMS Test <no-reply@oms.test>"
_ids = itertools.count(1)


class Clock:
    """The sender's time: starts a minute ahead (what the test queues is due) and moves only
    when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC) + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class RecordingMailer:
    """Keeps what it is given; raises the exceptions of ``refusals`` first, in order."""

    def __init__(self, *refusals: Exception) -> None:
        self.refusals = list(refusals)
        self.sent: list[EmailMessage] = []
        self.tries = 0

    def send(self, message: Message) -> str:
        self.tries += 1
        if self.refusals:
            raise self.refusals.pop(0)
        # Kept as a server reads it: written as it goes over SMTP and parsed again.
        received = message_from_bytes(wire_bytes(message), policy=policy.default)
        assert isinstance(received, EmailMessage)
        self.sent.append(received)
        return "250 2.0.0 OK queued"

    def close(self) -> None:
        pass


@dataclass
class MadeUpDocuments:
    """A document of each kind asked for, with the file name the real source gives."""

    fetched: list[tuple[str, str]] = field(default_factory=list)

    def fetch(self, kind: str, attempt: Attempt) -> Document:
        self.fetched.append((kind, attempt.document_id))
        number = attempt.facts.get("invoice_number", attempt.document_id)
        if kind == "proposal_pdf":
            return Document(f"proposal-{attempt.document_id}.pdf", "application/pdf", b"%PDF-1.7")
        if kind == "invoice_pdf":
            return Document(f"{number}.pdf", "application/pdf", b"%PDF-1.7")
        return Document(f"{number}.xml", "application/xml", b"<Comprobante/>")


@dataclass
class Inbox:
    """The SMTP server's side: every DATA it was given, and what it accepted; the next
    answers may be refusals (``refuse``)."""

    refusals: list[str] = field(default_factory=list)
    tried: list[EmailMessage] = field(default_factory=list)
    accepted: list[EmailMessage] = field(default_factory=list)
    #: The client's address and port of each DATA: one per connection.
    peers: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.tried.append(message)
            self.peers.append(tuple(session.peer[:2]))
            if self.refusals:
                return self.refusals.pop(0)
            self.accepted.append(message)
        return "250 2.0.0 Ok: queued"


@contextlib.contextmanager
def smtp_server(inbox: Inbox, port: int | None = None) -> Iterator[Controller]:
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def queued(service: Fed) -> list[Notification.Queued]:
    """Every notification queued so far, in order."""
    app = service.app
    found = []
    for stored in app.recorder.select_notifications(1, 1_000_000):
        event = app.mapper.to_domain_event(stored)
        if isinstance(event, Notification.Queued):
            found.append(event)
    return found


def queued_ids(service: Fed) -> list[UUID]:
    return [event.originator_id for event in queued(service)]


def send_all(service: Fed, sender: Sender) -> list[str | None]:
    """One attempt at every notification queued so far (those not due are skipped)."""
    return [sender.attempt(notification_id) for notification_id in queued_ids(service)]


def notification(service: Fed, notification_id: UUID) -> Notification:
    found: Notification = service.app.repository.get(notification_id)
    return found


# --- events ------------------------------------------------------------------------------


def customer(
    customer_id: str = "cust-1",
    *,
    name: str = "Acme Ltda",
    email: str = "buyer@acme.example",
    language: str | None = "pt",
    sales_rep_id: str | None = None,
    currency: str = "BRL",
) -> CustomerRegistered:
    return CustomerRegistered(
        customer_id=customer_id,
        name=name,
        tax_id="12.345.678/0001-90",
        email=email,
        credit_limit=D("100000"),
        currency=currency,
        payment_terms_days=[30],
        sales_rep_id=sales_rep_id,
        language=language,
    )


def sales_rep(
    sales_rep_id: str = "rep-1", *, name: str = "Rita Rep", email: str = "rita@oms.example"
) -> SalesRepRegistered:
    return SalesRepRegistered(sales_rep_id=sales_rep_id, name=name, email=email)


def rep_user(sales_rep_id: str = "rep-1", language: str = "es") -> UserRegistered:
    return UserRegistered(
        user_id=f"user-{next(_ids)}",
        username=f"rep{next(_ids)}",
        role="sales_rep",
        sales_rep_id=sales_rep_id,
        language=language,
    )


def product(sku: str = "SKU-1", name: str = "Parafuso M6") -> ProductDefined:
    return ProductDefined(
        sku=sku, name=name, unit_price=D("10.00"), currency="BRL", tax_rate=D("0.18")
    )


def quote_created(
    quote_id: str = "q-1",
    customer_id: str = "cust-1",
    total: str = "1234.50",
    currency: str = "BRL",
) -> QuoteCreated:
    return QuoteCreated(
        quote_id=quote_id,
        customer_id=customer_id,
        currency=currency,
        lines=[],
        total=D(total),
        valid_until=date(2030, 1, 31),
    )


def quote_sent(
    quote_id: str = "q-1", customer_id: str = "cust-1", email: str = "buyer@acme.example"
) -> QuoteSent:
    return QuoteSent(quote_id=quote_id, customer_id=customer_id, email=email)


def order_placed(
    order_id: str = "o-1", customer_id: str = "cust-1", currency: str = "BRL"
) -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id,
        customer_id=customer_id,
        origin="rep",
        currency=currency,
        lines=[],
        net_total=D("1000.00"),
        tax_total=D("234.50"),
        total=D("1234.50"),
        status="pending_approval",
    )


def order_confirmed(
    order_id: str = "o-1",
    customer_id: str = "cust-1",
    total: str = "1234.50",
    currency: str = "BRL",
) -> OrderConfirmed:
    return OrderConfirmed(
        order_id=order_id,
        customer_id=customer_id,
        currency=currency,
        lines=[],
        total=D(total),
        expected_delivery_date=date(2030, 2, 15),
    )


def status_changed(
    order_id: str = "o-1", status: str = "shipped", previous: str | None = "confirmed"
) -> OrderStatusChanged:
    return OrderStatusChanged(order_id=order_id, status=status, previous_status=previous)


def invoice_issued(
    invoice_id: str = "inv-1",
    order_id: str = "o-1",
    customer_id: str = "cust-1",
    currency: str = "BRL",
) -> InvoiceIssued:
    return InvoiceIssued(
        invoice_id=invoice_id,
        number="A-000001",
        order_id=order_id,
        customer_id=customer_id,
        currency=currency,
        lines=[],
        net_total=D("1000.00"),
        tax_total=D("234.50"),
        total=D("1234.50"),
    )


def invoice_stamped(invoice_id: str = "inv-1", order_id: str = "o-1") -> InvoiceStamped:
    return InvoiceStamped(
        invoice_id=invoice_id,
        order_id=order_id,
        number="A-000001",
        stamp_uuid="6f1c7c3a-0d1e-4b8e-9a31-5c2b7e0f1a2b",
        stamped_at=datetime(2030, 1, 10, 12, 0, tzinfo=UTC),
        provider="local",
    )


def payment(
    invoice_id: str = "inv-1",
    customer_id: str = "cust-1",
    amount: str = "500.00",
    currency: str = "BRL",
) -> PaymentReceived:
    return PaymentReceived(
        payment_id=f"pay-{next(_ids)}",
        invoice_id=invoice_id,
        order_id="o-1",
        customer_id=customer_id,
        currency=currency,
        amount=D(amount),
        open_after=D("734.50"),
    )


def stock_level(sku: str = "SKU-1", available: str = "0") -> StockLevelChanged:
    return StockLevelChanged(sku=sku, on_hand=D(available), reserved=D(0), available=D(available))


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    content: Any = body.get_content()
    return str(content)


def attachment_names(message: EmailMessage) -> list[str]:
    return [part.get_filename() or "" for part in message.iter_attachments()]

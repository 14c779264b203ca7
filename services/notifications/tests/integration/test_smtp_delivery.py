"""E-mail through a real SMTP server (aiosmtpd, in this process) from the service on the real
PostgreSQL, its sender running as the worker runs it (the log view followed, due
notifications claimed, the SMTP conversation by the standard library): one message per
document and event in the recipient's language, a server refusing for a while, one refusing
for good, one down and back, and a worker killed between sending and marking."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from email.message import EmailMessage, Message
from typing import Any

import pytest
from notifications_examples import (
    MAIL_FROM,
    Clock,
    Inbox,
    MadeUpDocuments,
    attachment_names,
    customer,
    invoice_issued,
    invoice_stamped,
    order_confirmed,
    order_placed,
    payment,
    product,
    queued_ids,
    quote_created,
    quote_sent,
    rep_user,
    sales_rep,
    smtp_server,
    status_changed,
    stock_level,
    text_of,
)
from oms_contracts.notifications import NotificationFailed, NotificationSent
from oms_dev.devstack import free_port
from oms_dev.testing import ServiceOnStack, Stack, wait_until
from oms_kit.auth import BACK_OFFICE, SALES_REP
from oms_kit.projection import ProjectionRunner
from oms_notifications.bootstrap import bootstrap, smtp_mailer
from oms_notifications.sending.sender import Due, Sender
from oms_notifications.sending.smtp import SmtpMailer

LANGUAGES = {
    # language: (currency, the order confirmation's subject, its total as the body shows it)
    "pt": ("BRL", "Pedido o-1 confirmado", "R$\xa01.234,50"),
    "es": ("MXN", "Pedido o-1 confirmado", "$1,234.50"),
    "pl": ("PLN", "Potwierdzenie zamówienia o-1", "1\xa0234,50\xa0zł"),
    "en": ("USD", "Order o-1 confirmed", "$1,234.50"),
    "de": ("EUR", "Auftragsbestätigung o-1", "1.234,50\xa0€"),
}


@contextlib.contextmanager
def worker_threads(service: ServiceOnStack) -> Iterator[None]:
    """The worker's read models and its sender, in threads, until the block ends."""
    stop = threading.Event()
    loops = [
        ProjectionRunner(service.service.app, view).run for view in service.service.views
    ] + list(service.service.background)
    threads = [threading.Thread(target=loop, args=(stop,), daemon=True) for loop in loops]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)


def notifications_on(stack: Stack, port: int, **overrides: Any) -> ServiceOnStack:
    service = ServiceOnStack(
        bootstrap,
        stack,
        dev_stack=True,
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from=MAIL_FROM,
        company_name="Fábrica Exemplo",
        mail_retry_base_s=0.05,
        mail_retry_cap_s=0.2,
        mail_poll_s=0.05,
        documents=MadeUpDocuments(),
        **overrides,
    )
    service.client.headers.update(service.headers(BACK_OFFICE))
    return service


def _log(service: ServiceOnStack, *, running: bool = False) -> list[dict[str, Any]]:
    """The log as the API shows it (caught up first, unless the worker's threads run)."""
    if not running:
        service.catch_up()
    items: list[dict[str, Any]] = service.client.get("/notifications").json()["items"]
    return items


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_one_message_per_document_in_the_recipients_language(stack: Stack, language: str) -> None:
    currency, confirmed_subject, total = LANGUAGES[language]
    inbox = Inbox()
    with smtp_server(inbox) as server:
        service = notifications_on(stack, server.port)
        try:
            service.deliver(sales_rep())
            service.deliver(rep_user(language=language))
            service.deliver(customer(language=language, sales_rep_id="rep-1", currency=currency))
            service.deliver(product())
            service.deliver(quote_created(currency=currency))
            service.deliver(quote_sent(email="compras@acme.example"))
            service.deliver(order_placed(currency=currency))
            service.deliver(order_confirmed(currency=currency))
            service.deliver(status_changed(status="shipped", previous="confirmed"))
            service.deliver(invoice_issued(currency=currency))
            service.deliver(invoice_stamped())
            service.deliver(payment(currency=currency))
            alert = service.client.post(
                "/stock-alerts",
                json={"sku": "SKU-1"},
                headers=service.headers(SALES_REP, sales_rep_id="rep-1"),
            )
            assert alert.status_code == 201, alert.text
            service.deliver(stock_level(available="4"), aggregate_id="stock-1")
            with worker_threads(service):
                wait_until(lambda: len(inbox.accepted) == 6, 30, "six messages")
            log = _log(service)
        finally:
            service.close()
    assert {item["status"] for item in log} == {"sent"}
    assert {item["language"] for item in log} == {language}
    by_type = {item["document_type"]: item for item in log}
    messages = {message["Message-ID"]: message for message in inbox.accepted}
    assert len(messages) == 6  # each once
    mail = {kind: messages[item["message_id"]] for kind, item in by_type.items()}
    for kind, message in mail.items():
        assert message["Content-Language"] == language, kind
        assert "Fábrica Exemplo" in text_of(message), kind
        assert message["Subject"] == by_type[kind]["subject"]
    confirmed = mail["order_confirmed"]
    assert confirmed["Subject"] == confirmed_subject
    assert total in text_of(confirmed)
    assert confirmed["To"].addresses[0].addr_spec == "buyer@acme.example"
    assert mail["quote_sent"]["To"].addresses[0].addr_spec == "compras@acme.example"
    assert total in text_of(mail["quote_sent"])
    assert attachment_names(mail["quote_sent"]) == ["proposal-q-1.pdf"]
    assert attachment_names(mail["invoice_stamped"]) == ["A-000001.pdf", "A-000001.xml"]
    assert "A-000001" in mail["payment_received"]["Subject"]
    assert mail["stock_available"]["To"].addresses[0].addr_spec == "rita@oms.example"
    assert "Parafuso M6" in mail["stock_available"]["Subject"]


def test_a_server_refusing_for_a_while_delivers_exactly_once(stack: Stack) -> None:
    inbox = Inbox(refusals=["451 4.3.0 Try again later"] * 3)
    with smtp_server(inbox) as server:
        service = notifications_on(stack, server.port)
        try:
            service.deliver(customer())
            service.deliver(order_confirmed())
            with worker_threads(service):
                wait_until(lambda: inbox.accepted, 30, "the message accepted")
            # More passes after it went out send nothing more.
            sender = Sender(
                service.app,
                lambda now, limit: [Due(i, "the order") for i in queued_ids(service)],
                smtp_mailer(service.service.settings),  # type: ignore[arg-type]
                MadeUpDocuments(),
                MAIL_FROM,
                clock=Clock(),
            )
            assert sender.send_due() == 0
            [row] = _log(service)
        finally:
            service.close()
    assert len(inbox.accepted) == 1
    assert len(inbox.tried) == 4
    # Every attempt was the same message.
    assert {message["Message-ID"] for message in inbox.tried} == {row["message_id"]}
    assert (row["status"], row["attempts"], row["error"]) == ("sent", 4, None)


def test_a_permanent_refusal_is_failed_with_the_servers_answer(stack: Stack) -> None:
    inbox = Inbox(refusals=["550 5.1.1 <buyer@acme.example>: mailbox unavailable"])
    with smtp_server(inbox) as server:
        service = notifications_on(stack, server.port)
        try:
            service.deliver(customer())
            service.deliver(order_confirmed())
            with worker_threads(service):
                wait_until(
                    lambda: [r for r in _log(service, running=True) if r["status"] == "failed"],
                    30,
                    "failed",
                )
            [row] = _log(service)
            [failed] = service.published(NotificationFailed)
        finally:
            service.close()
    assert "550 5.1.1 <buyer@acme.example>: mailbox unavailable" in row["error"]
    assert row["attempts"] == 1 and inbox.accepted == []
    assert failed.error == row["error"] and failed.message_id == row["message_id"]


def test_a_server_that_is_down_gets_the_message_when_it_is_back(stack: Stack) -> None:
    port = free_port()
    inbox = Inbox()
    service = notifications_on(stack, port)
    try:
        service.deliver(customer())
        service.deliver(order_confirmed())
        with worker_threads(service):
            wait_until(
                lambda: [r for r in _log(service, running=True) if r["attempts"] >= 2],
                30,
                "two attempts",
            )
            [row] = _log(service, running=True)
            assert row["status"] == "pending" and "no SMTP server" in row["error"]
            with smtp_server(inbox, port):
                wait_until(lambda: inbox.accepted, 30, "the message once the server is up")
        [row] = _log(service)
    finally:
        service.close()
    assert row["status"] == "sent" and len(inbox.accepted) == 1


def _mail(number: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = MAIL_FROM
    message["To"] = "Cliente <buyer@acme.example>"
    message["Subject"] = f"Mensagem {number}"
    message.set_content("Olá")
    return message


def test_messages_in_a_row_share_a_connection_and_one_the_server_dropped_is_replaced() -> None:
    inbox, port = Inbox(), free_port()
    mailer = SmtpMailer("127.0.0.1", port, timeout_s=10)
    with smtp_server(inbox, port):
        mailer.send(_mail(1))
        mailer.send(_mail(2))
    with smtp_server(inbox, port):  # the server restarted: the kept connection is gone
        mailer.send(_mail(3))
        mailer.close()  # nothing due: the connection is ended
        mailer.send(_mail(4))
        mailer.close()
    assert [m["Subject"] for m in inbox.accepted] == [f"Mensagem {n}" for n in (1, 2, 3, 4)]
    first, second, third, fourth = inbox.peers
    assert first == second
    assert len({first, third, fourth}) == 3


class Killed(BaseException):
    """The worker dying between the server's 250 and the record of it (a SIGKILL there)."""


def test_a_worker_killed_between_sending_and_marking_sends_a_recognisable_duplicate(
    stack: Stack,
) -> None:
    """The protocol's limit (sending/sender.py): SMTP cannot be asked whether a message
    was taken, so after the lease the message goes again, with the same Message-ID and
    idempotency key: the duplicate is recognisable (and mail systems drop it by that id)."""
    inbox = Inbox()
    with smtp_server(inbox) as server:
        service = notifications_on(stack, server.port, mail_lease_s=30)
        try:
            service.deliver(customer())
            service.deliver(order_confirmed())
            [notification_id] = queued_ids(service)
            real = smtp_mailer(service.service.settings)  # type: ignore[arg-type]

            class DiesAfterSending:
                def send(self, message: Message) -> str:
                    real.send(message)
                    raise Killed

                def close(self) -> None:
                    real.close()

            clock = Clock()
            dying = Sender(
                service.app,
                lambda now, limit: [Due(notification_id, "the order")],
                DiesAfterSending(),
                MadeUpDocuments(),
                MAIL_FROM,
                clock=clock,
            )
            with pytest.raises(Killed):
                dying.attempt(notification_id)
            assert len(inbox.accepted) == 1
            [row] = _log(service)
            assert (row["status"], row["attempts"]) == ("pending", 1)  # in flight, in doubt

            service.catch_up()
            log_view = service.service.view("notifications")
            fresh = Sender(
                service.app,
                lambda now, limit: log_view.list_due(now, service.app.lease, limit),  # type: ignore[attr-defined]
                real,
                MadeUpDocuments(),
                MAIL_FROM,
                clock=clock,
            )
            assert fresh.send_due() == 0  # the claim is not given up on before its lease
            clock.advance(31)
            assert fresh.send_due() == 1
            assert fresh.send_due() == 0
            [row] = _log(service)
            [sent] = service.published(NotificationSent)
        finally:
            service.close()
    first, second = inbox.accepted
    assert first["Message-ID"] == second["Message-ID"] == row["message_id"] == sent.message_id
    assert first["X-OMS-Idempotency-Key"] == second["X-OMS-Idempotency-Key"]
    assert (row["status"], row["attempts"]) == ("sent", 2)

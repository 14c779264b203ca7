"""The notifications use cases in memory: what each event queues, to whom, and how the
sender sends it (a mailer and documents of the test's own, a clock the test moves)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message

import pytest
from notifications_examples import (
    MAIL_FROM,
    Clock,
    MadeUpDocuments,
    RecordingMailer,
    attachment_names,
    customer,
    invoice_issued,
    invoice_stamped,
    notification,
    order_confirmed,
    order_placed,
    payment,
    product,
    queued,
    queued_ids,
    quote_created,
    quote_sent,
    rep_user,
    sales_rep,
    send_all,
    status_changed,
    stock_level,
    text_of,
)
from oms_contracts.notifications import NotificationFailed, NotificationSent
from oms_dev.inmemory import ServiceInMemory
from oms_notifications.application import Cause
from oms_notifications.bootstrap import bootstrap
from oms_notifications.domain.document_settings import Delivery
from oms_notifications.domain.errors import UnknownProduct
from oms_notifications.rendering import Text
from oms_notifications.sending.sender import Due, PermanentMailError, Sender, TemporaryMailError

BASE_S, CAP_S, LEASE_S = 2.0, 30.0, 60.0


@dataclass
class World:
    service: ServiceInMemory
    mailer: RecordingMailer
    documents: MadeUpDocuments
    clock: Clock
    sender: Sender

    def send_all(self) -> list[str | None]:
        return send_all(self.service, self.sender)


@pytest.fixture
def world() -> Iterator[World]:
    service = ServiceInMemory(
        bootstrap,
        mail_retry_base_s=BASE_S,
        mail_retry_cap_s=CAP_S,
        mail_lease_s=LEASE_S,
        mail_from=MAIL_FROM,
        company_name="Fábrica Exemplo",
    )
    mailer, documents, clock = RecordingMailer(), MadeUpDocuments(), Clock()
    sender = Sender(service.app, lambda now, limit: [], mailer, documents, MAIL_FROM, clock=clock)
    yield World(service, mailer, documents, clock, sender)
    service.close()


def test_an_event_delivered_twice_queues_and_sends_one_message(world: World) -> None:
    world.service.deliver(customer(language="en"))
    for position in (10, 11):  # the same event, redelivered (or republished)
        outcome = world.service.deliver(
            order_confirmed(), position=position, aggregate_id="order-agg", aggregate_version=3
        )
        assert outcome.status == "applied"
    assert len(queued(world.service)) == 1
    assert world.send_all() == ["sent"]
    assert world.send_all() == [None]  # sent: not due any more
    [message] = world.mailer.sent
    assert message["To"].addresses[0].addr_spec == "buyer@acme.example"
    assert message["Subject"] == "Order o-1 confirmed"
    assert "R$1,234.50" in text_of(message)
    assert message["X-OMS-Idempotency-Key"] == "order_confirmed:o-1:orders:order-agg:3:customer"
    [sent] = world.service.published(NotificationSent)
    assert sent.message_id == message["Message-ID"]
    assert (sent.document_type, sent.document_id, sent.customer_id) == (
        "order_confirmed",
        "o-1",
        "cust-1",
    )
    assert (sent.recipient, sent.attempts) == ("buyer@acme.example", 1)


def test_a_disabled_document_type_sends_nothing(world: World) -> None:
    world.service.app.change_delivery("order_confirmed", Delivery(False, True, False), "backoffice")
    world.service.deliver(customer())
    world.service.deliver(order_confirmed())
    assert queued(world.service) == []
    # Other types are still sent.
    world.service.deliver(invoice_issued())
    world.service.deliver(invoice_stamped())
    assert [event.document_type for event in queued(world.service)] == ["invoice_stamped"]


def test_copies_go_to_the_cc_addresses_in_the_customers_language(world: World) -> None:
    world.service.app.change_delivery(
        "invoice_stamped",
        Delivery(True, True, False, ("finance@acme.example", "audit@oms.example")),
        "backoffice",
    )
    world.service.deliver(customer(language="de"))
    world.service.deliver(invoice_issued())
    world.service.deliver(invoice_stamped())
    assert sorted(event.audience for event in queued(world.service)) == [
        "cc:audit@oms.example",
        "cc:finance@acme.example",
        "customer",
    ]
    assert world.send_all() == ["sent", "sent", "sent"]
    recipients = {m["To"].addresses[0].addr_spec: m for m in world.mailer.sent}
    assert set(recipients) == {"buyer@acme.example", "finance@acme.example", "audit@oms.example"}
    for message in world.mailer.sent:
        assert message["Subject"] == "Rechnung A-000001"
        assert attachment_names(message) == ["A-000001.pdf", "A-000001.xml"]
    # Each copy is a message of its own.
    assert len({m["Message-ID"] for m in world.mailer.sent}) == 3


def test_the_sales_rep_gets_a_copy_in_his_own_language(world: World) -> None:
    world.service.app.change_delivery("payment_received", Delivery(True, True, True), "backoffice")
    world.service.deliver(sales_rep())
    world.service.deliver(rep_user(language="es"))
    world.service.deliver(customer(language="pl", sales_rep_id="rep-1"))
    world.service.deliver(invoice_issued())
    world.service.deliver(payment())
    assert world.send_all() == ["sent", "sent"]
    by_recipient = {m["To"].addresses[0].addr_spec: m for m in world.mailer.sent}
    rep_mail = by_recipient["rita@oms.example"]
    assert rep_mail["Content-Language"] == "es"
    assert "A-000001" in rep_mail["Subject"]
    assert "Rita Rep" in text_of(rep_mail)
    customer_mail = by_recipient["buyer@acme.example"]
    assert customer_mail["Content-Language"] == "pl"
    assert "500,00\xa0R$" in text_of(customer_mail)


def test_a_customer_without_a_rep_gets_no_rep_copy(world: World) -> None:
    world.service.app.change_delivery("order_confirmed", Delivery(True, True, True), "bo")
    world.service.deliver(customer(sales_rep_id=None))
    world.service.deliver(order_confirmed())
    assert [event.audience for event in queued(world.service)] == ["customer"]


def test_the_quote_goes_to_whoever_asked_with_the_proposal(world: World) -> None:
    world.service.deliver(customer(language="es"))
    world.service.deliver(quote_created())
    world.service.deliver(quote_sent(email="compras@acme.example"))
    assert world.send_all() == ["sent"]
    [message] = world.mailer.sent
    assert message["To"].addresses[0].addr_spec == "compras@acme.example"
    assert attachment_names(message) == ["proposal-q-1.pdf"]
    assert world.documents.fetched == [("proposal_pdf", "q-1")]
    assert "31 de enero de 2030" in text_of(message)


def test_documents_are_not_attached_when_the_settings_say_so(world: World) -> None:
    world.service.app.change_delivery(
        "quote_sent", Delivery(True, True, False, attach_documents=False), "bo"
    )
    world.service.deliver(customer())
    world.service.deliver(quote_created())
    world.service.deliver(quote_sent())
    assert world.send_all() == ["sent"]
    assert attachment_names(world.mailer.sent[0]) == []
    assert world.documents.fetched == []


def test_a_confirmation_is_not_told_twice_by_the_status_change(world: World) -> None:
    world.service.deliver(customer())
    world.service.deliver(order_placed())
    world.service.deliver(status_changed(status="confirmed", previous="pending_approval"))
    world.service.deliver(status_changed(status="shipped", previous="confirmed"))
    [event] = queued(world.service)
    assert (event.document_type, event.customer_id) == ("order_status_changed", "cust-1")
    assert world.send_all() == ["sent"]
    [message] = world.mailer.sent
    assert message["Subject"] == "Pedido o-1: Enviado"
    assert "Confirmado" in text_of(message)


class MeetingMailer(RecordingMailer):
    """Sends only when ``parties`` messages are being sent at once (a barrier): serial
    sending times out (a temporary failure)."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(parties, timeout=10)
        self.lock = threading.Lock()

    def send(self, message: Message) -> str:
        self.barrier.wait()
        with self.lock:
            return super().send(message)


def test_messages_about_different_documents_go_out_together_and_about_one_in_order(
    world: World,
) -> None:
    world.service.deliver(customer(language="en"))
    orders = [f"o-{n}" for n in range(1, 5)]
    for order_id in orders:
        world.service.deliver(order_confirmed(order_id))
        world.service.deliver(status_changed(order_id, status="shipped", previous="confirmed"))
    mailer = MeetingMailer(parties=len(orders))
    sender = Sender(
        world.service.app,
        lambda now, limit: [Due(e.originator_id, e.document_id) for e in queued(world.service)],
        mailer,
        world.documents,
        MAIL_FROM,
        clock=world.clock,
        parallel=len(orders),
    )
    assert sender.send_due() == 2 * len(orders)
    kinds: dict[str, list[str]] = {}
    for message in mailer.sent:
        kind, order_id = str(message["X-OMS-Idempotency-Key"]).split(":")[:2]
        kinds.setdefault(order_id, []).append(kind)
    assert kinds == {o: ["order_confirmed", "order_status_changed"] for o in orders}


def test_resend_sends_again_as_a_new_message(world: World) -> None:
    world.service.deliver(customer())
    world.service.deliver(order_confirmed())
    assert world.send_all() == ["sent"]
    [notification_id] = queued_ids(world.service)
    resent = world.service.app.request_resend(str(notification_id), "backoffice", world.clock())
    assert resent.status == "pending"
    assert world.send_all() == ["sent"]
    first, second = world.mailer.sent
    assert first["Message-ID"] == f"<{notification_id}.1@oms.test>"
    assert second["Message-ID"] == f"<{notification_id}.2@oms.test>"
    assert first["X-OMS-Idempotency-Key"] == second["X-OMS-Idempotency-Key"]
    assert [event.attempts for event in world.service.published(NotificationSent)] == [1, 2]
    # A pending one is left as it is.
    world.service.deliver(order_confirmed(order_id="o-2"))
    pending = queued_ids(world.service)[-1]
    assert world.service.app.request_resend(str(pending), "bo", world.clock()).cycle == 1


def test_a_stock_alert_fires_once(world: World) -> None:
    world.service.deliver(sales_rep())
    world.service.deliver(product())
    alert = world.service.app.request_stock_alert(
        "SKU-1", "rep-1", "rita", world.clock(), check_rep=False
    )
    assert alert.status == "waiting"
    world.service.deliver(stock_level(available="0"), aggregate_id="stock-1", aggregate_version=1)
    assert queued(world.service) == []
    world.service.deliver(stock_level(available="5"), aggregate_id="stock-1", aggregate_version=2)
    world.service.deliver(stock_level(available="9"), aggregate_id="stock-1", aggregate_version=3)
    [event] = queued(world.service)
    assert (event.document_type, event.document_id, event.audience) == (
        "stock_available",
        str(alert.id),
        "sales_rep",
    )
    assert world.send_all() == ["sent"]
    [message] = world.mailer.sent
    assert message["To"].addresses[0].addr_spec == "rita@oms.example"
    assert "Parafuso M6" in message["Subject"]
    assert world.service.app.find(type(alert), alert.id).status == "notified"
    # An older level arriving late changes nothing.
    world.service.deliver(stock_level(available="1"), aggregate_id="stock-1", aggregate_version=1)
    assert len(queued(world.service)) == 1


def test_a_stock_alert_for_a_product_in_stock_fires_at_once(world: World) -> None:
    world.service.deliver(sales_rep())
    world.service.deliver(product())
    world.service.deliver(stock_level(available="3"), aggregate_id="stock-1", aggregate_version=4)
    alert = world.service.app.request_stock_alert(
        "SKU-1", "rep-1", "rita", world.clock(), check_rep=False
    )
    assert alert.status == "notified"
    [event] = queued(world.service)
    assert event.idempotency_key.endswith(":inventory:stock-1:4:sales_rep")
    with pytest.raises(UnknownProduct):
        world.service.app.request_stock_alert(
            "NOPE", "rep-1", "rita", world.clock(), check_rep=False
        )


def test_temporary_refusals_are_retried_on_a_doubling_schedule(world: World) -> None:
    world.mailer.refusals = [TemporaryMailError(f"451 4.3.0 try later ({n})") for n in range(6)]
    world.service.deliver(customer())
    world.service.deliver(order_confirmed())
    [notification_id] = queued_ids(world.service)
    waits = []
    for _ in range(6):
        before = world.clock()
        assert world.sender.attempt(notification_id) == "retrying"
        state = notification(world.service, notification_id)
        assert state.retry_at is not None
        waits.append((state.retry_at - before).total_seconds())
        # Not due a moment before its time.
        world.clock.advance(waits[-1] - 0.5)
        assert world.sender.attempt(notification_id) is None
        world.clock.advance(0.5)
    assert waits == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert world.sender.attempt(notification_id) == "sent"
    assert len(world.mailer.sent) == 1
    state = notification(world.service, notification_id)
    assert (state.status, state.attempts) == ("sent", 7)
    # Every attempt carried the same message.
    assert [entry["outcome"] for entry in state.history] == ["retrying"] * 6 + ["sent"]
    [sent] = world.service.published(NotificationSent)
    assert sent.attempts == 7


def test_a_permanent_refusal_fails_with_the_answer(world: World) -> None:
    world.mailer.refusals = [
        PermanentMailError("RCPT TO buyer@acme.example: 550 5.1.1 no such user")
    ]
    world.service.deliver(customer())
    world.service.deliver(order_confirmed())
    [notification_id] = queued_ids(world.service)
    assert world.sender.attempt(notification_id) == "failed"
    world.clock.advance(3600)
    assert world.sender.attempt(notification_id) is None  # never again by itself
    state = notification(world.service, notification_id)
    assert state.status == "failed"
    assert state.error is not None and "550 5.1.1 no such user" in state.error
    [failed] = world.service.published(NotificationFailed)
    assert "550" in failed.error and failed.recipient == "buyer@acme.example"
    assert world.service.published(NotificationSent) == []


def test_an_answer_after_another_sender_took_the_claim_over_records_nothing(
    world: World,
) -> None:
    world.service.deliver(customer())
    world.service.deliver(order_confirmed())
    [notification_id] = queued_ids(world.service)
    app = world.service.app
    slow = app.claim(notification_id, world.clock())  # a sender that then hangs
    assert slow is not None and slow.attempt == 1
    world.clock.advance(LEASE_S)  # its lease ran out: another sender claims and sends
    assert world.sender.attempt(notification_id) == "sent"

    # The slow sender's server answers at last: the outcome no longer applies.
    assert app.record_sent(slow, world.clock(), "250 late") is False
    assert app.record_attempt_failed(slow, "451 late", world.clock()) is False
    state = notification(world.service, notification_id)
    assert (state.status, state.attempts) == ("sent", 2)
    assert [entry["outcome"] for entry in state.history] == ["in_flight", "sent"]
    [sent] = world.service.published(NotificationSent)
    assert sent.attempts == 2


def test_an_unknown_recipient_waits_until_he_is_known(world: World) -> None:
    world.service.deliver(order_confirmed(customer_id="cust-late"))
    [notification_id] = queued_ids(world.service)
    assert world.sender.attempt(notification_id) is None
    state = notification(world.service, notification_id)
    assert state.status == "pending" and "not known yet" in (state.error or "")
    world.service.deliver(customer("cust-late", language="de"))
    world.clock.advance(BASE_S)
    assert world.sender.attempt(notification_id) == "sent"
    assert world.mailer.sent[0]["Content-Language"] == "de"


def test_a_template_that_fails_at_send_time_fails_the_notification(world: World) -> None:
    world.service.deliver(customer(language="en"))
    # Fine with the sample values it is tried with when saved; not with this customer's name.
    world.service.app.edit_template(
        "order_confirmed",
        "en",
        Text("Order {{ order_id }}", "{{ 100 // (customer_name | length - 9) }}"),
        "bo",
    )
    world.service.deliver(order_confirmed())
    [notification_id] = queued_ids(world.service)
    assert world.sender.attempt(notification_id) is None
    state = notification(world.service, notification_id)
    assert state.status == "failed" and "order_confirmed template in en" in (state.error or "")
    assert world.mailer.sent == []
    [failed] = world.service.published(NotificationFailed)
    assert failed.attempts == 0


def test_an_event_from_long_ago_is_not_mailed_about(world: World) -> None:
    """A first start reading the topics from their beginning mails no past document."""
    world.service.deliver(customer())
    long_ago = datetime.now(UTC) - timedelta(days=30)
    cause = Cause("orders", "order-agg", 3, long_ago)
    assert world.service.app.queue("order_confirmed", "o-1", cause, {}, customer_id="cust-1") == []
    recent = Cause("orders", "order-agg", 3, datetime.now(UTC) - timedelta(days=1))
    assert (
        len(world.service.app.queue("order_confirmed", "o-1", recent, {}, customer_id="cust-1"))
        == 1
    )


def test_a_name_over_several_lines_makes_one_header_line(world: World) -> None:
    world.service.deliver(customer(name="Acme\r\nBcc: victim@evil.example", language="en"))
    world.service.deliver(order_confirmed())
    assert world.send_all() == ["sent"]
    [message] = world.mailer.sent
    assert message["Bcc"] is None
    assert [a.addr_spec for a in message["To"].addresses] == ["buyer@acme.example"]

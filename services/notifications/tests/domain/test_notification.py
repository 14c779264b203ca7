"""The notification's life, on its own: claimed, retried, given up on after a lease, sent,
failed, resent; and what other services' records are kept, newest version first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oms_notifications.domain.customer import Customer
from oms_notifications.domain.directory import entry_id
from oms_notifications.domain.notification import (
    Message,
    Notification,
    backoff,
    idempotency_key,
    notification_id,
)
from oms_notifications.domain.order import Order

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def _message(cycle: int = 1) -> Message:
    return Message("a@b.example", "A", "en", "Subject", "Body", f"<n.{cycle}@oms.test>")


def _notification() -> Notification:
    key = idempotency_key("order_confirmed", "o-1", "orders", "agg", 3, "customer")
    return Notification(
        idempotency_key=key,
        document_type="order_confirmed",
        document_id="o-1",
        customer_id="c-1",
        sales_rep_id=None,
        audience="customer",
        address=None,
        facts={"order_id": "o-1"},
        attachments=[],
        queued_at=NOW,
    )


def test_the_id_comes_from_the_idempotency_key() -> None:
    key = idempotency_key("invoice_stamped", "i-1", "billing", "agg-9", 2, "cc:x@y.example")
    assert key == "invoice_stamped:i-1:billing:agg-9:2:cc:x@y.example"
    assert notification_id(key) == notification_id(key)
    assert _notification().id == _notification().id
    assert notification_id(key) != notification_id(key.replace(":2:", ":3:"))


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff(n, 2, 30).total_seconds() for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]


def test_a_claim_in_flight_is_due_again_only_after_the_lease() -> None:
    notification = _notification()
    assert notification.is_due(NOW, LEASE)
    assert notification.start_sending(NOW, _message()) == 1
    assert not notification.is_due(NOW + LEASE - timedelta(seconds=1), LEASE)
    assert notification.is_due(NOW + LEASE, LEASE)
    # The next claim sends the same message (no new one may be given).
    assert notification.start_sending(NOW + LEASE, Message("x", "", "de", "", "", "<other>")) == 2
    assert notification.message == _message()


def test_only_the_attempt_in_flight_may_fail_or_retry() -> None:
    notification = _notification()
    notification.start_sending(NOW, _message())
    notification.start_sending(NOW + LEASE, None)  # the first sender presumed dead
    assert not notification.attempt_failed(1, "451 later", NOW, 2, 30)
    assert not notification.fail(1, "550 no", NOW)
    assert notification.attempt_failed(2, "451 later", NOW + LEASE, 2, 30)
    assert notification.retry_at == NOW + LEASE + timedelta(seconds=4)  # the 2nd in the cycle


def test_a_late_success_of_an_earlier_attempt_still_counts() -> None:
    notification = _notification()
    notification.start_sending(NOW, _message())
    notification.start_sending(NOW + LEASE, None)
    assert notification.mark_sent(1, NOW + LEASE, "250 OK")
    assert notification.status == "sent"
    assert not notification.mark_sent(2, NOW + LEASE, "250 OK")  # once


def test_resend_starts_a_new_cycle() -> None:
    notification = _notification()
    assert not notification.request_resend("bo", NOW)  # pending: going out anyway
    notification.start_sending(NOW, _message())
    notification.mark_sent(1, NOW, "250 OK")
    assert notification.request_resend("bo", NOW)
    assert (notification.status, notification.cycle, notification.message) == ("pending", 2, None)
    assert notification.is_due(NOW, LEASE)
    notification.start_sending(NOW, _message(cycle=2))
    assert notification.message == _message(cycle=2)


def test_a_notification_rebuilt_from_its_events_is_the_same() -> None:
    notification = _notification()
    notification.start_sending(NOW, _message())
    notification.attempt_failed(1, "451", NOW, 2, 30)
    notification.start_sending(NOW + timedelta(seconds=2), None)
    notification.fail(2, "550", NOW)
    copy = None
    for event in notification.collect_events():
        copy = event.mutate(copy)
    assert copy is not None
    assert (copy.status, copy.attempts, copy.error, copy.history) == (
        "failed",
        2,
        "550",
        notification.history,
    )


def test_what_is_known_of_a_customer_follows_the_newest_version() -> None:
    customer = Customer(key="c-1")
    assert customer.learn({"name": "New", "email": "new@x.example"}, 3)
    assert not customer.learn({"name": "Old", "email": "old@x.example"}, 1)  # late, older
    assert customer.learn({"language": "de"}, 2)  # a field v3 did not tell
    assert (customer.name, customer.email, customer.language) == ("New", "new@x.example", "de")
    assert not customer.learn({"name": "New"}, 3)  # a repeat


def test_each_kind_of_record_has_an_id_and_events_of_its_own() -> None:
    """The customers' portfolio view follows Customer.Opened and Customer.Learnt: it must
    not be handed an order's events, nor an order be taken for a customer of the same key."""
    customer, order = Customer(key="k-1"), Order(key="k-1")
    assert customer.learn({"sales_rep_id": "r-1"}, 1)
    assert order.learn({"sales_rep_id": "r-1"}, 1)
    assert (customer.id, order.id) == (entry_id("customer", "k-1"), entry_id("order", "k-1"))
    assert (customer.customer_id, order.order_id) == ("k-1", "k-1")
    assert [type(event) for event in customer.collect_events()] == [
        Customer.Opened,
        Customer.Learnt,
    ]
    order_events = order.collect_events()
    assert [type(event) for event in order_events] == [Order.Opened, Order.Learnt]
    assert not any(isinstance(event, Customer.Opened | Customer.Learnt) for event in order_events)

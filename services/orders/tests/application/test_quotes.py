"""Quotes: drafted, revised, duplicated, sent, accepted (which places an order with origin
"quote"), rejected or expired; the rules naming their field, and the published events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from oms_contracts.orders import (
    OrderConfirmed,
    OrderPlaced,
    QuoteAccepted,
    QuoteCreated,
    QuoteExpired,
    QuoteRejected,
    QuoteRevised,
    QuoteSent,
)
from oms_dev.inmemory import ServiceInMemory
from oms_kit.domain import Conflict, InvalidInput, NotFound
from oms_orders.application import OrdersApplication
from oms_orders.domain.order import Order
from oms_orders.domain.pricing import LineRequest
from oms_orders.domain.quote import Quote

D = Decimal
TODAY = date(2025, 6, 1)

pytestmark = pytest.mark.usefixtures("catalogue")


def one(
    sku: str = "SKU-1", quantity: str = "1", discount_percent: Decimal | None = None
) -> list[LineRequest]:
    return [LineRequest(sku=sku, quantity=D(quantity), discount_percent=discount_percent)]


def test_a_quote_is_drafted_revised_sent_and_accepted_into_an_order(
    orders: ServiceInMemory, app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    customer_id = new_customer()
    quote = app.create_quote(
        customer_id=customer_id,
        lines=one(quantity="2", discount_percent=D(10)),
        valid_until=TODAY + timedelta(days=30),
        today=TODAY,
    )
    assert (quote.status, quote.total, quote.revision) == ("draft", D("21.78"), 1)
    revised = app.revise_quote(quote.quote_id, one(quantity="3"))
    assert (revised.revision, revised.total) == (2, D("36.30"))
    assert app.send_quote(quote.quote_id, today=TODAY).status == "sent"
    accepted, order = app.accept_quote(quote.quote_id, today=TODAY)
    assert (accepted.status, accepted.order_id) == ("accepted", order.order_id)
    placed = app.get(Order, order.order_id, field="order_id")
    assert (placed.origin, placed.quote_id, placed.status, placed.total) == (
        "quote",
        quote.quote_id,
        "confirmed",
        D("36.30"),
    )
    with pytest.raises(Conflict) as again:
        app.accept_quote(quote.quote_id, today=TODAY)
    assert again.value.field == "status"

    [created] = orders.published(QuoteCreated)
    assert (created.quote_id, created.customer_id, created.total, created.valid_until) == (
        quote.quote_id,
        customer_id,
        D("21.78"),
        TODAY + timedelta(days=30),
    )
    assert [(e.revision, e.total) for e in orders.published(QuoteRevised)] == [(2, D("36.30"))]
    assert [(e.quote_id, e.email) for e in orders.published(QuoteSent)] == [
        (quote.quote_id, "ana@example.com")
    ]
    assert [e.order_id for e in orders.published(QuoteAccepted)] == [order.order_id]
    assert [(e.order_id, e.origin, e.quote_id) for e in orders.published(OrderPlaced)] == [
        (order.order_id, "quote", quote.quote_id)
    ]
    assert [e.order_id for e in orders.published(OrderConfirmed)] == [order.order_id]


def test_the_same_idempotency_key_again_returns_the_first_quote_and_drafts_nothing(
    orders: ServiceInMemory, app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    customer_id = new_customer()
    first = app.create_quote(
        customer_id=customer_id, lines=one(quantity="2"), today=TODAY, idempotency_key="form-1"
    )
    again = app.create_quote(
        customer_id=customer_id, lines=one(quantity="3"), today=TODAY, idempotency_key="form-1"
    )
    assert (again.quote_id, again.lines) == (first.quote_id, first.lines)
    assert app.idempotent_quote("form-1") is not None
    assert app.idempotent_quote("never-used") is None
    other = app.create_quote(
        customer_id=customer_id, lines=one(), today=TODAY, idempotency_key="form-2"
    )
    assert other.quote_id != first.quote_id
    # the same key placing an order is another request
    order = app.place_order(customer_id=customer_id, lines=one(), idempotency_key="form-1")
    assert order.order_id != first.quote_id
    assert sorted(e.quote_id for e in orders.published(QuoteCreated)) == sorted(
        [first.quote_id, other.quote_id]
    )


def test_duplicate_reject_and_expire(
    orders: ServiceInMemory, app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    quote = app.create_quote(customer_id=new_customer(), lines=one(), today=TODAY)
    copy = app.duplicate_quote(quote.quote_id, today=TODAY)
    assert copy.quote_id != quote.quote_id
    assert (copy.status, copy.duplicated_from, copy.lines) == ("draft", quote.quote_id, quote.lines)
    rejected = app.reject_quote(quote.quote_id, "too expensive")
    assert (rejected.status, rejected.status_reason) == ("rejected", "too expensive")
    with pytest.raises(Conflict):
        app.send_quote(quote.quote_id, today=TODAY)
    assert app.expire_quote(copy.quote_id).status == "expired"
    with pytest.raises(Conflict):
        app.accept_quote(copy.quote_id, today=TODAY)
    assert [(e.quote_id, e.reason) for e in orders.published(QuoteRejected)] == [
        (quote.quote_id, "too expensive")
    ]
    assert [e.quote_id for e in orders.published(QuoteExpired)] == [copy.quote_id]
    assert orders.published(OrderPlaced) == []


def test_bad_quotes_are_refused_naming_the_field(
    app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    customer_id = new_customer()
    with pytest.raises(InvalidInput) as past:
        app.create_quote(
            customer_id=customer_id, lines=one(), valid_until=date(2000, 1, 1), today=TODAY
        )
    assert past.value.field == "valid_until"
    with pytest.raises(InvalidInput) as unknown:
        app.create_quote(customer_id=customer_id, lines=one("NOPE"), today=TODAY)
    assert unknown.value.field == "lines.0.sku"
    with pytest.raises(InvalidInput) as nobody:
        app.create_quote(customer_id="nobody", lines=one(), today=TODAY)
    assert nobody.value.field == "customer_id"
    with pytest.raises(NotFound) as missing:
        app.send_quote("nope", today=TODAY)
    assert missing.value.field == "quote_id"


def test_a_quote_past_its_validity_expires_when_sent_or_accepted(
    orders: ServiceInMemory, app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    quote = app.create_quote(
        customer_id=new_customer(), lines=one(), valid_until=TODAY, today=TODAY
    )
    later = TODAY + timedelta(days=1)
    with pytest.raises(Conflict, match="expired") as refused:
        app.send_quote(quote.quote_id, today=later)
    assert refused.value.field == "valid_until"
    assert app.get(Quote, quote.quote_id, field="quote_id").status == "expired"
    assert [e.quote_id for e in orders.published(QuoteExpired)] == [quote.quote_id]
    with pytest.raises(Conflict):
        app.accept_quote(quote.quote_id, today=later)
    assert orders.published(OrderPlaced) == []

"""Orders: placement (confirmed, waiting for approval, held for credit), the rules that
refuse an order naming the field, the Idempotency-Key, approval and cancellation, the
history with its actors, and the public events each publishes."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from oms_contracts.orders import (
    OrderApproved,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    OrderPutOnHold,
)
from oms_dev.inmemory import ServiceInMemory
from oms_kit.context import metadata_scope
from oms_kit.domain import Conflict, InvalidInput, NotFound
from oms_orders.application import OrdersApplication
from oms_orders.domain.errors import CreditLimitExceeded
from oms_orders.domain.order import Order
from oms_orders.domain.pricing import LineRequest

D = Decimal

pytestmark = pytest.mark.usefixtures("catalogue")


def lines(
    *pairs: tuple[str, str],
    discount_percent: Decimal | None = None,
    discount_amount: Decimal | None = None,
) -> list[LineRequest]:
    return [
        LineRequest(
            sku=sku,
            quantity=D(quantity),
            discount_percent=discount_percent,
            discount_amount=discount_amount,
        )
        for sku, quantity in pairs
    ]


def test_a_backoffice_order_within_credit_is_confirmed_and_published(
    orders: ServiceInMemory, app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    customer_id = new_customer()
    order = app.place_order(customer_id=customer_id, lines=lines(("SKU-1", "10"), ("SKU-2", "2")))
    assert (order.status, order.total) == ("confirmed", D("145.20"))
    [placed] = orders.published(OrderPlaced)
    assert (placed.order_id, placed.status, placed.origin) == (
        order.order_id,
        "confirmed",
        "backoffice",
    )
    assert (placed.net_total, placed.tax_total, placed.total) == (
        D("120.00"),
        D("25.20"),
        D("145.20"),
    )
    [confirmed] = orders.published(OrderConfirmed)
    assert (confirmed.order_id, confirmed.customer_id, confirmed.currency) == (
        order.order_id,
        customer_id,
        "EUR",
    )
    assert (confirmed.total, confirmed.payment_terms_days) == (D("145.20"), [30, 60])
    assert [(ln.sku, ln.quantity, ln.net_amount) for ln in confirmed.lines] == [
        ("SKU-1", D(10), D("100.00")),
        ("SKU-2", D(2), D("20.00")),
    ]


@pytest.mark.parametrize("origin", ["rep", "portal", "marketplace", "partner"])
def test_an_order_from_outside_waits_for_approval_unconfirmed(
    orders: ServiceInMemory, app: OrdersApplication, new_customer: Callable[..., str], origin: str
) -> None:
    order = app.place_order(customer_id=new_customer(), lines=lines(("SKU-1", "1")), origin=origin)
    assert order.status == "pending_approval"
    assert [p.status for p in orders.published(OrderPlaced)] == ["pending_approval"]
    assert orders.published(OrderConfirmed) == []


def test_an_order_past_the_credit_limit_is_held_naming_credit(
    orders: ServiceInMemory, app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    order = app.place_order(
        customer_id=new_customer(credit_limit="100.00"), lines=lines(("SKU-1", "9"))
    )
    assert order.status == "on_hold"
    reason = "credit limit exceeded: open balance 0.00 + order 108.90 > limit 100.00"
    assert order.status_reason == reason
    assert [(e.order_id, e.reason) for e in orders.published(OrderPutOnHold)] == [
        (order.order_id, reason)
    ]
    assert orders.published(OrderConfirmed) == []


def test_an_order_keeps_the_id_it_has_where_it_came_from(
    app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    order = app.place_order(
        customer_id=new_customer(),
        lines=lines(("SKU-1", "1")),
        origin="marketplace",
        external_order_id="AMZ-114-1",
    )
    assert app.get(Order, order.order_id, field="order_id").external_order_id == "AMZ-114-1"


def test_bad_orders_are_refused_naming_the_field(
    app: OrdersApplication, new_customer: Callable[..., str], stored_events: Callable[[], int]
) -> None:
    customer_id = new_customer()
    before = stored_events()

    def refused(**order: object) -> str | None:
        with pytest.raises(InvalidInput) as error:
            app.place_order(**{"customer_id": customer_id, **order})  # type: ignore[arg-type]
        return error.value.field

    assert refused(customer_id="nobody", lines=lines(("SKU-1", "1"))) == "customer_id"
    assert refused(lines=lines(("SKU-1", "1"), ("NOPE", "1"))) == "lines.1.sku"
    assert refused(lines=lines(("SKU-1", "0"))) == "lines.0.quantity"
    assert refused(lines=lines(("SKU-USD", "1"))) == "lines.0.sku"
    both = lines(("SKU-1", "1"), discount_percent=D(5), discount_amount=D(1))
    assert refused(lines=both) == "lines.0.discount_amount"
    assert refused(lines=lines(("SKU-1", "1")), origin="fax") == "origin"
    assert refused(lines=[]) == "lines"
    assert stored_events() == before


def test_the_same_idempotency_key_again_returns_the_first_order_and_places_nothing(
    orders: ServiceInMemory, app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    customer_id = new_customer()
    first = app.place_order(
        customer_id=customer_id, lines=lines(("SKU-1", "2")), idempotency_key="retry-1"
    )
    again = app.place_order(
        customer_id=customer_id, lines=lines(("SKU-1", "2")), idempotency_key="retry-1"
    )
    assert again.order_id == first.order_id
    assert app.idempotent_order("retry-1") is not None
    assert app.idempotent_order("never-used") is None
    other = app.place_order(
        customer_id=customer_id, lines=lines(("SKU-1", "2")), idempotency_key="retry-2"
    )
    assert other.order_id != first.order_id
    assert sorted(p.order_id for p in orders.published(OrderPlaced)) == sorted(
        [first.order_id, other.order_id]
    )


def test_approval_confirms_once_and_cancel_works_until_it_cannot(
    orders: ServiceInMemory, app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    pending = app.place_order(customer_id=new_customer(), lines=lines(("SKU-1", "1")), origin="rep")
    approved = app.approve_order(pending.order_id, approved_by="maria")
    assert approved.status == "confirmed"
    assert [(e.order_id, e.approved_by) for e in orders.published(OrderApproved)] == [
        (pending.order_id, "maria")
    ]
    assert [e.order_id for e in orders.published(OrderConfirmed)] == [pending.order_id]
    with pytest.raises(Conflict) as twice:
        app.approve_order(pending.order_id)
    assert twice.value.field == "status"

    assert app.cancel_order(pending.order_id, "customer asked").status == "cancelled"
    assert [(e.order_id, e.reason) for e in orders.published(OrderCancelled)] == [
        (pending.order_id, "customer asked")
    ]
    with pytest.raises(Conflict) as again:
        app.cancel_order(pending.order_id, "again")
    assert again.value.field == "status"
    for command in (app.approve_order, lambda order_id: app.cancel_order(order_id, "x")):
        with pytest.raises(NotFound) as missing:
            command("nope")
        assert missing.value.field == "order_id"


def test_approving_a_credit_hold_still_over_the_limit_names_credit_until_the_limit_rises(
    app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    customer_id = new_customer(credit_limit="10.00")
    held = app.place_order(customer_id=customer_id, lines=lines(("SKU-1", "1")))  # 12.10
    assert held.status == "on_hold"
    with pytest.raises(CreditLimitExceeded) as refused:
        app.approve_order(held.order_id)
    assert (refused.value.field, refused.value.status) == ("credit", 409)
    assert "credit limit exceeded" in refused.value.message
    app.update_customer(customer_id, credit_limit=D("20.00"))
    assert app.approve_order(held.order_id).status == "confirmed"


def test_the_history_lists_every_change_with_its_actor(
    app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    customer_id = new_customer()
    with metadata_scope(actor="rep:joao"):
        order = app.place_order(customer_id=customer_id, lines=lines(("SKU-1", "1")), origin="rep")
    with metadata_scope(actor="backoffice:maria"):
        app.approve_order(order.order_id, approved_by="backoffice:maria")
    with metadata_scope(actor="bo:li"):
        app.cancel_order(order.order_id, "duplicate")
    history = app.order_history(order.order_id)
    assert [(h.event_type, h.actor) for h in history] == [
        ("OrderPlaced", "rep:joao"),
        ("OrderApproved", "backoffice:maria"),
        ("OrderConfirmed", "backoffice:maria"),
        ("OrderCancelled", "bo:li"),
    ]
    assert (history[0].data["total"], history[0].data["status"]) == ("12.10", "pending_approval")
    assert history[0].data["lines"][0]["quantity"] == "1"
    assert history[3].data["reason"] == "duplicate"
    assert [h.occurred_at for h in history] == sorted(h.occurred_at for h in history)
    with pytest.raises(NotFound) as missing:
        app.order_history("nope")
    assert missing.value.field == "order_id"

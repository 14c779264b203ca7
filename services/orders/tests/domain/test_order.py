"""The Order aggregate, given/when/then, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from oms_kit.domain import Conflict, InvalidInput, NotFound
from oms_orders.domain.customer import Customer
from oms_orders.domain.errors import CreditLimitExceeded
from oms_orders.domain.order import Order
from oms_orders.domain.pricing import CatalogueEntry, LineRequest, price_line

D = Decimal
WIDGET = CatalogueEntry(sku="SKU-1", unit_price=D("10.00"), currency="EUR", tax_rate=D("0.21"))
GADGET = CatalogueEntry(sku="SKU-2", unit_price=D("5.00"), currency="EUR", tax_rate=D("0.10"))


def customer(limit: str = "1000.00", balance: str | None = None) -> Customer:
    c = Customer(
        name="Ana",
        tax_id="T-1",
        email="ana@example.com",
        credit_limit=D(limit),
        currency="EUR",
        payment_terms_days=[30, 60],
        sales_rep_id="rep-1",
        language="es",
    )
    if balance:
        c.record_receivable("r-1", D(balance))
    return c


def lines(*requests: tuple[CatalogueEntry, str]) -> list[dict[str, Any]]:
    return [
        price_line(i, LineRequest(sku=p.sku, quantity=D(q)), p, "EUR")
        for i, (p, q) in enumerate(requests)
    ]


def names(order: Order) -> list[str]:
    """The new events' names, less the OrderStatusChanged that follows each change of
    status (checked on their own, below)."""
    return [
        type(e).__name__
        for e in order.collect_events()
        if not isinstance(e, Order.OrderStatusChanged)
    ]


def replayed(order: Order) -> Order:
    """The order rebuilt from its events: the state must not depend on the commands."""
    copy: Any = None
    for e in order.collect_events():
        copy = e.mutate(copy)
    assert isinstance(copy, Order)
    return copy


def confirmed_order(*requests: tuple[CatalogueEntry, str]) -> Order:
    order = Order.place(customer(), lines(*requests or ((WIDGET, "10"),)))
    order.collect_events()
    return order


def test_backoffice_order_within_credit_is_placed_and_confirmed() -> None:
    order = Order.place(customer(), lines((WIDGET, "3"), (GADGET, "2")))
    assert order.status == "confirmed"
    assert order.net_total == D("40.00")
    assert order.tax_total == D("7.30")  # 30 * 0.21 + 10 * 0.10
    assert order.total == D("47.30")
    assert names(order) == ["OrderPlaced", "OrderConfirmed"]


@pytest.mark.parametrize("origin", ["rep", "portal", "marketplace", "partner"])
def test_orders_from_outside_wait_for_approval(origin: str) -> None:
    order = Order.place(customer(), lines((WIDGET, "1")), origin=origin)
    assert order.status == "pending_approval"
    assert names(order) == ["OrderPlaced"]


def test_an_order_past_the_credit_limit_is_held_naming_credit() -> None:
    order = Order.place(customer(limit="100.00", balance="80.00"), lines((WIDGET, "4")))
    assert order.status == "on_hold"
    assert order.status_reason == (
        "credit limit exceeded: open balance 80.00 + order 48.40 > limit 100.00"
    )
    assert names(order) == ["OrderPlaced", "OrderPutOnHold"]


def test_an_unknown_origin_is_refused_naming_origin() -> None:
    with pytest.raises(InvalidInput) as err:
        Order.place(customer(), lines((WIDGET, "1")), origin="fax")
    assert err.value.field == "origin"


def test_line_discounts_in_percent_or_amount_round_half_up() -> None:
    percent = price_line(
        0,
        LineRequest(sku="SKU-1", quantity=D("3"), unit_price=D("3.35"), discount_percent=D("10")),
        WIDGET,
        "EUR",
    )
    amount = price_line(
        1, LineRequest(sku="SKU-1", quantity=D("2"), discount_amount=D("0.50")), WIDGET, "EUR"
    )
    assert percent["net_amount"] == D("9.05")  # 10.05 - 1.005 = 9.045 -> 9.05
    assert percent["tax_amount"] == D("1.90")  # 9.05 * 0.21 = 1.9005
    assert amount["net_amount"] == D("19.50")


def test_a_line_with_both_discounts_or_another_currency_is_refused_naming_the_line() -> None:
    both = LineRequest(
        sku="SKU-1", quantity=D("1"), discount_percent=D("5"), discount_amount=D("1")
    )
    with pytest.raises(InvalidInput) as err:
        price_line(2, both, WIDGET, "EUR")
    assert err.value.field == "lines.2.discount_amount"
    with pytest.raises(InvalidInput) as err:
        price_line(0, LineRequest(sku="SKU-1", quantity=D("1")), WIDGET, "USD")
    assert err.value.field == "lines.0.sku"


def test_approval_rechecks_credit_then_confirms() -> None:
    buyer = customer(limit="100.00", balance="80.00")
    order = Order.place(buyer, lines((WIDGET, "4")), origin="rep")
    order.collect_events()
    with pytest.raises(CreditLimitExceeded, match="credit limit exceeded"):
        order.approve(buyer, "boss")
    buyer.record_payment("p-1", D("80.00"))
    order.approve(buyer, "boss")
    assert order.status == "confirmed"
    assert order.approved_by == "boss"
    events = [e for e in order.collect_events() if not isinstance(e, Order.OrderStatusChanged)]
    assert [type(e).__name__ for e in events] == ["OrderApproved", "OrderConfirmed"]
    assert isinstance(events[1], Order.OrderConfirmed)
    assert events[1].payment_terms_days == [30, 60]


def test_approving_a_confirmed_order_is_a_conflict() -> None:
    order = confirmed_order()
    with pytest.raises(Conflict):
        order.approve(customer(), "boss")


def test_stock_shortage_holds_the_order_naming_stock() -> None:
    order = confirmed_order()
    order.report_shortage("SKU-1", D("10"), D("3"))
    assert order.status == "on_hold"
    assert order.status_reason == "stock shortage: SKU-1 requested 10, available 3"


def test_shipments_then_invoices_then_payments_complete_the_order() -> None:
    # total 121.00 + 11.00 = 132.00; its events are kept to rebuild it at the end
    order = Order.place(customer(), lines((WIDGET, "10"), (GADGET, "2")))
    order.record_reservation([{"sku": "SKU-1", "quantity": D("10"), "warehouse": "W", "lot": "L"}])
    assert order.status == "confirmed"
    order.record_shipment(
        "gi-1", [{"sku": "SKU-1", "quantity": D("4"), "warehouse": "W", "lot": "L"}]
    )
    assert order.status == "partially_shipped"
    order.record_shipment(
        "gi-1", [{"sku": "SKU-1", "quantity": D("4"), "warehouse": "W", "lot": "L"}]
    )
    assert len(order.shipments) == 1  # the same goods issue again changes nothing
    order.record_shipment(
        "gi-2",
        [
            {"sku": "SKU-1", "quantity": D("6"), "warehouse": "W", "lot": "L"},
            {"sku": "SKU-2", "quantity": D("2"), "warehouse": "W", "lot": "L"},
        ],
    )
    assert order.status == "shipped"
    order.record_invoice("inv-1", "F-1", D("100.00"))
    assert order.status == "partially_invoiced"
    order.record_stamp("inv-1", "uuid-1", datetime(2025, 1, 2, tzinfo=UTC))
    order.record_invoice("inv-2", "F-2", D("32.00"))
    assert order.status == "invoiced"
    order.record_payment("p-1", "inv-1", D("100.00"))
    assert order.status == "invoiced"
    order.record_payment("p-2", "inv-2", D("32.00"))
    assert order.status == "completed"
    assert order.completed_at is not None
    copy = replayed(order)
    assert copy.status == "completed"
    assert copy.invoices[0]["stamp"]["uuid"] == "uuid-1"
    assert copy.paid_amount == D("132.00")


def test_invoice_paid_marks_the_invoice_and_a_paid_unshipped_order_is_paid() -> None:
    order = confirmed_order()  # 121.00
    order.record_invoice("inv-1", "F-1", D("121.00"))
    order.mark_invoice_paid("inv-1")
    assert order.invoices[0]["status"] == "paid"
    assert order.status == "paid"
    events = [type(e).__name__ for e in order.collect_events()]
    assert "OrderCompleted" not in events


def test_cancel_until_invoiced() -> None:
    order = confirmed_order()
    order.cancel("customer changed mind", customer())
    assert order.status == "cancelled"
    with pytest.raises(Conflict):
        order.cancel("again", customer())
    invoiced = confirmed_order()
    invoiced.record_invoice("inv-1", "F-1", D("50.00"))
    with pytest.raises(Conflict, match="invoices"):
        invoiced.cancel("too late", customer())


def test_orders_that_passed_the_credit_check_count_until_invoiced_or_cancelled() -> None:
    """Credit used = open receivables + orders that passed the check, less what is
    invoiced of them; a placement on hold for credit takes none, a cancellation gives
    its amount back, a receivable moves it from unbilled to open."""
    buyer = customer(limit="300.00")
    first = Order.place(buyer, lines((WIDGET, "10")))  # 10 x 10.00 + 21 % = 121.00
    second = Order.place(buyer, lines((WIDGET, "10")), origin="rep")  # pending, 121.00
    assert (first.status, second.status) == ("confirmed", "pending_approval")
    assert buyer.unbilled_orders == D("242.00")
    third = Order.place(buyer, lines((WIDGET, "5")))  # 60.50: 242.00 + 60.50 > 300.00
    assert third.status == "on_hold"
    assert third.status_reason == (
        "credit limit exceeded: open balance 0.00 + unbilled orders 242.00 + order 60.50 "
        "> limit 300.00"
    )
    assert buyer.unbilled_orders == D("242.00")
    # Approving the pending order checks its own amount once, not twice.
    second.approve(buyer, "boss")
    assert second.status == "confirmed" and buyer.unbilled_orders == D("242.00")
    # Half of the first invoiced: 60.50 moves from unbilled to open.
    buyer.record_receivable("r-1", D("60.50"), first.order_id)
    assert (buyer.open_balance, buyer.unbilled_orders) == (D("60.50"), D("242.00") - D("60.50"))
    with pytest.raises(CreditLimitExceeded):
        third.approve(buyer, "boss")
    second.cancel("not needed", buyer)
    assert buyer.unbilled_orders == D("60.50")
    third.approve(buyer, "boss")  # 60.50 + 60.50 + 60.50 <= 300.00
    assert buyer.unbilled_orders == D("121.00")
    # The rest of the first invoiced, and more than its rest: nothing below zero.
    buyer.record_receivable("r-2", D("70.00"), first.order_id)
    assert (buyer.open_balance, buyer.unbilled_orders) == (D("130.50"), D("60.50"))
    assert set(buyer.unbilled) == {third.order_id}
    rebuilt: Any = None
    for e in buyer.collect_events():
        rebuilt = e.mutate(rebuilt)
    assert (rebuilt.unbilled, rebuilt.open_balance) == (buyer.unbilled, buyer.open_balance)


def test_a_stamp_or_payment_of_an_unknown_invoice_cannot_be_applied_naming_it() -> None:
    order = confirmed_order()
    with pytest.raises(NotFound) as err:
        order.record_stamp("inv-9", "u", datetime(2025, 1, 1, tzinfo=UTC))
    assert err.value.field == "invoice_id"
    with pytest.raises(NotFound) as err:
        order.mark_invoice_paid("inv-9")
    assert err.value.field == "invoice_id"
    assert order.collect_events() == []

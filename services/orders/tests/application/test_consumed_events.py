"""Inventory's and billing's events, fed through the exactly-once consumer path: the order
status follows stock, shipments, invoices and payments; the customer's open balance
follows receivables and payments; repeats change nothing; events about unknown orders
are ignored; an event that comes before what it refers to is dead-lettered and applies
when redriven."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from oms_contracts.billing import (
    CreditNoteIssued,
    Installment,
    InvoiceCancelled,
    InvoiceIssued,
    InvoicePaid,
    InvoiceStamped,
    PaymentReceived,
    ReceivableOpened,
)
from oms_contracts.inventory import (
    GoodsIssued,
    LotQuantity,
    Parcel,
    ShipmentCreated,
    StockReserved,
    StockShortage,
)
from oms_contracts.orders import OrderCompleted, OrderPutOnHold
from oms_dev.inmemory import ServiceInMemory
from oms_orders.application import OrdersApplication
from oms_orders.domain.customer import Customer
from oms_orders.domain.order import Order
from oms_orders.domain.pricing import LineRequest
from oms_orders.integration.inbound import inbound

D = Decimal
STAMPED_AT = datetime(2025, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def placed(
    catalogue: None, app: OrdersApplication, new_customer: Callable[..., str]
) -> tuple[str, str]:
    """(customer id, order id): a confirmed order of 10 x SKU-1 and 2 x SKU-2, 145.20."""
    customer_id = new_customer()
    order = app.place_order(
        customer_id=customer_id,
        lines=[LineRequest(sku="SKU-1", quantity=D(10)), LineRequest(sku="SKU-2", quantity=D(2))],
    )
    assert (order.status, order.total) == ("confirmed", D("145.20"))
    return customer_id, order.order_id


def lots(*pairs: tuple[str, int]) -> list[LotQuantity]:
    return [LotQuantity(sku=s, quantity=D(q), warehouse="MAD", lot="L1") for s, q in pairs]


def invoice(order_id: str, customer_id: str, n: int, total: str) -> InvoiceIssued:
    return InvoiceIssued(
        invoice_id=f"inv-{n}",
        number=f"F-2025-{n}",
        order_id=order_id,
        customer_id=customer_id,
        currency="EUR",
        lines=[],
        net_total=D(total),
        tax_total=D(0),
        total=D(total),
    )


def stamp(order_id: str, n: int) -> InvoiceStamped:
    return InvoiceStamped(
        invoice_id=f"inv-{n}",
        order_id=order_id,
        number=f"F-2025-{n}",
        stamp_uuid=f"cfdi-{n}",
        stamped_at=STAMPED_AT,
        provider="sat",
    )


def receivable(order_id: str, customer_id: str, n: int, amount: str) -> ReceivableOpened:
    return ReceivableOpened(
        receivable_id=f"r-{n}",
        invoice_id=f"inv-{n}",
        order_id=order_id,
        customer_id=customer_id,
        currency="EUR",
        amount=D(amount),
        installments=[],
    )


def payment(order_id: str, customer_id: str, n: int, amount: str) -> PaymentReceived:
    return PaymentReceived(
        payment_id=f"p-{n}",
        invoice_id=f"inv-{n}",
        order_id=order_id,
        customer_id=customer_id,
        currency="EUR",
        amount=D(amount),
        open_after=D(0),
    )


def order_of(app: OrdersApplication, order_id: str) -> Order:
    return app.get(Order, order_id, field="order_id")


def test_every_consumed_event_has_its_handler() -> None:
    assert {event_type.__name__ for event_type in inbound.handlers} == {
        "StockReserved",
        "StockShortage",
        "GoodsIssued",
        "ShipmentCreated",
        "StockLevelChanged",
        "InvoiceIssued",
        "InvoiceStamped",
        "ReceivableOpened",
        "PaymentReceived",
        "InvoicePaid",
        "InvoiceCancelled",
        "CreditNoteIssued",
        "MarketplaceOrderImported",
        "MarketplaceOrderCancelled",
        "PartnerOrderReceived",
    }
    assert inbound.sources == ["billing", "inventory", "marketplace-ingest"]


def test_a_reservation_keeps_the_order_confirmed_and_a_shortage_holds_it(
    orders: ServiceInMemory, app: OrdersApplication, placed: tuple[str, str]
) -> None:
    _, order_id = placed
    reserved = StockReserved(order_id=order_id, allocations=lots(("SKU-1", 10)))
    assert orders.deliver(reserved).status == "applied"
    order = order_of(app, order_id)
    assert order.status == "confirmed"
    assert [(a["sku"], a["quantity"], a["lot"]) for a in order.reservations] == [
        ("SKU-1", D(10), "L1")
    ]
    short = StockShortage(order_id=order_id, sku="SKU-2", requested=D(2), available=D(1))
    assert orders.deliver(short).status == "applied"
    reason = "stock shortage: SKU-2 requested 2, available 1"
    order = order_of(app, order_id)
    assert (order.status, order.status_reason) == ("on_hold", reason)
    assert [(e.order_id, e.reason) for e in orders.published(OrderPutOnHold)] == [
        (order_id, reason)
    ]


def test_shipping_invoicing_and_payment_move_the_order_to_completed(
    orders: ServiceInMemory, app: OrdersApplication, placed: tuple[str, str]
) -> None:
    customer_id, order_id = placed

    def status() -> str:
        return order_of(app, order_id).status

    gi1 = GoodsIssued(goods_issue_id="gi-1", order_id=order_id, lines=lots(("SKU-1", 6)))
    assert orders.deliver(gi1).status == "applied"
    assert status() == "partially_shipped"
    gi2 = GoodsIssued(
        goods_issue_id="gi-2", order_id=order_id, lines=lots(("SKU-1", 4), ("SKU-2", 2))
    )
    orders.deliver(gi2)
    assert status() == "shipped"
    orders.deliver(invoice(order_id, customer_id, 1, "72.60"))
    assert status() == "partially_invoiced"
    orders.deliver(stamp(order_id, 1))
    orders.deliver(invoice(order_id, customer_id, 2, "72.60"))
    order = order_of(app, order_id)
    assert order.status == "invoiced"
    assert [(i["number"], i["total"]) for i in order.invoices] == [
        ("F-2025-1", D("72.60")),
        ("F-2025-2", D("72.60")),
    ]
    assert order.invoices[0]["stamp"] == {"uuid": "cfdi-1", "stamped_at": STAMPED_AT}
    assert order.invoices[1]["stamp"] is None
    assert [s["goods_issue_id"] for s in order.shipments] == ["gi-1", "gi-2"]

    orders.deliver(receivable(order_id, customer_id, 1, "72.60"))
    orders.deliver(receivable(order_id, customer_id, 2, "72.60"))
    orders.deliver(payment(order_id, customer_id, 1, "72.60"))
    customer = app.get(Customer, customer_id, field="customer_id")
    assert customer.open_balance == D("72.60")
    assert status() == "invoiced"
    paid = InvoicePaid(invoice_id="inv-1", order_id=order_id, customer_id=customer_id)
    assert orders.deliver(paid).status == "applied"
    assert order_of(app, order_id).invoices[0]["status"] == "paid"
    orders.deliver(payment(order_id, customer_id, 2, "72.60"))
    order = order_of(app, order_id)
    assert (order.status, order.paid_amount) == ("completed", D("145.20"))
    assert app.get(Customer, customer_id, field="customer_id").open_balance == D("0.00")
    [completed] = orders.published(OrderCompleted)
    assert completed.order_id == order_id
    history = app.order_history(order_id)
    assert (history[-1].event_type, history[-1].actor) == ("OrderCompleted", "service:billing")


def test_the_open_balance_from_billing_drives_the_credit_check(
    orders: ServiceInMemory, app: OrdersApplication, placed: tuple[str, str]
) -> None:
    customer_id, order_id = placed
    app.update_customer(customer_id, credit_limit=D("200.00"))
    orders.deliver(receivable(order_id, customer_id, 1, "145.20"))
    second = app.place_order(customer_id=customer_id, lines=[LineRequest("SKU-1", D(5))])
    assert second.status == "on_hold"
    assert second.status_reason == (
        "credit limit exceeded: open balance 145.20 + order 60.50 > limit 200.00"
    )


def test_a_repeated_event_changes_nothing(
    orders: ServiceInMemory,
    app: OrdersApplication,
    placed: tuple[str, str],
    stored_events: Callable[[], int],
) -> None:
    customer_id, order_id = placed
    shipped = GoodsIssued(goods_issue_id="gi-1", order_id=order_id, lines=lots(("SKU-1", 1)))
    assert orders.deliver(shipped, position=41).status == "applied"
    after_first = stored_events()
    # The same message again (a redelivery, a republish): the tracking record refuses it.
    assert orders.deliver(shipped, position=41).status == "duplicate"
    # The same goods issue at another position (published twice): the order knows it.
    assert orders.deliver(shipped, position=42).status == "applied"
    assert stored_events() == after_first
    assert len(order_of(app, order_id).shipments) == 1
    paid = payment(order_id, customer_id, 1, "10.00")
    assert orders.deliver(paid, position=43).status == "applied"
    assert orders.deliver(paid, position=43).status == "duplicate"
    assert stored_events() == after_first + 2  # the payment, on the customer and the order
    assert app.get(Customer, customer_id, field="customer_id").open_balance == D("-10.00")
    assert order_of(app, order_id).paid_amount == D("10.00")


def test_events_about_orders_or_customers_it_does_not_know_are_ignored(
    orders: ServiceInMemory, stored_events: Callable[[], int]
) -> None:
    before = stored_events()
    unknown = "6f1c2b1e-0000-4000-8000-000000000000"
    for event in (
        StockReserved(order_id=unknown, allocations=lots(("X", 1))),
        GoodsIssued(goods_issue_id="gi-9", order_id="not-an-id", lines=lots(("X", 1))),
        invoice(unknown, unknown, 9, "1.00"),
        receivable(unknown, unknown, 9, "1.00"),
        payment(unknown, unknown, 9, "1.00"),
    ):
        assert orders.deliver(event).status == "applied"  # nothing to change, no dead letter
    assert stored_events() == before


def test_an_event_before_the_one_it_refers_to_is_dead_lettered_then_applies_when_redriven(
    orders: ServiceInMemory, app: OrdersApplication, placed: tuple[str, str]
) -> None:
    customer_id, order_id = placed
    early_stamp = orders.deliver(stamp(order_id, 1), position=7)
    assert early_stamp.status == "dead-letter"
    assert early_stamp.dead_letter is not None and "inv-1" in early_stamp.dead_letter.reason
    paid = InvoicePaid(invoice_id="inv-1", order_id=order_id, customer_id=customer_id)
    assert orders.deliver(paid, position=8).status == "dead-letter"
    assert order_of(app, order_id).invoices == []

    assert orders.deliver(invoice(order_id, customer_id, 1, "145.20")).status == "applied"
    assert orders.deliver(stamp(order_id, 1), position=7).status == "applied"  # redriven
    assert orders.deliver(paid, position=8).status == "applied"
    [issued] = order_of(app, order_id).invoices
    assert (issued["status"], issued["stamp"]["uuid"]) == ("paid", "cfdi-1")
    assert order_of(app, order_id).status == "paid"


def test_goods_issued_before_the_reservation_is_answered_still_counts(
    orders: ServiceInMemory, app: OrdersApplication, placed: tuple[str, str]
) -> None:
    _, order_id = placed
    everything = lots(("SKU-1", 10), ("SKU-2", 2))
    orders.deliver(GoodsIssued(goods_issue_id="gi-1", order_id=order_id, lines=everything))
    orders.deliver(StockReserved(order_id=order_id, allocations=everything))
    order = order_of(app, order_id)
    assert (order.status, len(order.reservations)) == ("shipped", 2)


def test_a_receivable_gives_its_order_the_installments_due(
    orders: ServiceInMemory, app: OrdersApplication, placed: tuple[str, str]
) -> None:
    customer_id, order_id = placed
    opened = ReceivableOpened(
        receivable_id="r-1",
        invoice_id="inv-1",
        order_id=order_id,
        customer_id=customer_id,
        currency="EUR",
        amount=D("145.20"),
        installments=[
            Installment(number=1, due_on=date(2026, 4, 9), amount=D("72.60")),
            Installment(number=2, due_on=date(2026, 5, 9), amount=D("72.60")),
        ],
    )
    assert orders.deliver(opened, position=5).status == "applied"
    assert orders.deliver(opened, position=5).status == "duplicate"
    order = order_of(app, order_id)
    order.record_installments("r-1", [])  # a receivable it knows already: nothing
    assert order.collect_events() == []
    assert [(i["number"], i["due_on"], i["amount"]) for i in order.installments] == [
        (1, "2026-04-09", D("72.60")),
        (2, "2026-05-09", D("72.60")),
    ]
    assert order.status == "confirmed"
    customer = app.get(Customer, customer_id, field="customer_id")
    assert (customer.open_balance, customer.unbilled_orders) == (D("145.20"), D("0.00"))


def test_an_order_held_for_stock_is_released_when_inventory_reserves_it(
    orders: ServiceInMemory, app: OrdersApplication, placed: tuple[str, str]
) -> None:
    _, order_id = placed
    short = StockShortage(order_id=order_id, sku="SKU-2", requested=D(2), available=D(0))
    orders.deliver(short)
    assert (order_of(app, order_id).status, order_of(app, order_id).stock_status) == (
        "on_hold",
        "short",
    )
    # A purchase order's receipt gave inventory what the order missed.
    reserved = StockReserved(order_id=order_id, allocations=lots(("SKU-1", 10), ("SKU-2", 2)))
    assert orders.deliver(reserved).status == "applied"
    order = order_of(app, order_id)
    assert (order.status, order.status_reason, order.stock_status) == (
        "confirmed",
        None,
        "reserved",
    )


def test_a_shipment_gives_its_goods_issue_the_couriers_tracking_number_once(
    orders: ServiceInMemory, app: OrdersApplication, placed: tuple[str, str]
) -> None:
    _, order_id = placed

    def shipped(goods_issue_id: str, tracking_number: str) -> ShipmentCreated:
        return ShipmentCreated(
            shipment_id=f"s-{goods_issue_id}",
            goods_issue_id=goods_issue_id,
            order_id=order_id,
            carrier="DHL",
            tracking_number=tracking_number,
            parcels=[Parcel(weight_kg=D("1.5"))],
        )

    orders.deliver(GoodsIssued(goods_issue_id="gi-1", order_id=order_id, lines=lots(("SKU-1", 6))))
    assert orders.deliver(shipped("gi-1", "OMS0000000000017")).status == "applied"
    # The second goods issue's shipment is heard before the goods issue itself.
    assert orders.deliver(shipped("gi-2", "OMS0000000000024")).status == "applied"
    orders.deliver(
        GoodsIssued(
            goods_issue_id="gi-2", order_id=order_id, lines=lots(("SKU-1", 4), ("SKU-2", 2))
        )
    )
    orders.deliver(shipped("gi-1", "OMS9999999999999"))  # republished: the first one stays
    order = order_of(app, order_id)
    assert [
        (s["goods_issue_id"], s["carrier"], s["tracking_number"])
        for s in order.shipments_with_tracking()
    ] == [("gi-1", "DHL", "OMS0000000000017"), ("gi-2", "DHL", "OMS0000000000024")]
    assert order.status == "shipped"


def credit_note(order_id: str, customer_id: str, n: int, total: str) -> CreditNoteIssued:
    return CreditNoteIssued(
        credit_note_id=f"cn-{n}",
        invoice_id="inv-1",
        order_id=order_id,
        customer_id=customer_id,
        number=f"A-NC-{n:06d}",
        reason="damaged",
        lines=[],
        total=D(total),
        net_amount=D(total),
        currency="EUR",
        issued_at=STAMPED_AT,
    )


def shipped_and_invoiced(
    orders: ServiceInMemory, order_id: str, customer_id: str, total: str = "145.20"
) -> None:
    lines = lots(("SKU-1", 10), ("SKU-2", 2))
    orders.deliver(GoodsIssued(goods_issue_id="gi-1", order_id=order_id, lines=lines))
    orders.deliver(invoice(order_id, customer_id, 1, total))
    orders.deliver(receivable(order_id, customer_id, 1, total))


def test_a_cancelled_invoice_counts_no_more_on_the_order_nor_in_the_balance(
    orders: ServiceInMemory, app: OrdersApplication, placed: tuple[str, str]
) -> None:
    customer_id, order_id = placed
    shipped_and_invoiced(orders, order_id, customer_id)
    assert order_of(app, order_id).status == "invoiced"
    cancelled = InvoiceCancelled(
        invoice_id="inv-1",
        order_id=order_id,
        customer_id=customer_id,
        number="F-2025-1",
        reason="wrong address",
        total=D("145.20"),
        currency="EUR",
        cancelled_at=STAMPED_AT,
    )
    assert orders.deliver(cancelled, position=50).status == "applied"
    order = order_of(app, order_id)
    # Shipped and no longer invoiced: the cancelled invoice stays listed, as cancelled.
    assert (order.status, order.invoiced_amount) == ("shipped", D(0))
    assert [i["status"] for i in order.invoices] == ["cancelled"]
    customer = app.get(Customer, customer_id, field="customer_id")
    assert customer.open_balance == D("0.00")
    # Published twice (another position): the order knows it, the balance moves once.
    assert orders.deliver(cancelled, position=51).status == "applied"
    assert app.get(Customer, customer_id, field="customer_id").open_balance == D("0.00")


def test_credit_notes_settle_what_they_take_off_and_the_rest_is_paid(
    orders: ServiceInMemory, app: OrdersApplication, placed: tuple[str, str]
) -> None:
    customer_id, order_id = placed
    shipped_and_invoiced(orders, order_id, customer_id)
    assert orders.deliver(credit_note(order_id, customer_id, 1, "45.20")).status == "applied"
    order = order_of(app, order_id)
    assert (order.status, order.credited_amount) == ("invoiced", D("45.20"))
    assert order.invoice_open("inv-1") == D("100.00")
    assert app.get(Customer, customer_id, field="customer_id").open_balance == D("100.00")
    # The rest paid: billing marks the invoice paid, the order is completed.
    orders.deliver(payment(order_id, customer_id, 1, "100.00"))
    orders.deliver(InvoicePaid(invoice_id="inv-1", order_id=order_id, customer_id=customer_id))
    order = order_of(app, order_id)
    assert (order.status, order.paid_amount) == ("completed", D("100.00"))
    assert app.get(Customer, customer_id, field="customer_id").open_balance == D("0.00")
    # A credit note after it is paid takes nothing off the balance (owed back instead).
    orders.deliver(credit_note(order_id, customer_id, 2, "10.00"))
    order = order_of(app, order_id)
    assert [(n["number"], n["total"], n["applied"]) for n in order.credit_notes] == [
        ("A-NC-000001", D("45.20"), D("45.20")),
        ("A-NC-000002", D("10.00"), D("0.00")),
    ]
    assert order.status == "completed"
    assert app.get(Customer, customer_id, field="customer_id").open_balance == D("0.00")


def test_an_invoice_credited_in_full_completes_its_order_without_payment(
    orders: ServiceInMemory, app: OrdersApplication, placed: tuple[str, str]
) -> None:
    customer_id, order_id = placed
    shipped_and_invoiced(orders, order_id, customer_id)
    orders.deliver(credit_note(order_id, customer_id, 1, "100.00"))
    assert order_of(app, order_id).status == "invoiced"
    note = credit_note(order_id, customer_id, 2, "45.20")
    assert orders.deliver(note, position=70).status == "applied"
    order = order_of(app, order_id)
    assert (order.status, order.paid_amount, order.credited_amount) == (
        "completed",
        D(0),
        D("145.20"),
    )
    assert [i["status"] for i in order.invoices] == ["credited"]
    assert app.get(Customer, customer_id, field="customer_id").open_balance == D("0.00")
    # The same credit note published again: nothing moves twice.
    assert orders.deliver(note, position=71).status == "applied"
    assert order_of(app, order_id).credited_amount == D("145.20")
    assert app.get(Customer, customer_id, field="customer_id").open_balance == D("0.00")

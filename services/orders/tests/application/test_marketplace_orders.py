"""Marketplace-ingest's orders, fed through the exactly-once consumer path: an imported
marketplace order and a partner's order land in ``pending_approval`` with their origin,
external id and channel, once whatever the repeats; a marketplace cancellation cancels
the order unless goods have left; what cannot be placed yet is dead-lettered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

from oms_contracts.inventory import GoodsIssued, LotQuantity
from oms_contracts.marketplace_ingest import (
    Address,
    Buyer,
    MarketplaceLine,
    MarketplaceOrderCancelled,
    MarketplaceOrderImported,
    PartnerLine,
    PartnerOrderReceived,
)
from oms_contracts.orders import OrderCancelled, OrderPlaced
from oms_dev.inmemory import ServiceInMemory
from oms_orders.application import OrdersApplication
from oms_orders.domain.order import Order

D = Decimal


def imported(
    customer_id: str, order_id: str | None = None, **changes: object
) -> MarketplaceOrderImported:
    """Amazon order 111-0000001-0000001: 3 x SKU-1 at 12.50 and 1 x SKU-2 at 9.99 EUR."""
    fields: dict[str, object] = {
        "order_id": order_id or str(uuid4()),
        "connection_id": "connection-1",
        "marketplace": "amazon",
        "channel": "amazon:A1RKKUPIHCS9HS",
        "marketplace_id": "A1RKKUPIHCS9HS",
        "external_order_id": "111-0000001-0000001",
        "customer_id": customer_id,
        "purchased_at": datetime(2026, 11, 2, 10, tzinfo=UTC),
        "currency": "EUR",
        "lines": [
            MarketplaceLine(
                line_no=1,
                sku="SKU-1",
                marketplace_sku="AMZ-1",
                quantity=D(3),
                unit_price=D("12.50"),
            ),
            MarketplaceLine(
                line_no=2, sku="SKU-2", marketplace_sku="AMZ-2", quantity=D(1), unit_price=D("9.99")
            ),
        ],
        "buyer": Buyer(name="Marta Ruiz", email="marta@marketplace.example"),
        "ship_to": Address(
            name="Marta Ruiz", city="Madrid", postal_code="28001", country_code="ES"
        ),
        "import_run_id": "run-1",
    }
    fields.update(changes)
    return MarketplaceOrderImported.model_validate(fields)


def cancelled(order_id: str) -> MarketplaceOrderCancelled:
    return MarketplaceOrderCancelled(
        order_id=order_id,
        connection_id="connection-1",
        marketplace="amazon",
        external_order_id="111-0000001-0000001",
        reason="BuyerCanceled",
        import_run_id="run-2",
    )


def test_an_imported_order_waits_for_approval_at_the_marketplace_prices(
    catalogue: None, orders: ServiceInMemory, new_customer: Callable[..., str]
) -> None:
    customer_id = new_customer()
    event = imported(customer_id)

    assert orders.deliver(event).status == "applied"

    order = orders.app.find(Order, event.order_id)
    assert (order.status, order.origin) == ("pending_approval", "marketplace")
    assert (order.external_order_id, order.channel) == (
        "111-0000001-0000001",
        "amazon:A1RKKUPIHCS9HS",
    )
    assert [(line["quantity"], line["unit_price"], line["net_amount"]) for line in order.lines] == [
        (D(3), D("12.50"), D("37.50")),
        (D(1), D("9.99"), D("9.99")),
    ]
    assert order.buyer == {"name": "Marta Ruiz", "email": "marta@marketplace.example"}
    assert order.ship_to["city"] == "Madrid"
    [placed] = orders.published(OrderPlaced)
    assert (placed.origin, placed.external_order_id, placed.channel) == (
        "marketplace",
        "111-0000001-0000001",
        "amazon:A1RKKUPIHCS9HS",
    )


def test_an_order_imported_again_is_placed_once(
    catalogue: None, orders: ServiceInMemory, new_customer: Callable[..., str]
) -> None:
    customer_id = new_customer()
    event = imported(customer_id)

    orders.deliver(event)
    assert orders.deliver(event, position=1).status == "duplicate"  # the same event redelivered
    orders.deliver(imported(customer_id, order_id=event.order_id, import_run_id="run-2"))

    assert len(orders.published(OrderPlaced)) == 1


def test_a_marketplace_cancellation_cancels_an_order_not_shipped(
    catalogue: None, orders: ServiceInMemory, new_customer: Callable[..., str]
) -> None:
    event = imported(new_customer())
    orders.deliver(event)

    orders.deliver(cancelled(event.order_id))

    order = orders.app.find(Order, event.order_id)
    assert order.status == "cancelled"
    [cancellation] = orders.published(OrderCancelled)
    assert "BuyerCanceled" in cancellation.reason
    orders.deliver(cancelled(event.order_id))  # seen again in a later run
    assert len(orders.published(OrderCancelled)) == 1


def test_a_marketplace_cancellation_leaves_a_shipped_order(
    catalogue: None, orders: ServiceInMemory, new_customer: Callable[..., str]
) -> None:
    app: OrdersApplication = orders.app
    event = imported(new_customer())
    orders.deliver(event)
    app.approve_order(event.order_id)
    orders.deliver(
        GoodsIssued(
            goods_issue_id="gi-1",
            order_id=event.order_id,
            lines=[LotQuantity(sku="SKU-1", quantity=D(3), warehouse="MAD", lot="L1")],
        )
    )

    orders.deliver(cancelled(event.order_id))

    assert app.find(Order, event.order_id).status == "partially_shipped"
    assert orders.published(OrderCancelled) == []


def test_an_import_for_an_unknown_sku_or_customer_is_dead_lettered(
    catalogue: None, orders: ServiceInMemory, new_customer: Callable[..., str]
) -> None:
    unknown_sku = MarketplaceLine(
        line_no=1, sku="NOPE", marketplace_sku="AMZ-X", quantity=D(1), unit_price=D(1)
    )
    assert orders.deliver(imported(new_customer(), lines=[unknown_sku])).status == "dead-letter"
    assert orders.deliver(imported(str(uuid4()))).status == "dead-letter"
    assert orders.deliver(imported(new_customer(), currency="USD")).status == "dead-letter"
    assert orders.published(OrderPlaced) == []


def test_a_partner_order_is_booked_to_the_partner_customer_once(
    catalogue: None, orders: ServiceInMemory, new_customer: Callable[..., str]
) -> None:
    app: OrdersApplication = orders.app
    customer_id = new_customer()
    partner, _secret = app.register_partner(name="Shop Ltd", customer_id=customer_id)
    event = PartnerOrderReceived(
        order_id=str(uuid4()),
        partner_id=partner.partner_id,
        external_order_id="PO-77",
        lines=[PartnerLine(line_no=1, sku="SKU-1", quantity=D(2))],
        note="gate 4",
    )

    orders.deliver(event)
    orders.deliver(event)  # published again by a restarted relay

    order = app.find(Order, event.order_id)
    assert (order.customer_id, order.origin, order.status) == (
        customer_id,
        "partner",
        "pending_approval",
    )
    assert (order.external_order_id, order.note) == ("PO-77", "gate 4")
    assert order.channel == f"partner:{partner.partner_id}"
    assert order.lines[0]["unit_price"] == D("10.00")  # the catalogue's price
    assert len(orders.published(OrderPlaced)) == 1

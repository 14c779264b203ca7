"""An order's expected delivery date, set at placement, travels on OrderPlaced and
OrderConfirmed (it dates the order's commission to invoice in the commissions service)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from oms_contracts.orders import OrderConfirmed, OrderPlaced
from oms_dev.inmemory import ServiceInMemory
from oms_orders.application import OrdersApplication
from oms_orders.domain.pricing import LineRequest


@pytest.mark.usefixtures("catalogue")
def test_the_expected_delivery_date_is_carried_on_placement_and_confirmation(
    orders: ServiceInMemory, app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    customer_id = new_customer()
    order = app.place_order(
        customer_id=customer_id,
        lines=[LineRequest(sku="SKU-1", quantity=Decimal(1))],
        expected_delivery_date=date(2026, 12, 20),
    )
    [placed] = [e for e in orders.published(OrderPlaced) if e.order_id == str(order.id)]
    [confirmed] = [e for e in orders.published(OrderConfirmed) if e.order_id == str(order.id)]
    assert placed.expected_delivery_date == date(2026, 12, 20)
    assert confirmed.expected_delivery_date == date(2026, 12, 20)


@pytest.mark.usefixtures("catalogue")
def test_without_one_the_field_is_absent(
    orders: ServiceInMemory, app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    order = app.place_order(
        customer_id=new_customer(), lines=[LineRequest(sku="SKU-1", quantity=Decimal(1))]
    )
    [placed] = [e for e in orders.published(OrderPlaced) if e.order_id == str(order.id)]
    assert placed.expected_delivery_date is None

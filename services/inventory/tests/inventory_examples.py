"""Example contract events inventory consumes, and readings of its state."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from oms_contracts import ContractEvent
from oms_contracts.orders import Line, OrderCancelled, OrderConfirmed
from oms_inventory.application import InventoryApplication
from oms_kit.consumer import Outcome

D = Decimal

#: Consume a contract event as if from its source's topic (the next position).
Deliver = Callable[[ContractEvent], Outcome]


def order_confirmed(order_id: str, *lines: tuple[str, int | str]) -> OrderConfirmed:
    """An order released for picking: ``(sku, quantity)`` per line."""
    return OrderConfirmed(
        order_id=order_id,
        customer_id="c-1",
        currency="EUR",
        lines=[
            Line(
                line_no=number,
                sku=sku,
                quantity=D(quantity),
                unit_price=D("1.00"),
                tax_rate=D("0.23"),
                net_amount=D(quantity),
            )
            for number, (sku, quantity) in enumerate(lines, start=1)
        ],
        total=sum((D(quantity) for _, quantity in lines), D(0)),
    )


def order_cancelled(order_id: str, reason: str = "customer asked") -> OrderCancelled:
    return OrderCancelled(order_id=order_id, reason=reason)


def levels(app: InventoryApplication, sku: str) -> tuple[Decimal, Decimal, Decimal]:
    """On hand, reserved and available of ``sku``."""
    stock = app.get_stock(sku)
    return stock.on_hand, stock.reserved, stock.available

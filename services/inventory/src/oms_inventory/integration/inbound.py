"""The contract events the inventory service consumes, one typed handler each."""

from __future__ import annotations

from eventsourcing.domain import Aggregate
from oms_contracts.orders import OrderCancelled, OrderConfirmed
from oms_kit.service import Inbound

from oms_inventory.application import InventoryApplication

inbound = Inbound(InventoryApplication)


@inbound.on(OrderConfirmed)
def on_order_confirmed(app: InventoryApplication, event: OrderConfirmed) -> list[Aggregate]:
    lines = [(line.sku, line.quantity) for line in event.lines]
    return app.reserve_order(event.order_id, lines)


@inbound.on(OrderCancelled)
def on_order_cancelled(app: InventoryApplication, event: OrderCancelled) -> list[Aggregate]:
    return app.release_order(event.order_id, event.reason)

"""Contract events the inventory service reacts to, and its handler for each."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from oms_contracts import ContractEvent, Envelope
from oms_contracts.orders import OrderCancelled, OrderConfirmed
from oms_kit.consumer import Handler

from oms_inventory.application import InventoryApplication

#: Services whose topics it consumes.
SOURCES: list[str] = ["orders"]


def handlers(app: InventoryApplication) -> dict[type[ContractEvent], Handler]:
    def on_order_confirmed(
        event: ContractEvent, envelope: Envelope[dict[str, Any]], processing: ProcessingEvent[UUID]
    ) -> None:
        assert isinstance(event, OrderConfirmed)
        lines = [(line.sku, line.quantity) for line in event.lines]
        processing.collect_events(*app.reserve_order(event.order_id, lines))

    def on_order_cancelled(
        event: ContractEvent, envelope: Envelope[dict[str, Any]], processing: ProcessingEvent[UUID]
    ) -> None:
        assert isinstance(event, OrderCancelled)
        processing.collect_events(*app.release_order(event.order_id, event.reason))

    return {OrderConfirmed: on_order_confirmed, OrderCancelled: on_order_cancelled}

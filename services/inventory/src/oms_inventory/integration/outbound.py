"""Private domain events of the inventory service -> public contract events."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from oms_contracts import ContractEvent
from oms_contracts.inventory import (
    GoodsIssued,
    LotQuantity,
    PickListCreated,
    StockLevelChanged,
    StockPicked,
    StockReceived,
    StockReleased,
    StockReserved,
    StockShortage,
)

from oms_inventory.domain import GoodsIssue, OrderReservation, PickList, Stock


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _lines(data: list[dict[str, Any]]) -> list[LotQuantity]:
    return [
        LotQuantity(
            sku=d["sku"],
            quantity=d["quantity"],
            warehouse=d["warehouse"],
            lot=d["lot"],
            expires_on=_day(d.get("expires_on")),
        )
        for d in data
    ]


def to_contract(event: DomainEventProtocol[UUID]) -> ContractEvent | None:
    """The public event for a domain event, or None when it stays private."""
    e: Any = event
    if isinstance(event, Stock.Received):
        return StockReceived(
            sku=e.sku,
            warehouse=e.warehouse,
            lot=e.lot,
            quantity=e.quantity,
            expires_on=_day(e.expires_on),
        )
    if isinstance(event, Stock.LevelChanged):
        return StockLevelChanged(
            sku=e.sku, on_hand=e.on_hand, reserved=e.reserved, available=e.available
        )
    if isinstance(event, OrderReservation.Reserved):
        return StockReserved(order_id=e.order_id, allocations=_lines(e.allocations))
    if isinstance(event, OrderReservation.ShortageRecorded):
        return StockShortage(
            order_id=e.order_id, sku=e.sku, requested=e.requested, available=e.available
        )
    if isinstance(event, OrderReservation.Released):
        return StockReleased(
            order_id=e.order_id, allocations=_lines(e.allocations), reason=e.reason
        )
    if isinstance(event, PickList.Created):
        return PickListCreated(
            pick_list_id=str(event.originator_id), order_id=e.order_id, lines=_lines(e.lines)
        )
    if isinstance(event, PickList.Confirmed):
        return StockPicked(
            pick_list_id=str(event.originator_id),
            order_id=e.order_id,
            lines=_lines(e.lines),
            follow_up_pick_list_id=e.follow_up_pick_list_id,
        )
    if isinstance(event, GoodsIssue.Issued):
        return GoodsIssued(
            goods_issue_id=str(event.originator_id), order_id=e.order_id, lines=_lines(e.lines)
        )
    return None

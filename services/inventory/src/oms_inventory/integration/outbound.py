"""The inventory service's domain events that are published, one typed mapping each to its
public contract event; the other domain events stay private."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from oms_contracts import inventory as contracts
from oms_kit.service import Outbound

from oms_inventory.domain import (
    GoodsIssue,
    LotLine,
    OrderReservation,
    PickList,
    Shipment,
    Stock,
    from_dicts,
)

outbound = Outbound()


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _lots(lines: Iterable[LotLine]) -> list[contracts.LotQuantity]:
    return [
        contracts.LotQuantity(
            sku=line.sku,
            quantity=line.quantity,
            warehouse=line.warehouse,
            lot=line.lot,
            expires_on=_day(line.expires_on),
        )
        for line in lines
    ]


@outbound.maps(Stock.Received)
def stock_received(received: Stock.Received) -> contracts.StockReceived:
    return contracts.StockReceived(
        sku=received.sku,
        warehouse=received.warehouse,
        lot=received.lot,
        quantity=received.quantity,
        expires_on=_day(received.expires_on),
    )


@outbound.maps(Stock.Returned)
def stock_returned(returned: Stock.Returned) -> contracts.StockReturned:
    return contracts.StockReturned(
        sku=returned.sku,
        warehouse=returned.warehouse,
        lot=returned.lot,
        quantity=returned.quantity,
        expires_on=_day(returned.expires_on),
        reason=returned.reason,
        order_id=returned.order_id,
    )


@outbound.maps(Stock.LevelChanged)
def stock_level_changed(level: Stock.LevelChanged) -> contracts.StockLevelChanged:
    return contracts.StockLevelChanged(
        sku=level.sku, on_hand=level.on_hand, reserved=level.reserved, available=level.available
    )


@outbound.maps(OrderReservation.Reserved)
def stock_reserved(reserved: OrderReservation.Reserved) -> contracts.StockReserved:
    return contracts.StockReserved(
        order_id=reserved.order_id, allocations=_lots(from_dicts(reserved.allocations))
    )


@outbound.maps(OrderReservation.ShortageRecorded)
def stock_shortage(shortage: OrderReservation.ShortageRecorded) -> contracts.StockShortage:
    return contracts.StockShortage(
        order_id=shortage.order_id,
        sku=shortage.sku,
        requested=shortage.requested,
        available=shortage.available,
    )


@outbound.maps(OrderReservation.Released)
def stock_released(released: OrderReservation.Released) -> contracts.StockReleased:
    return contracts.StockReleased(
        order_id=released.order_id,
        allocations=_lots(from_dicts(released.allocations)),
        reason=released.reason,
    )


@outbound.maps(PickList.Created)
def pick_list_created(created: PickList.Created) -> contracts.PickListCreated:
    return contracts.PickListCreated(
        pick_list_id=str(created.originator_id),
        order_id=created.order_id,
        lines=_lots(from_dicts(created.lines)),
    )


@outbound.maps(PickList.Confirmed)
def stock_picked(confirmed: PickList.Confirmed) -> contracts.StockPicked:
    return contracts.StockPicked(
        pick_list_id=str(confirmed.originator_id),
        order_id=confirmed.order_id,
        lines=_lots(from_dicts(confirmed.lines)),
        follow_up_pick_list_id=confirmed.follow_up_pick_list_id,
    )


@outbound.maps(GoodsIssue.Issued)
def goods_issued(issued: GoodsIssue.Issued) -> contracts.GoodsIssued:
    return contracts.GoodsIssued(
        goods_issue_id=str(issued.originator_id),
        order_id=issued.order_id,
        lines=_lots(from_dicts(issued.lines)),
    )


@outbound.maps(Shipment.Created)
def shipment_created(created: Shipment.Created) -> contracts.ShipmentCreated:
    return contracts.ShipmentCreated(
        shipment_id=str(created.originator_id),
        goods_issue_id=created.goods_issue_id,
        order_id=created.order_id,
        carrier=created.carrier,
        service=created.service,
        tracking_number=created.tracking_number,
        parcels=[contracts.Parcel(weight_kg=parcel["weight_kg"]) for parcel in created.parcels],
    )

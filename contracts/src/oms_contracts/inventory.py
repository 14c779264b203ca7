"""Public events of the inventory service: stock, reservations, pick lists, goods issues."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from oms_contracts.base import ContractEvent, Day, Quantity


class _Inventory(ContractEvent):
    source = "inventory"


class LotQuantity(BaseModel):
    """A quantity of one sku in one warehouse and lot."""

    model_config = ConfigDict(frozen=True)

    sku: str
    quantity: Quantity
    warehouse: str
    lot: str
    expires_on: Day | None = None


class StockReceived(_Inventory):
    sku: str
    warehouse: str
    lot: str
    quantity: Quantity
    expires_on: Day | None = None


class StockReturned(_Inventory):
    """Goods a customer sent back, booked into a warehouse lot."""

    sku: str
    warehouse: str
    lot: str
    quantity: Quantity
    expires_on: Day | None = None
    reason: str
    order_id: str | None = None


class StockReserved(_Inventory):
    order_id: str
    allocations: list[LotQuantity]


class StockShortage(_Inventory):
    order_id: str
    sku: str
    requested: Quantity
    available: Quantity


class StockReleased(_Inventory):
    order_id: str
    allocations: list[LotQuantity]
    reason: str


class PickListCreated(_Inventory):
    pick_list_id: str
    order_id: str
    lines: list[LotQuantity]


class StockPicked(_Inventory):
    pick_list_id: str
    order_id: str
    lines: list[LotQuantity]
    follow_up_pick_list_id: str | None = None


class GoodsIssued(_Inventory):
    """A goods-issue document (WZ): stock left the warehouse; billing invoices it."""

    goods_issue_id: str
    order_id: str
    lines: list[LotQuantity]


class StockLevelChanged(_Inventory):
    sku: str
    on_hand: Quantity
    reserved: Quantity
    available: Quantity


class Parcel(BaseModel):
    model_config = ConfigDict(frozen=True)

    weight_kg: Quantity


class ShipmentCreated(_Inventory):
    """A goods issue handed to a courier: the order shows its tracking number, and a
    marketplace's shipment confirmation can carry it."""

    shipment_id: str
    goods_issue_id: str
    order_id: str
    carrier: str
    service: str | None = None
    tracking_number: str
    parcels: list[Parcel]

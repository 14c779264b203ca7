"""Request and response models of the inventory routes (JSON: quantities are numbers,
dates ISO 8601)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from oms_kit.types import Quantity, QuantityIn
from pydantic import BaseModel, Field, StringConstraints

from oms_inventory.application import PickConfirmed, PurchaseReceived
from oms_inventory.domain import (
    LotLine,
    PickedLine,
    PickList,
    PurchaseLine,
    PurchaseOrder,
    Shipment,
    Stock,
    Supplier,
)
from oms_inventory.projections.purchasing import PurchaseOrderSummary, SupplierSummary
from oms_inventory.projections.stock_levels import StockLevel

Name = Annotated[str, Field(min_length=1, max_length=200)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class StockReturnCreate(BaseModel):
    sku: Name
    warehouse: Name
    lot: Name
    quantity: QuantityIn
    reason: Name
    expires_on: date | None = None
    #: The order the goods were sold on, when known.
    order_id: Name | None = None


class StockReceiptCreate(BaseModel):
    sku: Name
    warehouse: Name
    lot: Name
    quantity: QuantityIn
    expires_on: date | None = None


class LocationPublic(BaseModel):
    warehouse: str
    lot: str
    expires_on: date | None
    on_hand: Quantity
    reserved: Quantity
    available: Quantity


class StockPublic(BaseModel):
    sku: str
    on_hand: Quantity
    reserved: Quantity
    available: Quantity
    locations: list[LocationPublic]

    @classmethod
    def of_stock(cls, stock: Stock) -> StockPublic:
        """All of a sku's stock, its lots first expiry first."""
        return cls(
            sku=stock.sku,
            on_hand=stock.on_hand,
            reserved=stock.reserved,
            available=stock.available,
            locations=[
                LocationPublic(
                    warehouse=lot.warehouse,
                    lot=lot.lot,
                    expires_on=_day(lot.expires_on),
                    on_hand=lot.on_hand,
                    reserved=lot.reserved,
                    available=lot.available,
                )
                for lot in stock.locations()
            ],
        )

    @classmethod
    def of_level(cls, level: StockLevel) -> StockPublic:
        """A line of the inventory level list."""
        return cls(
            sku=level.sku,
            on_hand=level.on_hand,
            reserved=level.reserved,
            available=level.available,
            locations=[
                LocationPublic(
                    warehouse=lot.warehouse,
                    lot=lot.lot,
                    expires_on=lot.expires_on,
                    on_hand=lot.on_hand,
                    reserved=lot.reserved,
                    available=lot.available,
                )
                for lot in level.locations
            ],
        )


class StockListPublic(BaseModel):
    items: list[StockPublic]
    next_cursor: str | None


class PickLinePublic(BaseModel):
    sku: str
    quantity: Quantity
    warehouse: str
    lot: str
    expires_on: date | None = None

    @classmethod
    def of(cls, line: LotLine) -> PickLinePublic:
        return cls(
            sku=line.sku,
            quantity=line.quantity,
            warehouse=line.warehouse,
            lot=line.lot,
            expires_on=_day(line.expires_on),
        )


class PickListPublic(BaseModel):
    pick_list_id: str
    order_id: str
    status: Literal["open", "done", "cancelled"]
    lines: list[PickLinePublic]
    picked: list[PickLinePublic]
    follows: str | None
    follow_up_pick_list_id: str | None
    goods_issue_id: str | None

    @classmethod
    def of(cls, pick_list: PickList) -> PickListPublic:
        return cls(
            pick_list_id=str(pick_list.id),
            order_id=pick_list.order_id,
            status=pick_list.status,
            lines=[PickLinePublic.of(line) for line in pick_list.lines],
            picked=[PickLinePublic.of(line) for line in pick_list.picked],
            follows=pick_list.follows,
            follow_up_pick_list_id=pick_list.follow_up_pick_list_id,
            goods_issue_id=pick_list.goods_issue_id,
        )


class PickListsPublic(BaseModel):
    items: list[PickListPublic]


class PickLineCreate(BaseModel):
    sku: Name
    quantity: QuantityIn
    warehouse: Name
    lot: Name

    def picked(self) -> PickedLine:
        return PickedLine(
            sku=self.sku, warehouse=self.warehouse, lot=self.lot, quantity=self.quantity
        )


class PickConfirmationCreate(BaseModel):
    lines: list[PickLineCreate] = Field(min_length=1)


class PickConfirmationPublic(BaseModel):
    pick_list_id: str
    status: Literal["done"]
    goods_issue_id: str
    follow_up_pick_list_id: str | None

    @classmethod
    def of(cls, confirmed: PickConfirmed) -> PickConfirmationPublic:
        return cls(
            pick_list_id=confirmed.pick_list_id,
            status="done",
            goods_issue_id=confirmed.goods_issue_id,
            follow_up_pick_list_id=confirmed.follow_up_pick_list_id,
        )


# Purchasing


class SupplierCreate(BaseModel):
    name: Name
    email: Email


class SupplierPublic(BaseModel):
    supplier_id: str
    name: str
    email: str

    @classmethod
    def of(cls, supplier: Supplier | SupplierSummary) -> SupplierPublic:
        if isinstance(supplier, Supplier):
            return cls(supplier_id=str(supplier.id), name=supplier.name, email=supplier.email)
        return cls(supplier_id=supplier.supplier_id, name=supplier.name, email=supplier.email)


class SuppliersPublic(BaseModel):
    items: list[SupplierPublic]
    next_cursor: str | None


class SupplierAssignmentCreate(BaseModel):
    supplier_id: Name


class SupplierAssignmentPublic(BaseModel):
    sku: str
    supplier_id: str


class PurchaseFromOrdersCreate(BaseModel):
    """Without ``order_ids``: what the orders held for stock miss."""

    order_ids: list[Name] | None = Field(default=None, min_length=1, max_length=500)


class PurchaseLinePublic(BaseModel):
    sku: str
    quantity: Quantity
    received: Quantity

    @classmethod
    def of(cls, line: PurchaseLine) -> PurchaseLinePublic:
        return cls(sku=line.sku, quantity=line.quantity, received=line.received)


class PurchaseOrderPublic(BaseModel):
    purchase_order_id: str
    supplier_id: str
    status: Literal["open", "partially_received", "received"]
    lines: list[PurchaseLinePublic]
    order_ids: list[str]

    @classmethod
    def of(cls, purchase_order: PurchaseOrder | PurchaseOrderSummary) -> PurchaseOrderPublic:
        if isinstance(purchase_order, PurchaseOrder):
            purchase_order_id = str(purchase_order.id)
        else:
            purchase_order_id = purchase_order.purchase_order_id
        return cls(
            purchase_order_id=purchase_order_id,
            supplier_id=purchase_order.supplier_id,
            status=purchase_order.status,
            lines=[PurchaseLinePublic.of(line) for line in purchase_order.lines],
            order_ids=purchase_order.order_ids,
        )


class PurchaseOrdersPublic(BaseModel):
    items: list[PurchaseOrderPublic]
    next_cursor: str | None = None


class PurchaseReceiptLineCreate(BaseModel):
    sku: Name
    quantity: QuantityIn
    warehouse: Name
    lot: Name
    expires_on: date | None = None

    def lot_line(self) -> LotLine:
        return LotLine(
            sku=self.sku,
            warehouse=self.warehouse,
            lot=self.lot,
            quantity=self.quantity,
            expires_on=self.expires_on.isoformat() if self.expires_on else None,
        )


class PurchaseReceiptCreate(BaseModel):
    lines: list[PurchaseReceiptLineCreate] = Field(min_length=1, max_length=500)


class PurchaseReceiptPublic(PurchaseOrderPublic):
    """The purchase order after the receipt, and the held orders it reserved."""

    reserved_order_ids: list[str]

    @classmethod
    def of_receipt(cls, received: PurchaseReceived) -> PurchaseReceiptPublic:
        order = PurchaseOrderPublic.of(received.purchase_order)
        return cls(**order.model_dump(), reserved_order_ids=received.reserved_order_ids)


# Shipments


class ParcelCreate(BaseModel):
    weight_kg: QuantityIn


class ShipmentCreate(BaseModel):
    carrier: Name
    service: Name | None = None
    parcels: list[ParcelCreate] = Field(min_length=1, max_length=500)


class ParcelPublic(BaseModel):
    weight_kg: Quantity


class ShipmentPublic(BaseModel):
    shipment_id: str
    goods_issue_id: str
    order_id: str
    carrier: str
    service: str | None
    tracking_number: str
    parcels: list[ParcelPublic]

    @classmethod
    def of(cls, shipment: Shipment) -> ShipmentPublic:
        return cls(
            shipment_id=str(shipment.id),
            goods_issue_id=shipment.goods_issue_id,
            order_id=shipment.order_id,
            carrier=shipment.carrier,
            service=shipment.service,
            tracking_number=shipment.tracking_number,
            parcels=[ParcelPublic(weight_kg=weight) for weight in shipment.weights],
        )

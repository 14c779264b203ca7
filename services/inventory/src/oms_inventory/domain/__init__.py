"""Aggregates and value objects of the inventory service: plain Python, no I/O."""

from oms_inventory.domain.errors import (
    AlreadyShipped,
    ExpiryMismatch,
    GoodsIssueNotFound,
    InvalidPick,
    InvalidQuantity,
    InvalidReceipt,
    MissingSupplier,
    PickListClosed,
    PickListNotFound,
    PurchaseOrderClosed,
    PurchaseOrderNotFound,
    ShipmentNotFound,
    UnknownOrder,
    UnknownSku,
    UnknownSupplier,
)
from oms_inventory.domain.picking import GoodsIssue, PickedLine, PickList, PickPlan, plan_pick
from oms_inventory.domain.purchasing import PurchaseLine, PurchaseOrder, Supplier
from oms_inventory.domain.reservation import OrderReservation, Shortage, allocate, demands
from oms_inventory.domain.shipping import Shipment, check_weights
from oms_inventory.domain.stock import Lot, LotLine, Stock, from_dicts

__all__ = [
    "AlreadyShipped",
    "ExpiryMismatch",
    "GoodsIssue",
    "GoodsIssueNotFound",
    "InvalidPick",
    "InvalidQuantity",
    "InvalidReceipt",
    "Lot",
    "LotLine",
    "MissingSupplier",
    "OrderReservation",
    "PickList",
    "PickListClosed",
    "PickListNotFound",
    "PickPlan",
    "PickedLine",
    "PurchaseLine",
    "PurchaseOrder",
    "PurchaseOrderClosed",
    "PurchaseOrderNotFound",
    "Shipment",
    "ShipmentNotFound",
    "Shortage",
    "Stock",
    "Supplier",
    "UnknownOrder",
    "UnknownSku",
    "UnknownSupplier",
    "allocate",
    "check_weights",
    "demands",
    "from_dicts",
    "plan_pick",
]

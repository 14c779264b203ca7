"""Aggregates and value objects of the inventory service: plain Python, no I/O."""

from oms_inventory.domain.errors import (
    ExpiryMismatch,
    InvalidPick,
    InvalidQuantity,
    PickListClosed,
    PickListNotFound,
    UnknownSku,
)
from oms_inventory.domain.picking import GoodsIssue, PickedLine, PickList, PickPlan, plan_pick
from oms_inventory.domain.reservation import OrderReservation, Shortage, allocate, demands
from oms_inventory.domain.stock import Lot, LotLine, Stock, from_dicts

__all__ = [
    "ExpiryMismatch",
    "GoodsIssue",
    "InvalidPick",
    "InvalidQuantity",
    "Lot",
    "LotLine",
    "OrderReservation",
    "PickList",
    "PickListClosed",
    "PickListNotFound",
    "PickPlan",
    "PickedLine",
    "Shortage",
    "Stock",
    "UnknownSku",
    "allocate",
    "demands",
    "from_dicts",
    "plan_pick",
]

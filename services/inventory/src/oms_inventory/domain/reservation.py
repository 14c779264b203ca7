"""The stock side of one sales order: whether it is reserved, short or released, and its
pick lists. Allocation is all or nothing for the whole order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from oms_inventory.domain.stock import ZERO, LotLine, Stock, as_dicts, check_quantity

NEW = "new"
RESERVED = "reserved"
SHORT = "short"
RELEASED = "released"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class Shortage:
    """The first sku of an order that the stock cannot cover."""

    sku: str
    requested: Decimal
    available: Decimal


def demands(lines: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Quantity per sku over an order's lines, in the order skus first appear."""
    out: dict[str, Decimal] = {}
    for sku, quantity in lines:
        check_quantity(quantity, field=f"quantity of {sku}")
        out[sku] = out.get(sku, ZERO) + quantity
    return out


def allocate(
    wanted: Mapping[str, Decimal], stocks: Mapping[str, Stock | None]
) -> list[LotLine] | Shortage:
    """Lots for every sku, first-expiry-first-out, or the first sku that is short.
    Changes nothing: the caller reserves the allocations only when all fit."""
    allocations: list[LotLine] = []
    for sku, quantity in wanted.items():
        stock = stocks.get(sku)
        plan = stock.plan(quantity) if stock is not None else None
        if plan is None:
            available = stock.available if stock is not None else ZERO
            return Shortage(sku=sku, requested=quantity, available=max(available, ZERO))
        allocations.extend(plan)
    return allocations


class OrderReservation(Aggregate):
    """One per order id (uuid5 of it), so a repeat of the same order finds it."""

    class Opened(Aggregate.Created):
        order_id: str

    class Reserved(Aggregate.Event):
        order_id: str
        allocations: list[dict[str, Any]]
        pick_list_id: str | None

    class ShortageRecorded(Aggregate.Event):
        order_id: str
        sku: str
        requested: Decimal
        available: Decimal
        #: What the whole order wants, per sku (absent in events stored before purchasing).
        wanted: list[dict[str, Any]] | None = None

    class PickListAdded(Aggregate.Event):
        pick_list_id: str

    class Released(Aggregate.Event):
        order_id: str
        allocations: list[dict[str, Any]]
        reason: str

    class Cancelled(Aggregate.Event):
        order_id: str
        reason: str

    @staticmethod
    def create_id(order_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/inventory/order/{order_id}")

    @event(Opened)
    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        self.status = NEW
        self.skus: list[str] = []
        self.pick_list_ids: list[str] = []
        #: What the order wants per sku, as last tried (empty when never tried).
        self.wanted: dict[str, Decimal] = {}
        #: The sku it is held for, while short.
        self.short_sku: str | None = None

    @property
    def can_allocate(self) -> bool:
        """Only an order never reserved, or one that was short before, is (re)tried."""
        return self.status in (NEW, SHORT)

    def reserve(self, allocations: list[LotLine], pick_list_id: str | None) -> None:
        self._reserved(
            order_id=self.order_id, allocations=as_dicts(allocations), pick_list_id=pick_list_id
        )

    @property
    def can_be_purchased_for(self) -> bool:
        """A confirmed order that was not cancelled."""
        return self.status in (RESERVED, SHORT)

    @property
    def is_short(self) -> bool:
        return self.status == SHORT

    def record_shortage(
        self, shortage: Shortage, wanted: Mapping[str, Decimal] | None = None
    ) -> None:
        """The order is held for ``shortage.sku``; ``wanted`` (all it wants, per sku) lets
        a receipt try it again."""
        self._short(
            order_id=self.order_id,
            sku=shortage.sku,
            requested=shortage.requested,
            available=shortage.available,
            wanted=(
                [{"sku": sku, "quantity": quantity} for sku, quantity in wanted.items()]
                if wanted is not None
                else None
            ),
        )

    def add_pick_list(self, pick_list_id: str) -> None:
        self._pick_list_added(pick_list_id=pick_list_id)

    def cancel(self, reason: str, released: list[LotLine]) -> bool:
        """The order was cancelled. True when it changed anything."""
        if self.status == RESERVED:
            self._released(order_id=self.order_id, allocations=as_dicts(released), reason=reason)
            return True
        if self.status in (NEW, SHORT):
            self._cancelled(order_id=self.order_id, reason=reason)
            return True
        return False

    @event(Reserved)
    def _reserved(
        self, order_id: str, allocations: list[dict[str, Any]], pick_list_id: str | None
    ) -> None:
        self.status = RESERVED
        self.short_sku = None
        self.wanted = {}
        for line in allocations:
            if line["sku"] not in self.skus:
                self.skus.append(line["sku"])
            self.wanted[line["sku"]] = self.wanted.get(line["sku"], ZERO) + Decimal(
                line["quantity"]
            )
        if pick_list_id is not None:
            self.pick_list_ids.append(pick_list_id)

    @event(ShortageRecorded)
    def _short(
        self,
        order_id: str,
        sku: str,
        requested: Decimal,
        available: Decimal,
        wanted: list[dict[str, Any]] | None = None,
    ) -> None:
        self.status = SHORT
        self.short_sku = sku
        if wanted is not None:
            self.wanted = {str(w["sku"]): Decimal(w["quantity"]) for w in wanted}

    @event(PickListAdded)
    def _pick_list_added(self, pick_list_id: str) -> None:
        self.pick_list_ids.append(pick_list_id)

    @event(Released)
    def _released(self, order_id: str, allocations: list[dict[str, Any]], reason: str) -> None:
        self.status = RELEASED

    @event(Cancelled)
    def _cancelled(self, order_id: str, reason: str) -> None:
        self.status = CANCELLED

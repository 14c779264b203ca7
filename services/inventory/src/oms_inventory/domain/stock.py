"""Stock of one sku: its lots per warehouse, and what each order has reserved from them.

All stock of a sku lives in one aggregate, so two orders allocating the same sku at the
same time conflict on its version and one of them is re-run: never more than is available.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from oms_inventory.domain.errors import ExpiryMismatch, InvalidPick, InvalidQuantity

ZERO = Decimal(0)

LotKey = tuple[str, str]  # (warehouse, lot)


@dataclass(frozen=True)
class LotLine:
    """A quantity of one sku in one warehouse and lot (expiry as an ISO date, if any)."""

    sku: str
    warehouse: str
    lot: str
    quantity: Decimal
    expires_on: str | None = None

    @property
    def key(self) -> LotKey:
        return (self.warehouse, self.lot)

    def with_quantity(self, quantity: Decimal) -> LotLine:
        return LotLine(self.sku, self.warehouse, self.lot, quantity, self.expires_on)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "warehouse": self.warehouse,
            "lot": self.lot,
            "quantity": self.quantity,
            "expires_on": self.expires_on,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LotLine:
        return cls(
            sku=str(data["sku"]),
            warehouse=str(data["warehouse"]),
            lot=str(data["lot"]),
            quantity=Decimal(data["quantity"]),
            expires_on=data.get("expires_on"),
        )


def as_dicts(lines: Iterable[LotLine]) -> list[dict[str, Any]]:
    return [line.as_dict() for line in lines]


def from_dicts(data: Iterable[dict[str, Any]]) -> list[LotLine]:
    return [LotLine.from_dict(d) for d in data]


@dataclass
class Lot:
    """One lot of the sku in one warehouse (state only, rebuilt from the events)."""

    warehouse: str
    lot: str
    expires_on: str | None
    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    def fefo_key(self) -> tuple[bool, str, str, str]:
        """First-expiry-first-out: earliest expiry first, lots without expiry last."""
        return (self.expires_on is None, self.expires_on or "", self.warehouse, self.lot)


def check_quantity(quantity: Decimal, field: str = "quantity") -> None:
    if not quantity.is_finite() or quantity <= ZERO:
        raise InvalidQuantity(f"{field} must be a number greater than zero", field=field)


class Stock(Aggregate):
    """All stock of one sku."""

    class Opened(Aggregate.Created):
        sku: str

    class Received(Aggregate.Event):
        sku: str
        warehouse: str
        lot: str
        quantity: Decimal
        expires_on: str | None

    class Returned(Aggregate.Event):
        """Goods came back (a customer's return) into a warehouse lot."""

        sku: str
        warehouse: str
        lot: str
        quantity: Decimal
        expires_on: str | None
        reason: str
        order_id: str | None

    class Reserved(Aggregate.Event):
        order_id: str
        allocations: list[dict[str, Any]]

    class Released(Aggregate.Event):
        order_id: str
        allocations: list[dict[str, Any]]

    class Issued(Aggregate.Event):
        """Goods left: ``picked`` leaves on hand, ``released`` is the reservation used up."""

        order_id: str
        picked: list[dict[str, Any]]
        released: list[dict[str, Any]]

    class SupplierAssigned(Aggregate.Event):
        """The supplier that purchase orders for this sku go to."""

        sku: str
        supplier_id: str

    class Backordered(Aggregate.Event):
        """An order is held for want of this sku: a receipt tries it again."""

        order_id: str

    class BackorderDropped(Aggregate.Event):
        """A held order no longer waits for this sku (cancelled or reserved elsewhere)."""

        order_id: str

    class LevelChanged(Aggregate.Event):
        """The sku's totals after a change, for subscribers."""

        sku: str
        on_hand: Decimal
        reserved: Decimal
        available: Decimal

    @staticmethod
    def create_id(sku: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/inventory/stock/{sku}")

    @event(Opened)
    def __init__(self, sku: str) -> None:
        self.sku = sku
        self.lots: dict[LotKey, Lot] = {}
        #: order id -> (warehouse, lot) -> quantity that order still has reserved there.
        self.reservations: dict[str, dict[LotKey, Decimal]] = {}
        self.supplier_id: str | None = None
        #: Orders held for want of this sku, first held first.
        self.backorders: list[str] = []

    # Queries
    @property
    def on_hand(self) -> Decimal:
        return sum((lot.on_hand for lot in self.lots.values()), ZERO)

    @property
    def reserved(self) -> Decimal:
        return sum((lot.reserved for lot in self.lots.values()), ZERO)

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    def locations(self) -> list[Lot]:
        """Lots in first-expiry-first-out order."""
        return sorted(self.lots.values(), key=Lot.fefo_key)

    def lot(self, warehouse: str, lot: str) -> Lot | None:
        return self.lots.get((warehouse, lot))

    def reserved_for(self, order_id: str) -> list[LotLine]:
        """What ``order_id`` still has reserved, lot by lot, in FEFO order."""
        held = self.reservations.get(order_id, {})
        return [
            LotLine(self.sku, lot.warehouse, lot.lot, held[key], lot.expires_on)
            for key, lot in sorted(self.lots.items(), key=lambda kv: kv[1].fefo_key())
            if held.get(key, ZERO) > ZERO
        ]

    def reserved_by(self, order_id: str, warehouse: str, lot: str) -> Decimal:
        return self.reservations.get(order_id, {}).get((warehouse, lot), ZERO)

    def plan(self, quantity: Decimal) -> list[LotLine] | None:
        """Lots to reserve ``quantity`` from, first-expiry-first-out; None when short."""
        remaining = quantity
        out: list[LotLine] = []
        for lot in self.locations():
            if remaining <= ZERO:
                break
            take = min(lot.available, remaining)
            if take > ZERO:
                out.append(LotLine(self.sku, lot.warehouse, lot.lot, take, lot.expires_on))
                remaining -= take
        return out if remaining <= ZERO else None

    # Commands
    def receive(
        self, warehouse: str, lot: str, quantity: Decimal, expires_on: str | None = None
    ) -> None:
        expires_on = self._check_receipt(warehouse, lot, quantity, expires_on)
        self._received(
            sku=self.sku, warehouse=warehouse, lot=lot, quantity=quantity, expires_on=expires_on
        )
        self._record_level()

    def take_back(
        self,
        warehouse: str,
        lot: str,
        quantity: Decimal,
        reason: str,
        expires_on: str | None = None,
        order_id: str | None = None,
    ) -> None:
        """Returned goods go back on hand in the lot (the lot's expiry, when it exists)."""
        expires_on = self._check_receipt(warehouse, lot, quantity, expires_on)
        self._returned(
            sku=self.sku,
            warehouse=warehouse,
            lot=lot,
            quantity=quantity,
            expires_on=expires_on,
            reason=reason,
            order_id=order_id,
        )
        self._record_level()

    def _check_receipt(
        self, warehouse: str, lot: str, quantity: Decimal, expires_on: str | None
    ) -> str | None:
        """The expiry goods arriving in the lot have (the lot's when it exists)."""
        check_quantity(quantity)
        existing = self.lot(warehouse, lot)
        if existing is not None:
            if expires_on is not None and expires_on != existing.expires_on:
                raise ExpiryMismatch(
                    f"lot {lot!r} in warehouse {warehouse!r} expires on "
                    f"{existing.expires_on or 'no date'}, not {expires_on}",
                    field="expires_on",
                )
            expires_on = existing.expires_on
        return expires_on

    def reserve(self, order_id: str, allocations: list[LotLine]) -> None:
        """Reserve exactly these lots for the order; each must still be available."""
        for line in allocations:
            check_quantity(line.quantity)
            lot = self.lot(line.warehouse, line.lot)
            if line.sku != self.sku or lot is None or lot.available < line.quantity:
                raise InvalidPick(f"cannot reserve {line.quantity} of {self.sku} from {line.lot}")
        self._reserved(order_id=order_id, allocations=as_dicts(allocations))
        self._record_level()

    def release(self, order_id: str) -> list[LotLine]:
        """Release what the order still has reserved; returns it (empty when nothing)."""
        lines = self.reserved_for(order_id)
        if lines:
            self._released(order_id=order_id, allocations=as_dicts(lines))
            self._record_level()
        return lines

    def issue(self, order_id: str, picked: list[LotLine], released: list[LotLine]) -> None:
        """Goods left the warehouse: ``picked`` leaves on hand, ``released`` is the order's
        reservation it used up (the same lots, unless the picker took another lot)."""
        if sum((p.quantity for p in picked), ZERO) != sum((r.quantity for r in released), ZERO):
            raise InvalidPick("picked and released quantities differ")
        for line in released:
            if self.reserved_by(order_id, line.warehouse, line.lot) < line.quantity:
                raise InvalidPick(f"lot {line.lot} has less reserved than picked", field="lot")
        for line in picked:
            lot = self.lot(line.warehouse, line.lot)
            if lot is None or lot.on_hand < line.quantity:
                raise InvalidPick(f"lot {line.lot} has less on hand than picked", field="lot")
        self._issued(order_id=order_id, picked=as_dicts(picked), released=as_dicts(released))
        self._record_level()

    def assign_supplier(self, supplier_id: str) -> None:
        if supplier_id != self.supplier_id:
            self._supplier_assigned(sku=self.sku, supplier_id=supplier_id)

    def backorder(self, order_id: str) -> bool:
        """Hold ``order_id`` until this sku arrives. True when it was not held yet."""
        if order_id in self.backorders:
            return False
        self._backordered(order_id=order_id)
        return True

    def drop_backorder(self, order_id: str) -> None:
        if order_id in self.backorders:
            self._backorder_dropped(order_id=order_id)

    # Events
    @event(SupplierAssigned)
    def _supplier_assigned(self, sku: str, supplier_id: str) -> None:
        self.supplier_id = supplier_id

    @event(Backordered)
    def _backordered(self, order_id: str) -> None:
        self.backorders.append(order_id)

    @event(BackorderDropped)
    def _backorder_dropped(self, order_id: str) -> None:
        self.backorders.remove(order_id)

    @event(Received)
    def _received(
        self, sku: str, warehouse: str, lot: str, quantity: Decimal, expires_on: str | None
    ) -> None:
        self._put_on_hand(warehouse, lot, quantity, expires_on)

    def _put_on_hand(
        self, warehouse: str, lot: str, quantity: Decimal, expires_on: str | None
    ) -> None:
        key = (warehouse, lot)
        if key not in self.lots:
            self.lots[key] = Lot(warehouse, lot, expires_on)
        self.lots[key].on_hand += quantity

    @event(Returned)
    def _returned(
        self,
        sku: str,
        warehouse: str,
        lot: str,
        quantity: Decimal,
        expires_on: str | None,
        reason: str,
        order_id: str | None,
    ) -> None:
        self._put_on_hand(warehouse, lot, quantity, expires_on)

    @event(Reserved)
    def _reserved(self, order_id: str, allocations: list[dict[str, Any]]) -> None:
        if order_id in self.backorders:
            self.backorders.remove(order_id)
        held = self.reservations.setdefault(order_id, {})
        for line in from_dicts(allocations):
            self.lots[line.key].reserved += line.quantity
            held[line.key] = held.get(line.key, ZERO) + line.quantity

    @event(Released)
    def _released(self, order_id: str, allocations: list[dict[str, Any]]) -> None:
        self._unreserve(order_id, from_dicts(allocations))

    @event(Issued)
    def _issued(
        self, order_id: str, picked: list[dict[str, Any]], released: list[dict[str, Any]]
    ) -> None:
        self._unreserve(order_id, from_dicts(released))
        for line in from_dicts(picked):
            self.lots[line.key].on_hand -= line.quantity

    @event(LevelChanged)
    def _level_changed(
        self, sku: str, on_hand: Decimal, reserved: Decimal, available: Decimal
    ) -> None:
        pass  # a snapshot of the totals for subscribers; the state is already changed

    def _record_level(self) -> None:
        self._level_changed(
            sku=self.sku, on_hand=self.on_hand, reserved=self.reserved, available=self.available
        )

    def _unreserve(self, order_id: str, lines: list[LotLine]) -> None:
        held = self.reservations.setdefault(order_id, {})
        for line in lines:
            self.lots[line.key].reserved -= line.quantity
            left = held.get(line.key, ZERO) - line.quantity
            if left > ZERO:
                held[line.key] = left
            else:
                held.pop(line.key, None)
        if not held:
            self.reservations.pop(order_id, None)

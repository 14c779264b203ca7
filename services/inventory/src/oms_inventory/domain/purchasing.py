"""Purchasing: suppliers, and purchase orders that merge what customer orders need into one
order per supplier; receiving one brings its goods into stock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate, event

from oms_inventory.domain.errors import InvalidReceipt, PurchaseOrderClosed
from oms_inventory.domain.stock import ZERO, LotLine, as_dicts, check_quantity

OPEN = "open"
PARTIALLY_RECEIVED = "partially_received"
RECEIVED = "received"


class Supplier(Aggregate):
    """Someone stock is bought from."""

    class Registered(Aggregate.Created):
        name: str
        email: str

    @event(Registered)
    def __init__(self, name: str, email: str) -> None:
        self.name = name
        self.email = email


@dataclass(frozen=True)
class PurchaseLine:
    """A quantity of one sku ordered from a supplier, and how much of it has arrived."""

    sku: str
    quantity: Decimal
    received: Decimal = ZERO

    @property
    def outstanding(self) -> Decimal:
        return max(self.quantity - self.received, ZERO)


class PurchaseOrder(Aggregate):
    """One order to one supplier, merged from the needs of customer orders."""

    class Created(Aggregate.Created):
        supplier_id: str
        lines: list[dict[str, Any]]
        #: The customer orders whose needs it covers.
        order_ids: list[str]

    class Received(Aggregate.Event):
        supplier_id: str
        lines: list[dict[str, Any]]
        status: str

    @event(Created)
    def __init__(self, supplier_id: str, lines: list[dict[str, Any]], order_ids: list[str]) -> None:
        self.supplier_id = supplier_id
        self.ordered = {str(line["sku"]): Decimal(line["quantity"]) for line in lines}
        self.received: dict[str, Decimal] = {}
        self.order_ids = list(order_ids)
        self.status = OPEN
        self.receipts: list[LotLine] = []

    @classmethod
    def order(
        cls, supplier_id: str, quantities: Mapping[str, Decimal], order_ids: list[str]
    ) -> PurchaseOrder:
        for quantity in quantities.values():
            check_quantity(quantity)
        return cls(
            supplier_id=supplier_id,
            lines=[{"sku": sku, "quantity": quantity} for sku, quantity in quantities.items()],
            order_ids=order_ids,
        )

    @property
    def lines(self) -> list[PurchaseLine]:
        return [
            PurchaseLine(sku, quantity, self.received.get(sku, ZERO))
            for sku, quantity in self.ordered.items()
        ]

    def receive(self, lines: list[LotLine]) -> None:
        """Goods of this order arrived (part of it, or all). A sku it did not order, or
        more than it still waits for, is refused naming the line."""
        if self.status == RECEIVED:
            raise PurchaseOrderClosed(f"purchase order {self.id} is received in full")
        if not lines:
            raise InvalidReceipt("nothing was received", field="lines")
        arriving: dict[str, Decimal] = {}
        for number, line in enumerate(lines):
            check_quantity(line.quantity, field=f"lines.{number}.quantity")
            if line.sku not in self.ordered:
                raise InvalidReceipt(
                    f"{line.sku} is not on this purchase order", field=f"lines.{number}.sku"
                )
            arriving[line.sku] = arriving.get(line.sku, ZERO) + line.quantity
            outstanding = self.ordered[line.sku] - self.received.get(line.sku, ZERO)
            if arriving[line.sku] > outstanding:
                raise InvalidReceipt(
                    f"{line.sku}: {outstanding} still to receive, not {arriving[line.sku]}",
                    field=f"lines.{number}.quantity",
                )
        after = {
            sku: self.received.get(sku, ZERO) + arriving.get(sku, ZERO) for sku in self.ordered
        }
        done = all(after[sku] >= quantity for sku, quantity in self.ordered.items())
        self._received(
            supplier_id=self.supplier_id,
            lines=as_dicts(lines),
            status=RECEIVED if done else PARTIALLY_RECEIVED,
        )

    @event(Received)
    def _received(self, supplier_id: str, lines: list[dict[str, Any]], status: str) -> None:
        for line in lines:
            sku = str(line["sku"])
            self.received[sku] = self.received.get(sku, ZERO) + Decimal(line["quantity"])
            self.receipts.append(LotLine.from_dict(line))
        self.status = status

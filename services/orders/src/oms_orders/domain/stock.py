"""A product's stock as last heard from inventory (its StockLevelChanged events): what the
catalogue and the cart show beside each product. Inventory decides; orders only repeats
the last level it heard, ignoring one older than it (events of one stock record arrive in
its version order on one partition, but a redelivery may repeat an older one)."""

from __future__ import annotations

from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class StockLevel(Aggregate):
    # Events (their names are part of the stored events' topics: never rename one) ------

    class StockLevelOpened(Aggregate.Created):
        sku: str

    class StockLevelHeard(Aggregate.Event):
        sku: str
        on_hand: Decimal
        reserved: Decimal
        available: Decimal
        #: Inventory's stock record and its version that said it.
        source_id: str
        source_version: int

    @staticmethod
    def create_id(sku: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/orders/stock-level/{sku}")

    @event(StockLevelOpened)
    def __init__(self, sku: str) -> None:
        self.sku = sku
        self.on_hand: Decimal | None = None
        self.reserved: Decimal | None = None
        self.available: Decimal | None = None
        self.source_id: str | None = None
        self.source_version = 0

    def hear(
        self,
        on_hand: Decimal,
        reserved: Decimal,
        available: Decimal,
        source_id: str,
        source_version: int,
    ) -> bool:
        """Take a level inventory published; False (nothing changes) when it is not newer
        than the one heard from the same stock record."""
        if source_id == self.source_id and source_version <= self.source_version:
            return False
        self._heard(self.sku, on_hand, reserved, available, source_id, source_version)
        return True

    @event(StockLevelHeard)
    def _heard(
        self,
        sku: str,
        on_hand: Decimal,
        reserved: Decimal,
        available: Decimal,
        source_id: str,
        source_version: int,
    ) -> None:
        self.on_hand = on_hand
        self.reserved = reserved
        self.available = available
        self.source_id = source_id
        self.source_version = source_version

"""What a marketplace is told about stock: one listing (a connection's marketplace SKU)
each, holding the available quantity last noted and the one last told. A burst of stock
changes notes several levels; the marketplace is told once, the latest."""

from __future__ import annotations

from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class ListingStock(Aggregate):
    class Opened(Aggregate.Created):
        connection_id: str
        sku: str
        marketplace_sku: str

    class LevelNoted(Aggregate.Event):
        available: Decimal

    class Synced(Aggregate.Event):
        connection_id: str
        sku: str
        marketplace_sku: str
        available: Decimal
        synced_at: str

    @staticmethod
    def create_id(connection_id: str, marketplace_sku: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/marketplace/{connection_id}/listing/{marketplace_sku}")

    @classmethod
    def open(cls, connection_id: str, sku: str, marketplace_sku: str) -> ListingStock:
        return cls._create(
            cls.Opened,
            id=cls.create_id(connection_id, marketplace_sku),
            connection_id=connection_id,
            sku=sku,
            marketplace_sku=marketplace_sku,
        )

    @event(Opened)
    def __init__(self, connection_id: str, sku: str, marketplace_sku: str) -> None:
        self.connection_id = connection_id
        self.sku = sku
        self.marketplace_sku = marketplace_sku
        self.wanted: Decimal | None = None
        self.told: Decimal | None = None

    @property
    def pending(self) -> bool:
        """The marketplace has not been told the latest level."""
        return self.wanted is not None and self.wanted != self.told

    def note(self, available: Decimal) -> bool:
        """Inventory's available quantity changed; True when that is news."""
        available = max(available, Decimal(0))  # a marketplace takes no negative stock
        if available == self.wanted:
            return False
        self._level_noted(available=available)
        return True

    def record_synced(self, available: Decimal, synced_at: str) -> None:
        self._synced(
            connection_id=self.connection_id,
            sku=self.sku,
            marketplace_sku=self.marketplace_sku,
            available=available,
            synced_at=synced_at,
        )

    @event(LevelNoted)
    def _level_noted(self, available: Decimal) -> None:
        self.wanted = available

    @event(Synced)
    def _synced(
        self,
        connection_id: str,
        sku: str,
        marketplace_sku: str,
        available: Decimal,
        synced_at: str,
    ) -> None:
        self.told = available


class SkuListings(Aggregate):
    """The listings (a connection's marketplace SKU) mapped to one catalogue SKU: what a
    change of that SKU's stock is to be told to, found without reading every connection."""

    class Started(Aggregate.Created):
        sku: str

    class Listed(Aggregate.Event):
        connection_id: str
        marketplace_sku: str

    class Unlisted(Aggregate.Event):
        connection_id: str
        marketplace_sku: str

    @staticmethod
    def create_id(sku: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/marketplace/sku/{sku}/listings")

    @classmethod
    def start(cls, sku: str) -> SkuListings:
        return cls._create(cls.Started, id=cls.create_id(sku), sku=sku)

    @event(Started)
    def __init__(self, sku: str) -> None:
        self.sku = sku
        self.listings: list[tuple[str, str]] = []

    def add(self, connection_id: str, marketplace_sku: str) -> None:
        if (connection_id, marketplace_sku) not in self.listings:
            self._listed(connection_id=connection_id, marketplace_sku=marketplace_sku)

    def remove(self, connection_id: str, marketplace_sku: str) -> None:
        if (connection_id, marketplace_sku) in self.listings:
            self._unlisted(connection_id=connection_id, marketplace_sku=marketplace_sku)

    @event(Listed)
    def _listed(self, connection_id: str, marketplace_sku: str) -> None:
        self.listings.append((connection_id, marketplace_sku))

    @event(Unlisted)
    def _unlisted(self, connection_id: str, marketplace_sku: str) -> None:
        self.listings.remove((connection_id, marketplace_sku))

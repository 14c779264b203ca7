"""A marketplace connection: the seller account whose orders are imported, the customer
they are booked to, and where the import stands (its ``lastUpdatedAfter`` cursor).

The credentials are held sealed (encrypted by the application with the key from the
settings): the domain never sees them in the clear, so neither do its events."""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event
from oms_kit.domain import InvalidInput

MARKETPLACES = ("amazon",)


class Connection(Aggregate):
    class Created(Aggregate.Created):
        marketplace: str
        name: str
        seller_id: str
        marketplace_ids: list[str]
        customer_id: str
        sealed_credentials: str
        endpoint: str
        lwa_endpoint: str
        auto_import_minutes: int | None
        sku_map: dict[str, str]
        created_at: str

    class CursorAdvanced(Aggregate.Event):
        last_updated_after: str

    class SkuMapped(Aggregate.Event):
        marketplace_sku: str
        sku: str

    @event(Created)
    def __init__(
        self,
        marketplace: str,
        name: str,
        seller_id: str,
        marketplace_ids: list[str],
        customer_id: str,
        sealed_credentials: str,
        endpoint: str,
        lwa_endpoint: str,
        auto_import_minutes: int | None,
        sku_map: dict[str, str],
        created_at: str,
    ) -> None:
        if marketplace not in MARKETPLACES:
            raise InvalidInput(f"unknown marketplace {marketplace!r}", field="marketplace")
        if not marketplace_ids:
            raise InvalidInput("at least one marketplace id is needed", field="marketplace_ids")
        self.marketplace = marketplace
        self.name = name
        self.seller_id = seller_id
        self.marketplace_ids = list(marketplace_ids)
        self.customer_id = customer_id
        self.sealed_credentials = sealed_credentials
        self.endpoint = endpoint
        self.lwa_endpoint = lwa_endpoint
        self.auto_import_minutes = auto_import_minutes
        self.sku_map = dict(sku_map)
        self.created_at = created_at
        #: Orders last updated after this instant are still to be read (the automatic
        #: import's cursor); None: never imported automatically yet.
        self.last_updated_after: str | None = None

    @property
    def connection_id(self) -> str:
        return str(self.id)

    def catalogue_sku(self, marketplace_sku: str) -> str:
        """The catalogue SKU a marketplace SKU stands for (itself when not mapped)."""
        return self.sku_map.get(marketplace_sku, marketplace_sku)

    def marketplace_skus(self, sku: str) -> list[str]:
        """The marketplace SKUs that stand for a catalogue SKU."""
        mapped = [m for m, s in self.sku_map.items() if s == sku]
        if sku not in self.sku_map and sku not in mapped:
            mapped.append(sku)
        return mapped

    def advance_cursor(self, last_updated_after: str) -> None:
        """Every order updated up to ``last_updated_after`` is stored: move the cursor."""
        if self.last_updated_after is None or last_updated_after > self.last_updated_after:
            self._cursor_advanced(last_updated_after=last_updated_after)

    def map_sku(self, marketplace_sku: str, sku: str) -> None:
        if self.sku_map.get(marketplace_sku) != sku:
            self._sku_mapped(marketplace_sku=marketplace_sku, sku=sku)

    @event(CursorAdvanced)
    def _cursor_advanced(self, last_updated_after: str) -> None:
        self.last_updated_after = last_updated_after

    @event(SkuMapped)
    def _sku_mapped(self, marketplace_sku: str, sku: str) -> None:
        self.sku_map[marketplace_sku] = sku

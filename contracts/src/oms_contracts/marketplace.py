"""Public events of the marketplace-ingest service."""

from __future__ import annotations

from oms_contracts.base import ContractEvent, Quantity, UtcDatetime


class _Marketplace(ContractEvent):
    source = "marketplace-ingest"


class MarketplaceOrderImported(_Marketplace):
    marketplace: str
    external_order_id: str
    import_run_id: str | None = None
    order_id: str | None = None


class ImportRunCompleted(_Marketplace):
    import_run_id: str
    marketplace: str
    window_from: UtcDatetime
    window_to: UtcDatetime
    imported: int
    skipped: int


class StockSyncedToMarketplace(_Marketplace):
    marketplace: str
    sku: str
    available: Quantity

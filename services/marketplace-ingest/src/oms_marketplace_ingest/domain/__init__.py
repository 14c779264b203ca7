"""The marketplace-ingest domain: connections, imported orders, import runs."""

from oms_marketplace_ingest.domain.catalogue import Product
from oms_marketplace_ingest.domain.connection import MARKETPLACES, Connection
from oms_marketplace_ingest.domain.import_run import (
    AUTOMATIC,
    COMPLETED,
    FAILED,
    MANUAL,
    RUNNING,
    ImportRun,
)
from oms_marketplace_ingest.domain.order import MarketplaceOrder

__all__ = [
    "AUTOMATIC",
    "COMPLETED",
    "FAILED",
    "MANUAL",
    "MARKETPLACES",
    "RUNNING",
    "Connection",
    "ImportRun",
    "MarketplaceOrder",
    "Product",
]

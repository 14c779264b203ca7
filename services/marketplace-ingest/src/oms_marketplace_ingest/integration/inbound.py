"""Contract events the marketplace-ingest service reacts to, and its handler for each."""

from oms_contracts import ContractEvent
from oms_kit.consumer import Handler

from oms_marketplace_ingest.application import MarketplaceIngestApplication

#: Services whose topics it consumes.
SOURCES: list[str] = []


def handlers(app: MarketplaceIngestApplication) -> dict[type[ContractEvent], Handler]:
    return {}

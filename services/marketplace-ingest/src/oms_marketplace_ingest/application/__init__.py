"""The marketplace-ingest service's use cases: one Application method per command."""

from oms_kit.eventstore import ServiceApplication


class MarketplaceIngestApplication(ServiceApplication):
    name = "marketplace_ingest"

"""The marketplace-ingest service's use cases: one Application method per command or
reaction. Commands save what they change; reactions return the changed aggregates unsaved."""

from __future__ import annotations

from oms_kit.eventstore import ServiceApplication


class MarketplaceIngestApplication(ServiceApplication):
    name = "marketplace_ingest"

"""The contract events the marketplace-ingest service consumes, one typed handler each."""

from __future__ import annotations

from oms_kit.service import Inbound

from oms_marketplace_ingest.application import MarketplaceIngestApplication

inbound = Inbound(MarketplaceIngestApplication)

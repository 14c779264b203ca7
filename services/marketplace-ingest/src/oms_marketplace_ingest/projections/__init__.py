"""Read models of the marketplace-ingest service.

Each is rebuildable with `oms replay marketplace-ingest NAME`."""

from oms_kit.projection import Projection


def projections() -> list[Projection]:
    return []

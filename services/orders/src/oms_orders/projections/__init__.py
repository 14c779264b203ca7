"""Read models of the orders service, each rebuildable with `oms replay orders NAME`."""

from oms_kit.projection import Projection


def projections() -> list[Projection]:
    return []

"""Read models of the billing service, each rebuildable with `oms replay billing NAME`."""

from oms_kit.projection import Projection


def projections() -> list[Projection]:
    return []

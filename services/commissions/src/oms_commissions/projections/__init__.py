"""Read models of the commissions service, each rebuildable with `oms replay commissions NAME`."""

from oms_kit.projection import Projection


def projections() -> list[Projection]:
    return []

"""Read models of the inventory service, each rebuildable with `oms replay inventory NAME`."""

from oms_kit.projection import Projection


def projections() -> list[Projection]:
    return []

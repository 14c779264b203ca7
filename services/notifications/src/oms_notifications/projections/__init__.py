"""Read models of the notifications service, each rebuildable with `oms replay notifications NAME`."""

from oms_kit.projection import Projection


def projections() -> list[Projection]:
    return []

"""Read models of the notifications service.

Each is rebuildable with `oms replay notifications NAME`."""

from oms_kit.projection import Projection


def projections() -> list[Projection]:
    return []

"""Read models of the inventory service, each rebuildable with `oms replay inventory NAME`."""

from oms_kit.projection import Projection

from oms_inventory.projections.stock_levels import StockLevelsView


def projections() -> list[Projection]:
    return [StockLevelsView()]

"""Read models of the orders service, each rebuildable with `oms replay orders NAME`."""

from oms_kit.projection import Projection

from oms_orders.projections.order_list import OrderList


def projections() -> list[Projection]:
    return [OrderList()]

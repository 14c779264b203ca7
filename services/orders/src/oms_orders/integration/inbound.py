"""Contract events the orders service reacts to, and its handler for each."""

from oms_contracts import ContractEvent
from oms_kit.consumer import Handler

from oms_orders.application import OrdersApplication

#: Services whose topics it consumes.
SOURCES: list[str] = []


def handlers(app: OrdersApplication) -> dict[type[ContractEvent], Handler]:
    return {}

"""Contract events the inventory service reacts to, and its handler for each."""

from oms_contracts import ContractEvent
from oms_kit.consumer import Handler

from oms_inventory.application import InventoryApplication

#: Services whose topics it consumes.
SOURCES: list[str] = []


def handlers(app: InventoryApplication) -> dict[type[ContractEvent], Handler]:
    return {}

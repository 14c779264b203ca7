"""Contract events the commissions service reacts to, and its handler for each."""

from oms_contracts import ContractEvent
from oms_kit.consumer import Handler

from oms_commissions.application import CommissionsApplication

#: Services whose topics it consumes.
SOURCES: list[str] = []


def handlers(app: CommissionsApplication) -> dict[type[ContractEvent], Handler]:
    return {}

"""Contract events the billing service reacts to, and its handler for each."""

from oms_contracts import ContractEvent
from oms_kit.consumer import Handler

from oms_billing.application import BillingApplication

#: Services whose topics it consumes.
SOURCES: list[str] = []


def handlers(app: BillingApplication) -> dict[type[ContractEvent], Handler]:
    return {}

"""Contract events the notifications service reacts to, and its handler for each."""

from oms_contracts import ContractEvent
from oms_kit.consumer import Handler

from oms_notifications.application import NotificationsApplication

#: Services whose topics it consumes.
SOURCES: list[str] = []


def handlers(app: NotificationsApplication) -> dict[type[ContractEvent], Handler]:
    return {}

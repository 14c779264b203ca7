"""OMS public event contracts.

Other systems code against these models (or the JSON Schema and AsyncAPI files exported
from them in ``contracts/schemas``). Evolution rule: add optional fields only; a breaking
change is a new ``event_version`` of the same ``event_type``.
"""

from oms_contracts.base import ContractEvent, registry
from oms_contracts.envelope import Envelope, InvalidMessage, UnknownEvent, parse_message
from oms_contracts.topics import dlq_topic, events_topic

__all__ = [
    "ContractEvent",
    "Envelope",
    "InvalidMessage",
    "UnknownEvent",
    "dlq_topic",
    "events_topic",
    "parse_message",
    "registry",
]

# Importing the event modules registers every public event.
from oms_contracts import (
    billing,
    commissions,
    inventory,
    marketplace_ingest,
    notifications,
    orders,
)

__all__ += [
    "billing",
    "commissions",
    "inventory",
    "marketplace_ingest",
    "notifications",
    "orders",
]

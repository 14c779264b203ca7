"""Private domain events of the notifications service -> public contract events."""

from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from oms_contracts import ContractEvent


def to_contract(event: DomainEventProtocol[UUID]) -> ContractEvent | None:
    """The public event for a domain event, or None when it stays private."""
    return None

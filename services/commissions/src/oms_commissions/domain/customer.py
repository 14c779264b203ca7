"""The customer's name, as the orders service names it (the reports show it). Learnt from
customer events that may arrive repeated or out of order: ordered by the customer's version."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class CustomerName(Aggregate):
    class Opened(Aggregate.Created):
        customer_id: str

    class Named(Aggregate.Event):
        customer_id: str
        name: str
        customer_version: int

    @staticmethod
    def create_id(customer_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/commissions/customer/{customer_id}")

    @event(Opened)
    def __init__(self, customer_id: str) -> None:
        self.customer_id = customer_id
        self.name = ""
        self.name_version = 0

    def rename(self, name: str, customer_version: int) -> bool:
        """Take ``name`` as ``customer_version`` names it; False when that version or a
        later one is known already."""
        if customer_version <= self.name_version:
            return False
        self._named(self.customer_id, name, customer_version)
        return True

    @event(Named)
    def _named(self, customer_id: str, name: str, customer_version: int) -> None:
        self.name = name
        self.name_version = customer_version

"""Billing's record of a customer's sales rep: whose portfolio the customer's invoices and
statement belong to. Learned from the orders service's customer events, which may arrive
repeated or out of order."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class CustomerAccount(Aggregate):
    """One customer's rep, with the version of the customer (in the orders service) that
    named him. A rep named by an earlier or the same version is stale and changes nothing,
    so an update that overtook the registration is not undone by it."""

    class Opened(Aggregate.Created):
        customer_id: str

    class RepAssigned(Aggregate.Event):
        customer_id: str
        sales_rep_id: str | None
        customer_version: int

    @staticmethod
    def create_id(customer_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/billing/customer/{customer_id}")

    @event(Opened)
    def __init__(self, customer_id: str) -> None:
        self.customer_id = customer_id
        self.sales_rep_id: str | None = None
        #: The customer's version that named the rep; 0: none named him yet.
        self.rep_version = 0

    def assign_rep(self, sales_rep_id: str | None, customer_version: int) -> bool:
        """Take ``sales_rep_id`` as the rep that ``customer_version`` of the customer
        names; False when that version, or a later one, is known already."""
        if customer_version <= self.rep_version:
            return False
        self._rep_assigned(self.customer_id, sales_rep_id, customer_version)
        return True

    @event(RepAssigned)
    def _rep_assigned(
        self, customer_id: str, sales_rep_id: str | None, customer_version: int
    ) -> None:
        self.sales_rep_id = sales_rep_id
        self.rep_version = customer_version

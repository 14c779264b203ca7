"""Billing's record of a customer: his sales rep (whose portfolio the customer's invoices and
statement belong to) and what his invoice documents name (his name, tax id, language and
fiscal data). Learned from the orders service's customer events, which may arrive repeated
or out of order."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

#: The customer's invoicing choice that makes goods issues wait to be chosen.
ON_DEMAND = "on_demand"


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

    class DetailsRecorded(Aggregate.Event):
        """What the customer's documents name, as of ``customer_version``: only the
        fields that version set (the others stay as they were)."""

        customer_id: str
        details: dict[str, Any]
        customer_version: int

    #: The fields of ``details``: the name, tax id (Mexico: the RFC), language and the
    #: fiscal data of DESIGN section 10.
    #: And how he is invoiced: "per_goods_issue" (each goods issue at once) or
    #: "on_demand" (goods issues wait until the back office invoices chosen ones).
    DETAIL_FIELDS = (
        "name",
        "tax_id",
        "language",
        "fiscal_regime",
        "postal_code",
        "cfdi_use",
        "invoicing",
    )

    @staticmethod
    def create_id(customer_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/billing/customer/{customer_id}")

    @event(Opened)
    def __init__(self, customer_id: str) -> None:
        self.customer_id = customer_id
        self.sales_rep_id: str | None = None
        #: The customer's version that named the rep; 0: none named him yet.
        self.rep_version = 0
        self.name: str | None = None
        self.tax_id: str | None = None
        self.language: str | None = None
        self.fiscal_regime: str | None = None
        self.postal_code: str | None = None
        self.cfdi_use: str | None = None
        self.invoicing: str | None = None
        #: Each detail's field -> the customer's version that set it: an update that
        #: overtook the registration keeps what it changed, the rest comes from the latter.
        self.detail_versions: dict[str, int] = {}

    @property
    def invoices_on_demand(self) -> bool:
        return self.invoicing == ON_DEMAND

    def assign_rep(self, sales_rep_id: str | None, customer_version: int) -> bool:
        """Take ``sales_rep_id`` as the rep that ``customer_version`` of the customer
        names; False when that version, or a later one, is known already."""
        if customer_version <= self.rep_version:
            return False
        self._rep_assigned(self.customer_id, sales_rep_id, customer_version)
        return True

    def record_details(self, details: dict[str, Any], customer_version: int) -> bool:
        """Take the details ``customer_version`` of the customer set (None: not set by it),
        each unless a later version set it already; False when nothing is new."""
        given = {
            field: str(value)
            for field, value in details.items()
            if field in self.DETAIL_FIELDS
            and value is not None
            and self.detail_versions.get(field, 0) < customer_version
        }
        if not given:
            return False
        self._details_recorded(self.customer_id, given, customer_version)
        return True

    @event(RepAssigned)
    def _rep_assigned(
        self, customer_id: str, sales_rep_id: str | None, customer_version: int
    ) -> None:
        self.sales_rep_id = sales_rep_id
        self.rep_version = customer_version

    @event(DetailsRecorded)
    def _details_recorded(
        self, customer_id: str, details: dict[str, Any], customer_version: int
    ) -> None:
        for field, value in details.items():
            setattr(self, field, value)
            self.detail_versions[field] = customer_version

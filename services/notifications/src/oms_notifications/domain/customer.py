"""A customer, as the orders service registers and updates him (CustomerRegistered,
CustomerUpdated): name, e-mail, language and sales rep."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from oms_notifications.domain.directory import Fields, apply, entry_id, newer


class Customer(Aggregate):
    class Opened(Aggregate.Created):
        customer_id: str

    class Learnt(Aggregate.Event):
        fields: Fields
        version: int

    @staticmethod
    def create_id(customer_id: str) -> UUID:
        return entry_id("customer", customer_id)

    @event(Opened)
    def __init__(self, customer_id: str) -> None:
        self.customer_id = customer_id
        self.values: Fields = {}
        self.versions: dict[str, int] = {}

    def learn(self, fields: Fields, version: int) -> bool:
        """Take what version ``version`` of the source record says; False when nothing
        in it is new."""
        news = newer(fields, version, self.versions)
        if not news:
            return False
        self._learnt(news, version)
        return True

    @event(Learnt)
    def _learnt(self, fields: Fields, version: int) -> None:
        apply(self.values, self.versions, fields, version)

    @property
    def name(self) -> str | None:
        return self.values.get("name")

    @property
    def email(self) -> str | None:
        return self.values.get("email")

    @property
    def language(self) -> str | None:
        return self.values.get("language")

    @property
    def sales_rep_id(self) -> str | None:
        return self.values.get("sales_rep_id")

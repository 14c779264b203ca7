"""A sales rep: name and e-mail (SalesRepRegistered) and language (that of his user,
UserRegistered; the company's until one is known)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from oms_notifications.domain.directory import Fields, apply, entry_id, newer


class SalesRep(Aggregate):
    class Opened(Aggregate.Created):
        sales_rep_id: str

    class Learnt(Aggregate.Event):
        fields: Fields
        version: int

    @staticmethod
    def create_id(sales_rep_id: str) -> UUID:
        return entry_id("sales_rep", sales_rep_id)

    @event(Opened)
    def __init__(self, sales_rep_id: str) -> None:
        self.sales_rep_id = sales_rep_id
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

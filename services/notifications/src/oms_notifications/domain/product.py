"""A product of the catalogue: its name (ProductDefined), for stock alerts."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from oms_notifications.domain.directory import Fields, apply, entry_id, newer


class Product(Aggregate):
    class Opened(Aggregate.Created):
        sku: str

    class Learnt(Aggregate.Event):
        fields: Fields
        version: int

    @staticmethod
    def create_id(sku: str) -> UUID:
        return entry_id("product", sku)

    @event(Opened)
    def __init__(self, sku: str) -> None:
        self.sku = sku
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

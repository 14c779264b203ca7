"""The catalogue SKUs the orders service defined: an import refuses any other SKU."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class Product(Aggregate):
    class Defined(Aggregate.Created):
        sku: str

    @staticmethod
    def create_id(sku: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/marketplace/catalogue/{sku}")

    @event(Defined)
    def __init__(self, sku: str) -> None:
        self.sku = sku

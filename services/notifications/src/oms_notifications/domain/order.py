"""An order: its customer, rep, total, currency and expected delivery date (OrderPlaced,
OrderConfirmed): OrderStatusChanged names only the order."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from oms_notifications.domain.directory import Fields, apply, entry_id, newer


class Order(Aggregate):
    class Opened(Aggregate.Created):
        order_id: str

    class Learnt(Aggregate.Event):
        fields: Fields
        version: int

    @staticmethod
    def create_id(order_id: str) -> UUID:
        return entry_id("order", order_id)

    @event(Opened)
    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
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
    def customer_id(self) -> str | None:
        return self.values.get("customer_id")

    @property
    def sales_rep_id(self) -> str | None:
        return self.values.get("sales_rep_id")

    @property
    def total(self) -> str | None:
        return self.values.get("total")

    @property
    def currency(self) -> str | None:
        return self.values.get("currency")

    @property
    def expected_delivery_date(self) -> str | None:
        return self.values.get("expected_delivery_date")

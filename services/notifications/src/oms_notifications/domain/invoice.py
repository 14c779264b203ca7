"""An invoice: its order, customer, number, total and currency (InvoiceIssued): the
stamp and the payments name less."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from oms_notifications.domain.directory import Fields, apply, entry_id, newer


class Invoice(Aggregate):
    class Opened(Aggregate.Created):
        invoice_id: str

    class Learnt(Aggregate.Event):
        fields: Fields
        version: int

    @staticmethod
    def create_id(invoice_id: str) -> UUID:
        return entry_id("invoice", invoice_id)

    @event(Opened)
    def __init__(self, invoice_id: str) -> None:
        self.invoice_id = invoice_id
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
    def order_id(self) -> str | None:
        return self.values.get("order_id")

    @property
    def customer_id(self) -> str | None:
        return self.values.get("customer_id")

    @property
    def number(self) -> str | None:
        return self.values.get("number")

    @property
    def total(self) -> str | None:
        return self.values.get("total")

    @property
    def currency(self) -> str | None:
        return self.values.get("currency")

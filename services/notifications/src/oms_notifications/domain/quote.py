"""A quote: its customer, total, currency and validity (QuoteCreated, QuoteRevised), for
the e-mail that sends it."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from oms_notifications.domain.directory import Fields, apply, entry_id, newer


class Quote(Aggregate):
    class Opened(Aggregate.Created):
        quote_id: str

    class Learnt(Aggregate.Event):
        fields: Fields
        version: int

    @staticmethod
    def create_id(quote_id: str) -> UUID:
        return entry_id("quote", quote_id)

    @event(Opened)
    def __init__(self, quote_id: str) -> None:
        self.quote_id = quote_id
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
    def total(self) -> str | None:
        return self.values.get("total")

    @property
    def currency(self) -> str | None:
        return self.values.get("currency")

    @property
    def valid_until(self) -> str | None:
        return self.values.get("valid_until")

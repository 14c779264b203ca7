"""A quote: its customer, total, currency and validity (QuoteCreated, QuoteRevised), for
the e-mail that sends it."""

from __future__ import annotations

from oms_notifications.domain.directory import DirectoryEntry


class Quote(DirectoryEntry):
    kind = "quote"

    @property
    def quote_id(self) -> str:
        return self.key

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

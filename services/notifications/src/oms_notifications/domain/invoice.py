"""An invoice: its order, customer, number, total and currency (InvoiceIssued): the
stamp and the payments name less."""

from __future__ import annotations

from oms_notifications.domain.directory import DirectoryEntry


class Invoice(DirectoryEntry):
    kind = "invoice"

    @property
    def invoice_id(self) -> str:
        return self.key

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

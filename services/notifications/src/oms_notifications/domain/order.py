"""An order: its customer, rep, total, currency and expected delivery date (OrderPlaced,
OrderConfirmed): OrderStatusChanged names only the order."""

from __future__ import annotations

from oms_notifications.domain.directory import DirectoryEntry


class Order(DirectoryEntry):
    kind = "order"

    @property
    def order_id(self) -> str:
        return self.key

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

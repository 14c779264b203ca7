"""What the billing routes and loops read from the read models (implemented in
projections/, wired in bootstrap)."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID


class BillingQueries(Protocol):
    def list_invoices(
        self, order_id: str | None, customer_id: str | None, limit: int, offset: int = 0
    ) -> list[dict[str, Any]]:
        """Invoices, newest first, skipping the first ``offset``."""
        ...

    def statement(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's account statement, or None when it has no entries."""
        ...

    def stamping_pending(self) -> list[UUID]:
        """Invoices whose stamping failed and is not yet done."""
        ...

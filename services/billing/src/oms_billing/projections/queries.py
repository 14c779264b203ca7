"""The BillingQueries port over the read models of this package."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from oms_kit.eventstore import SCHEMA_LOCK, ServiceApplication

from oms_billing.projections import invoices, statement


class SqlBillingQueries:
    def __init__(self, app: ServiceApplication) -> None:
        self.app = app
        # The worker's runners create the tables too; the API may start first.
        with app.datastore.transaction(commit=True) as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            invoices.InvoiceListView().create(cur)
            statement.StatementView().create(cur)

    def list_invoices(
        self, order_id: str | None, customer_id: str | None, limit: int, offset: int = 0
    ) -> list[dict[str, Any]]:
        with self.app.datastore.transaction(commit=False) as cur:
            rows: list[dict[str, Any]] = invoices.list_invoices(
                cur, order_id, customer_id, limit, offset
            )
        return rows

    def statement(self, customer_id: str) -> dict[str, Any] | None:
        with self.app.datastore.transaction(commit=False) as cur:
            found: dict[str, Any] | None = statement.statement(cur, customer_id)
        return found

    def stamping_pending(self) -> list[UUID]:
        with self.app.datastore.transaction(commit=False) as cur:
            pending: list[UUID] = invoices.stamping_pending(cur)
        return pending

"""StatementView: each customer's account statement from billing's own events (invoices
debit, payments credit); the running balance is computed when read."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from oms_kit.projection import DictCursor, Projection

from oms_billing.domain.invoice import Invoice


class StatementView(Projection):
    name = "customer_statement"
    tables = ("billing_statement_entries",)

    def create(self, cur: DictCursor) -> None:
        cur.execute(
            """
            CREATE TABLE IF NOT EXISTS billing_statement_entries (
                position bigint PRIMARY KEY,
                customer_id text NOT NULL,
                invoice_id uuid NOT NULL,
                entry_date date NOT NULL,
                type text NOT NULL,
                reference text NOT NULL,
                currency text NOT NULL,
                debit numeric NOT NULL,
                credit numeric NOT NULL
            )
            """
        )
        cur.execute(
            "CREATE INDEX IF NOT EXISTS billing_statement_entries_customer "
            "ON billing_statement_entries (customer_id, position)"
        )

    def apply(
        self,
        cur: DictCursor,
        event: DomainEventProtocol[UUID],
        position: int,
        meta: dict[str, str],
    ) -> None:
        if isinstance(event, Invoice.Issued):
            self._insert(
                cur,
                position,
                event.customer_id,
                event.originator_id,
                event.issued_at.date().isoformat(),
                "invoice",
                event.number,
                event.currency,
                event.total,
                Decimal("0.00"),
            )
        elif isinstance(event, Invoice.PaymentRecorded):
            cur.execute(
                "SELECT reference FROM billing_statement_entries "
                "WHERE invoice_id = %s AND type = 'invoice'",
                (event.originator_id,),
            )
            row = cur.fetchone()
            self._insert(
                cur,
                position,
                event.customer_id,
                event.originator_id,
                event.received_at.date().isoformat(),
                "payment",
                row["reference"] if row else str(event.originator_id),
                event.currency,
                Decimal("0.00"),
                event.amount,
            )

    @staticmethod
    def _insert(cur: DictCursor, position: int, *values: Any) -> None:
        cur.execute(
            "INSERT INTO billing_statement_entries (position, customer_id, invoice_id, "
            "entry_date, type, reference, currency, debit, credit) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (position) DO NOTHING",
            (position, *values),
        )


def statement(cur: DictCursor, customer_id: str) -> dict[str, Any] | None:
    cur.execute(
        "SELECT entry_date, type, reference, currency, debit, credit, "
        "sum(debit - credit) OVER (ORDER BY position) AS balance "
        "FROM billing_statement_entries WHERE customer_id = %s ORDER BY position",
        (customer_id,),
    )
    rows = cur.fetchall()
    if not rows:
        return None
    return {
        "customer_id": customer_id,
        "balance": rows[-1]["balance"],
        "entries": [
            {
                "date": row["entry_date"],
                "type": row["type"],
                "reference": row["reference"],
                "currency": row["currency"],
                "debit": row["debit"],
                "credit": row["credit"],
                "balance": row["balance"],
            }
            for row in rows
        ],
    }

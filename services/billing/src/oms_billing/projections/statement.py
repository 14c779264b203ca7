"""StatementView: each customer's account statement from billing's own events (invoices
debit; payments, cancellations and credit notes credit); the running balance is computed
when read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from oms_kit.auth import Scope
from oms_kit.paging import Where
from oms_kit.projection import DictCursor, Stored, View
from psycopg import sql

from oms_billing.domain.errors import StatementNotFound
from oms_billing.domain.invoice import Invoice
from oms_billing.domain.money import ZERO
from oms_billing.projections.portfolio import within_scope


@dataclass(frozen=True)
class StatementEntry:
    date: date
    type: str
    reference: str
    currency: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Statement:
    customer_id: str
    balance: Decimal
    entries: list[StatementEntry]


class StatementView(View):
    name = "statement"
    tables = ("billing_statement_entries",)
    ddl = """
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
        );
        CREATE INDEX IF NOT EXISTS billing_statement_entries_customer
            ON billing_statement_entries (customer_id, position);
        CREATE INDEX IF NOT EXISTS billing_statement_entries_invoice
            ON billing_statement_entries (invoice_id) WHERE type = 'invoice';
    """

    # --- the events it follows ------------------------------------------------------------

    def on_issued(self, cur: DictCursor, event: Invoice.Issued, stored: Stored) -> None:
        self._insert(
            cur,
            stored.position,
            event.customer_id,
            event.originator_id,
            event.issued_at.date(),
            "invoice",
            event.number,
            event.currency,
            debit=event.total,
            credit=ZERO,
        )

    def on_payment_recorded(
        self, cur: DictCursor, event: Invoice.PaymentRecorded, stored: Stored
    ) -> None:
        cur.execute(
            "SELECT reference FROM billing_statement_entries "
            "WHERE invoice_id = %s AND type = 'invoice'",
            (event.originator_id,),
        )
        row = cur.fetchone()
        self._insert(
            cur,
            stored.position,
            event.customer_id,
            event.originator_id,
            event.received_at.date(),
            "payment",
            row["reference"] if row else str(event.originator_id),
            event.currency,
            debit=ZERO,
            credit=event.amount,
        )

    def on_cancelled(self, cur: DictCursor, event: Invoice.Cancelled, stored: Stored) -> None:
        self._insert(
            cur,
            stored.position,
            event.customer_id,
            event.originator_id,
            event.cancelled_at.date(),
            "cancellation",
            event.number,
            event.currency,
            debit=ZERO,
            credit=event.total,
        )

    def on_credited(self, cur: DictCursor, event: Invoice.Credited, stored: Stored) -> None:
        self._insert(
            cur,
            stored.position,
            event.customer_id,
            event.originator_id,
            event.issued_at.date(),
            "credit_note",
            event.number,
            event.currency,
            debit=ZERO,
            credit=event.total,
        )

    @staticmethod
    def _insert(
        cur: DictCursor,
        position: int,
        customer_id: str,
        invoice_id: UUID,
        entry_date: date,
        entry_type: str,
        reference: str,
        currency: str,
        *,
        debit: Decimal,
        credit: Decimal,
    ) -> None:
        cur.execute(
            "INSERT INTO billing_statement_entries (position, customer_id, invoice_id, "
            "entry_date, type, reference, currency, debit, credit) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (position) DO NOTHING",
            (
                position,
                customer_id,
                invoice_id,
                entry_date,
                entry_type,
                reference,
                currency,
                debit,
                credit,
            ),
        )

    # --- queries --------------------------------------------------------------------------

    def get_statement(self, scope: Scope, customer_id: str) -> Statement:
        """The customer's entries, oldest first, with the balance after each; not found
        as well for a customer outside ``scope``."""
        where = within_scope(scope, Where().equals("customer_id", customer_id))
        query = (
            sql.SQL(
                "SELECT entry_date, type, reference, currency, debit, credit, "
                "sum(debit - credit) OVER (ORDER BY position) AS balance "
                "FROM billing_statement_entries"
            )
            + where.sql()
            + sql.SQL(" ORDER BY position")
        )
        with self.reading() as cur:
            cur.execute(query, where.params)
            rows = cur.fetchall()
        if not rows:
            raise StatementNotFound(customer_id)
        return Statement(
            customer_id=customer_id,
            balance=rows[-1]["balance"],
            entries=[
                StatementEntry(
                    date=row["entry_date"],
                    type=row["type"],
                    reference=row["reference"],
                    currency=row["currency"],
                    debit=row["debit"],
                    credit=row["credit"],
                    balance=row["balance"],
                )
                for row in rows
            ],
        )

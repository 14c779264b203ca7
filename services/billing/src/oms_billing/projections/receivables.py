"""ReceivablesView: every installment of every receivable with what is still open of it,
for the aging of receivables and the invoice list's due-date filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from oms_kit.auth import Scope
from oms_kit.paging import Where
from oms_kit.projection import DictCursor, Stored, View
from psycopg import sql

from oms_billing.domain.invoice import Invoice
from oms_billing.domain.money import ZERO
from oms_billing.domain.receivable import Receivable
from oms_billing.projections.portfolio import within_scope

INSTALLMENTS = "billing_installments"

#: The aging buckets: label, and the days overdue each takes (from, to inclusive; None:
#: no bound). "current" is an installment not yet overdue.
AGING_BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("current", None, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    (">90", 91, None),
)


@dataclass(frozen=True)
class AgingBucket:
    label: str
    total: Decimal


class ReceivablesView(View):
    name = "receivables"
    tables = (INSTALLMENTS,)
    ddl = f"""
        CREATE TABLE IF NOT EXISTS {INSTALLMENTS} (
            invoice_id uuid NOT NULL,
            number int NOT NULL,
            customer_id text NOT NULL,
            currency text NOT NULL,
            due_on date NOT NULL,
            amount numeric NOT NULL,
            open numeric NOT NULL,
            PRIMARY KEY (invoice_id, number)
        );
        CREATE INDEX IF NOT EXISTS {INSTALLMENTS}_customer
            ON {INSTALLMENTS} (customer_id, due_on);
        CREATE INDEX IF NOT EXISTS {INSTALLMENTS}_open
            ON {INSTALLMENTS} (due_on) WHERE open > 0;
    """

    # --- the events it follows ------------------------------------------------------------

    def on_opened(self, cur: DictCursor, event: Receivable.Opened, stored: Stored) -> None:
        for installment in event.installments:
            cur.execute(
                f"INSERT INTO {INSTALLMENTS} (invoice_id, number, customer_id, currency, "
                "due_on, amount, open) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (invoice_id, number) DO NOTHING",
                (
                    event.invoice_id,
                    installment["number"],
                    event.customer_id,
                    event.currency,
                    installment["due_on"],
                    installment["amount"],
                    installment["amount"],
                ),
            )

    def on_payment_recorded(
        self, cur: DictCursor, event: Invoice.PaymentRecorded, stored: Stored
    ) -> None:
        shares = getattr(event, "installments", None)
        if shares is None:  # a payment from before installments were named: oldest first
            shares = self._oldest_first(cur, event.originator_id, event.amount)
        self._settle(cur, event.originator_id, shares)

    def on_credited(self, cur: DictCursor, event: Invoice.Credited, stored: Stored) -> None:
        self._settle(cur, event.originator_id, event.installments)

    def on_cancelled(self, cur: DictCursor, event: Invoice.Cancelled, stored: Stored) -> None:
        cur.execute(
            f"UPDATE {INSTALLMENTS} SET open = 0 WHERE invoice_id = %s", (event.originator_id,)
        )

    @staticmethod
    def _settle(cur: DictCursor, invoice_id: Any, shares: list[dict[str, Any]]) -> None:
        for share in shares:
            cur.execute(
                f"UPDATE {INSTALLMENTS} SET open = open - %s WHERE invoice_id = %s AND number = %s",
                (Decimal(share["amount"]), invoice_id, int(share["number"])),
            )

    @staticmethod
    def _oldest_first(cur: DictCursor, invoice_id: Any, amount: Decimal) -> list[dict[str, Any]]:
        cur.execute(
            f"SELECT number, open FROM {INSTALLMENTS} WHERE invoice_id = %s ORDER BY number",
            (invoice_id,),
        )
        shares: list[dict[str, Any]] = []
        rest = amount
        for row in cur.fetchall():
            take = min(row["open"], rest)
            if take > 0:
                shares.append({"number": row["number"], "amount": take})
                rest -= take
        return shares

    # --- queries --------------------------------------------------------------------------

    def aging(self, scope: Scope, as_of: date, customer_id: str | None = None) -> list[AgingBucket]:
        """What is open of the installments within ``scope`` (of one customer when given),
        by how many days past its due date each is on ``as_of``."""
        where = within_scope(scope, Where().equals("customer_id", customer_id)).add("open > 0")
        query = (
            sql.SQL("SELECT (%s::date - due_on) AS overdue, open FROM {}").format(
                sql.Identifier(INSTALLMENTS)
            )
            + where.sql()
        )
        totals = {label: ZERO for label, _, _ in AGING_BUCKETS}
        with self.reading() as cur:
            cur.execute(query, [as_of, *where.params])
            for row in cur.fetchall():
                totals[bucket_of(int(row["overdue"]))] += row["open"]
        return [AgingBucket(label, totals[label]) for label, _, _ in AGING_BUCKETS]


def bucket_of(days_overdue: int) -> str:
    for label, low, high in AGING_BUCKETS:
        if (low is None or days_overdue >= low) and (high is None or days_overdue <= high):
            return label
    raise AssertionError(days_overdue)

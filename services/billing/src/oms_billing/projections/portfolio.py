"""PortfolioView: which sales rep each customer has now, and billing's scope written once:
every query of billing's views and every detail a route reads are limited with it to the
customers the caller may see (DESIGN section 9)."""

from __future__ import annotations

from oms_kit.auth import Scope
from oms_kit.paging import Where
from oms_kit.projection import DictCursor, Stored, View

from oms_billing.domain.customer import CustomerAccount

#: The table of (customer_id, sales_rep_id) that a sales rep's scope joins.
PORTFOLIO = "billing_portfolio"


def within_scope(scope: Scope, where: Where, column: str = "customer_id") -> Where:
    """``where`` with the condition that ``column`` (a customer id) is within ``scope``:
    every list and detail query of billing's views goes through it."""
    return scope.restrict(where, column=column, portfolio=PORTFOLIO)


class PortfolioView(View):
    name = "portfolio"
    tables = (PORTFOLIO,)
    ddl = f"""
        CREATE TABLE IF NOT EXISTS {PORTFOLIO} (
            customer_id text PRIMARY KEY,
            sales_rep_id text
        );
        CREATE INDEX IF NOT EXISTS {PORTFOLIO}_rep ON {PORTFOLIO} (sales_rep_id);
    """

    # --- the events it follows ------------------------------------------------------------

    def on_rep_assigned(
        self, cur: DictCursor, event: CustomerAccount.RepAssigned, stored: Stored
    ) -> None:
        cur.execute(
            f"INSERT INTO {PORTFOLIO} (customer_id, sales_rep_id) VALUES (%s, %s) "
            "ON CONFLICT (customer_id) DO UPDATE SET sales_rep_id = EXCLUDED.sales_rep_id",
            (event.customer_id, event.sales_rep_id),
        )

    # --- queries --------------------------------------------------------------------------

    def rep_of(self, customer_id: str) -> str | None:
        """The customer's sales rep now, or None (no rep, or a customer not known yet)."""
        with self.reading() as cur:
            cur.execute(
                f"SELECT sales_rep_id FROM {PORTFOLIO} WHERE customer_id = %s", (customer_id,)
            )
            row = cur.fetchone()
        return row["sales_rep_id"] if row else None

    def reaches(self, scope: Scope, customer_id: str) -> bool:
        """Whether one customer's record (an invoice read from its aggregate) is within
        ``scope``; a route answers 404 otherwise, as if it did not exist."""
        return scope.allows(customer_id, self.rep_of)

"""``portfolio``: which sales rep each customer has now (``orders_portfolio``), the table
the scope of a sales rep joins in every list query (``Scope.restrict``): a customer moved
to another rep leaves the first rep's lists and enters the other's with the same event."""

from __future__ import annotations

from typing import ClassVar

from oms_kit.projection import DictCursor, Stored, View

from oms_orders.domain.customer import Customer

TABLE = "orders_portfolio"


class PortfolioView(View):
    name: ClassVar[str] = "portfolio"
    tables: ClassVar[tuple[str, ...]] = (TABLE,)
    ddl: ClassVar[str] = f"""
        CREATE TABLE IF NOT EXISTS {TABLE} (
            customer_id text PRIMARY KEY,
            sales_rep_id text,
            position bigint NOT NULL
        );
        CREATE INDEX IF NOT EXISTS {TABLE}_rep ON {TABLE} (sales_rep_id);
    """

    # Following the customers' events -----------------------------------------------------

    def on_registered(
        self, cur: DictCursor, event: Customer.CustomerRegistered, stored: Stored
    ) -> None:
        cur.execute(
            f"INSERT INTO {TABLE} (customer_id, sales_rep_id, position) VALUES (%s, %s, %s) "
            "ON CONFLICT (customer_id) DO NOTHING",
            (str(event.originator_id), event.sales_rep_id, stored.position),
        )

    def on_updated(self, cur: DictCursor, event: Customer.CustomerUpdated, stored: Stored) -> None:
        """An update names the rep only when it changes him (None: unchanged)."""
        if event.sales_rep_id is None:
            return
        cur.execute(
            f"UPDATE {TABLE} SET sales_rep_id = %s, position = %s WHERE customer_id = %s",
            (event.sales_rep_id, stored.position, str(event.originator_id)),
        )

"""``customer_list``: one row per customer, for ``GET /customers`` (a search over name, tax
id and e-mail), in the order of their names (case aside), within the caller's scope: the
back office sees every customer, a rep his portfolio, a customer himself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from oms_kit.auth import Scope
from oms_kit.paging import Page, PageRequest, Where, keyset_query, page_of
from oms_kit.projection import DictCursor, Stored, View
from psycopg import sql

from oms_orders.domain.customer import Customer
from oms_orders.projections.portfolio import TABLE as PORTFOLIO

TABLE = "orders_customer_list"


@dataclass(frozen=True)
class CustomerFilter:
    """What ``list_customers`` keeps: ``search`` is found anywhere in the name, tax id or
    e-mail (case aside); None keeps everything."""

    search: str | None = None


@dataclass(frozen=True)
class CustomerSummary:
    customer_id: str
    name: str
    tax_id: str
    email: str
    currency: str
    language: str | None
    sales_rep_id: str | None


def like_pattern(text: str) -> str:
    """``text`` found anywhere, its own ``%``, ``_`` and ``\\`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class CustomerListView(View):
    name: ClassVar[str] = "customer_list"
    tables: ClassVar[tuple[str, ...]] = (TABLE,)
    ddl: ClassVar[str] = f"""
        CREATE TABLE IF NOT EXISTS {TABLE} (
            customer_id text PRIMARY KEY,
            name text NOT NULL,
            sort_name text NOT NULL,
            tax_id text NOT NULL,
            email text NOT NULL,
            currency text NOT NULL,
            language text,
            sales_rep_id text,
            position bigint NOT NULL
        );
        CREATE INDEX IF NOT EXISTS {TABLE}_sorted ON {TABLE} (sort_name, customer_id);
    """

    # Following the customers' events -----------------------------------------------------

    def on_registered(
        self, cur: DictCursor, event: Customer.CustomerRegistered, stored: Stored
    ) -> None:
        cur.execute(
            f"INSERT INTO {TABLE} (customer_id, name, sort_name, tax_id, email, currency, "
            "language, sales_rep_id, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (customer_id) DO NOTHING",
            (
                str(event.originator_id),
                event.name,
                event.name.casefold(),
                event.tax_id,
                event.email,
                event.currency,
                event.language,
                event.sales_rep_id,
                stored.position,
            ),
        )

    def on_updated(self, cur: DictCursor, event: Customer.CustomerUpdated, stored: Stored) -> None:
        """An update names only what changed (None: unchanged)."""
        columns: dict[str, Any] = {
            column: value
            for column, value in (
                ("name", event.name),
                ("tax_id", event.tax_id),
                ("email", event.email),
                ("language", event.language),
                ("sales_rep_id", event.sales_rep_id),
            )
            if value is not None
        }
        if event.name is not None:
            columns["sort_name"] = event.name.casefold()
        columns["position"] = stored.position
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = %s").format(sql.Identifier(column)) for column in columns
        )
        cur.execute(
            sql.SQL("UPDATE {} SET {} WHERE customer_id = %s").format(
                sql.Identifier(TABLE), assignments
            ),
            [*columns.values(), str(event.originator_id)],
        )

    # Queries -----------------------------------------------------------------------------

    def list_customers(
        self, filter: CustomerFilter, page: PageRequest, scope: Scope
    ) -> Page[CustomerSummary]:
        """By name (case aside), within ``scope``."""
        where = scope.restrict(Where(), column="customer_id", portfolio=PORTFOLIO)
        search = (filter.search or "").strip()
        if search:
            pattern = like_pattern(search)
            where.add(
                "(name ILIKE %s OR tax_id ILIKE %s OR email ILIKE %s)", pattern, pattern, pattern
            )
        query, params = keyset_query(
            f"SELECT customer_id, name, tax_id, email, currency, language, sales_rep_id, "
            f"sort_name FROM {TABLE}",
            where,
            ("sort_name", "customer_id"),
            page,
            descending=False,
        )
        with self.reading() as cur:
            cur.execute(query, params)
            rows = cur.fetchall()
        page_rows = page_of(
            rows, page.limit, key=lambda row: (row["sort_name"], row["customer_id"])
        )
        return Page(
            items=[
                CustomerSummary(**{k: v for k, v in row.items() if k != "sort_name"})
                for row in page_rows.items
            ],
            next_cursor=page_rows.next_cursor,
        )

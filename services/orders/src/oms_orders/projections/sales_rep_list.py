"""``sales_rep_list``: one row per sales rep, for ``GET /sales-reps`` (staff), by name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from oms_kit.paging import Page, PageRequest, Where, keyset_query, page_of
from oms_kit.projection import DictCursor, Stored, View

from oms_orders.domain.sales_rep import SalesRep

TABLE = "orders_sales_rep_list"


@dataclass(frozen=True)
class SalesRepSummary:
    sales_rep_id: str
    name: str
    email: str
    created_at: datetime


class SalesRepListView(View):
    name: ClassVar[str] = "sales_rep_list"
    tables: ClassVar[tuple[str, ...]] = (TABLE,)
    ddl: ClassVar[str] = f"""
        CREATE TABLE IF NOT EXISTS {TABLE} (
            sales_rep_id text PRIMARY KEY,
            name text NOT NULL,
            email text NOT NULL,
            created_at timestamptz NOT NULL,
            position bigint NOT NULL
        );
        CREATE INDEX IF NOT EXISTS {TABLE}_name ON {TABLE} (name, sales_rep_id);
    """

    def on_registered(
        self, cur: DictCursor, event: SalesRep.SalesRepRegistered, stored: Stored
    ) -> None:
        cur.execute(
            f"INSERT INTO {TABLE} (sales_rep_id, name, email, created_at, position) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (sales_rep_id) DO NOTHING",
            (str(event.originator_id), event.name, event.email, event.timestamp, stored.position),
        )

    def list_sales_reps(self, page: PageRequest) -> Page[SalesRepSummary]:
        """By name."""
        query, params = keyset_query(
            f"SELECT sales_rep_id, name, email, created_at FROM {TABLE}",
            Where(),
            ("name", "sales_rep_id"),
            page,
            descending=False,
        )
        with self.reading() as cur:
            cur.execute(query, params)
            reps = [SalesRepSummary(**row) for row in cur.fetchall()]
        return page_of(reps, page.limit, key=lambda rep: (rep.name, rep.sales_rep_id))

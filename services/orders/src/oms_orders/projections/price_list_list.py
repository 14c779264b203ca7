"""``price_list_list``: one row per price list, for ``GET /price-lists`` (back office and
reps), newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from oms_kit.paging import Page, PageRequest, Where, keyset_query, page_of
from oms_kit.projection import DictCursor, Stored, View

from oms_orders.domain.price_list import PriceList

TABLE = "orders_price_list_list"


@dataclass(frozen=True)
class PriceListSummary:
    price_list_id: str
    name: str
    currency: str
    valid_from: date | None
    valid_to: date | None
    item_count: int
    created_at: datetime


class PriceListListView(View):
    name: ClassVar[str] = "price_list_list"
    tables: ClassVar[tuple[str, ...]] = (TABLE,)
    ddl: ClassVar[str] = f"""
        CREATE TABLE IF NOT EXISTS {TABLE} (
            price_list_id text PRIMARY KEY,
            name text NOT NULL,
            currency text NOT NULL,
            valid_from date,
            valid_to date,
            item_count integer NOT NULL,
            created_at timestamptz NOT NULL,
            position bigint NOT NULL
        );
        CREATE INDEX IF NOT EXISTS {TABLE}_created ON {TABLE} (created_at DESC, price_list_id DESC);
    """

    def on_created(
        self, cur: DictCursor, event: PriceList.PriceListCreated, stored: Stored
    ) -> None:
        cur.execute(
            f"INSERT INTO {TABLE} (price_list_id, name, currency, valid_from, valid_to, "
            "item_count, created_at, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (price_list_id) DO NOTHING",
            (
                str(event.originator_id),
                event.name,
                event.currency,
                event.valid_from,
                event.valid_to,
                len(event.items),
                event.timestamp,
                stored.position,
            ),
        )

    def list_price_lists(self, page: PageRequest) -> Page[PriceListSummary]:
        """Newest first."""
        query, params = keyset_query(
            f"SELECT price_list_id, name, currency, valid_from, valid_to, item_count, "
            f"created_at FROM {TABLE}",
            Where(),
            ("created_at", "price_list_id"),
            page,
        )
        with self.reading() as cur:
            cur.execute(query, params)
            rows = [PriceListSummary(**row) for row in cur.fetchall()]
        return page_of(rows, page.limit, key=lambda row: (row.created_at, row.price_list_id))

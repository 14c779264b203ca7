"""The inventory level list (``GET /stock``): on hand and reserved per sku, warehouse and
lot, in table ``inventory_stock_lots``, rebuildable with ``oms replay inventory
stock_levels``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from oms_kit.paging import Page, PageRequest, Where, keyset_query, page_of
from oms_kit.projection import DictCursor, Stored, View
from psycopg import sql

from oms_inventory.domain import LotLine, Stock, from_dicts

TABLE = "inventory_stock_lots"
ZERO = Decimal(0)


@dataclass(frozen=True)
class StockLevelFilter:
    """Skus starting with ``sku_prefix``; only the lots in ``warehouse``."""

    sku_prefix: str | None = None
    warehouse: str | None = None


@dataclass(frozen=True)
class LotLevel:
    warehouse: str
    lot: str
    expires_on: date | None
    on_hand: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class StockLevel:
    """One sku: its lots (first expiry first) and their totals."""

    sku: str
    locations: list[LotLevel] = field(default_factory=list)

    @property
    def on_hand(self) -> Decimal:
        return sum((lot.on_hand for lot in self.locations), ZERO)

    @property
    def reserved(self) -> Decimal:
        return sum((lot.reserved for lot in self.locations), ZERO)

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class StockLevelsView(View):
    name = "stock_levels"
    tables = (TABLE,)
    ddl = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "stock_id uuid NOT NULL, sku text NOT NULL, warehouse text NOT NULL, "
        "lot text NOT NULL, expires_on date, on_hand numeric NOT NULL, "
        "reserved numeric NOT NULL, position bigint NOT NULL, "
        "PRIMARY KEY (stock_id, warehouse, lot)); "
        f"CREATE INDEX IF NOT EXISTS {TABLE}_sku ON {TABLE} (sku)"
    )

    def on_received(self, cur: DictCursor, event: Stock.Received, stored: Stored) -> None:
        self._put_on_hand(cur, event, stored)

    def _put_on_hand(
        self, cur: DictCursor, event: Stock.Received | Stock.Returned, stored: Stored
    ) -> None:
        cur.execute(
            f"INSERT INTO {TABLE} VALUES (%s, %s, %s, %s, %s, %s, 0, %s) "
            "ON CONFLICT (stock_id, warehouse, lot) DO UPDATE SET "
            f"on_hand = {TABLE}.on_hand + EXCLUDED.on_hand, position = EXCLUDED.position",
            (
                event.originator_id,
                event.sku,
                event.warehouse,
                event.lot,
                event.expires_on,
                event.quantity,
                stored.position,
            ),
        )

    def on_returned(self, cur: DictCursor, event: Stock.Returned, stored: Stored) -> None:
        self._put_on_hand(cur, event, stored)

    def on_reserved(self, cur: DictCursor, event: Stock.Reserved, stored: Stored) -> None:
        self._change(cur, event.originator_id, from_dicts(event.allocations), 0, 1, stored)

    def on_released(self, cur: DictCursor, event: Stock.Released, stored: Stored) -> None:
        self._change(cur, event.originator_id, from_dicts(event.allocations), 0, -1, stored)

    def on_issued(self, cur: DictCursor, event: Stock.Issued, stored: Stored) -> None:
        self._change(cur, event.originator_id, from_dicts(event.released), 0, -1, stored)
        self._change(cur, event.originator_id, from_dicts(event.picked), -1, 0, stored)

    def _change(
        self,
        cur: DictCursor,
        stock_id: UUID,
        lines: Iterable[LotLine],
        on_hand_sign: int,
        reserved_sign: int,
        stored: Stored,
    ) -> None:
        for line in lines:
            cur.execute(
                f"UPDATE {TABLE} SET on_hand = on_hand + %s, reserved = reserved + %s, "
                "position = %s WHERE stock_id = %s AND warehouse = %s AND lot = %s",
                (
                    on_hand_sign * line.quantity,
                    reserved_sign * line.quantity,
                    stored.position,
                    stock_id,
                    line.warehouse,
                    line.lot,
                ),
            )

    # Queries
    def list_stock_levels(self, filter: StockLevelFilter, page: PageRequest) -> Page[StockLevel]:
        """Skus in sku order, each with its lots (of the filter's warehouse only)."""
        where = Where().equals("warehouse", filter.warehouse)
        if filter.sku_prefix:
            where.add("starts_with(sku, %s)", filter.sku_prefix)
        query, params = keyset_query(
            f"SELECT DISTINCT sku FROM {TABLE}", where, ["sku"], page, descending=False
        )
        with self.reading() as cur:
            cur.execute(query, params)
            skus = page_of([str(row["sku"]) for row in cur.fetchall()], page.limit, _sku_key)
            rows: list[dict[str, Any]] = []
            if skus.items:
                lots = (
                    Where().add("sku = ANY(%s)", skus.items).equals("warehouse", filter.warehouse)
                )
                cur.execute(
                    sql.SQL(
                        f"SELECT sku, warehouse, lot, expires_on, on_hand, reserved FROM {TABLE}"
                    )
                    + lots.sql()
                    + sql.SQL(" ORDER BY sku, expires_on NULLS LAST, warehouse, lot"),
                    lots.params,
                )
                rows = cur.fetchall()
        levels = {sku: StockLevel(sku) for sku in skus.items}
        for row in rows:
            levels[row["sku"]].locations.append(
                LotLevel(
                    warehouse=row["warehouse"],
                    lot=row["lot"],
                    expires_on=row["expires_on"],
                    on_hand=Decimal(row["on_hand"]),
                    reserved=Decimal(row["reserved"]),
                )
            )
        return Page(items=list(levels.values()), next_cursor=skus.next_cursor)


def _sku_key(sku: str) -> tuple[str]:
    return (sku,)

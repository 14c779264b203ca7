"""``catalogue``: one row per product, for ``GET /products`` (a search over name and sku,
case aside), in the order of their names, with whether it has a photo and its stock as
last heard from inventory (a level heard before the product was defined is kept apart
and joined)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from oms_kit.paging import Page, PageRequest, Where, keyset_query, page_of
from oms_kit.projection import DictCursor, Stored, View

from oms_orders.domain.product import Product
from oms_orders.domain.stock import StockLevel
from oms_orders.projections.customer_list import like_pattern

TABLE = "orders_catalogue"
STOCK_TABLE = "orders_catalogue_stock"


@dataclass(frozen=True)
class CatalogueFilter:
    """What ``list_products`` keeps: ``search`` is found anywhere in the name or sku
    (case aside); None keeps everything."""

    search: str | None = None


@dataclass(frozen=True)
class CatalogueItem:
    sku: str
    name: str
    unit_price: Decimal
    currency: str
    tax_rate: Decimal
    has_image: bool
    on_hand: Decimal | None
    reserved: Decimal | None
    available: Decimal | None


class CatalogueView(View):
    name: ClassVar[str] = "catalogue"
    tables: ClassVar[tuple[str, ...]] = (TABLE, STOCK_TABLE)
    ddl: ClassVar[str] = f"""
        CREATE TABLE IF NOT EXISTS {TABLE} (
            sku text PRIMARY KEY,
            name text NOT NULL,
            sort_name text NOT NULL,
            unit_price numeric NOT NULL,
            currency text NOT NULL,
            tax_rate numeric NOT NULL,
            has_image boolean NOT NULL DEFAULT false,
            position bigint NOT NULL
        );
        CREATE INDEX IF NOT EXISTS {TABLE}_sorted ON {TABLE} (sort_name, sku);
        CREATE TABLE IF NOT EXISTS {STOCK_TABLE} (
            sku text PRIMARY KEY,
            on_hand numeric NOT NULL,
            reserved numeric NOT NULL,
            available numeric NOT NULL,
            position bigint NOT NULL
        );
    """

    # Following the products' and the stock levels' events --------------------------------

    def on_defined(self, cur: DictCursor, event: Product.ProductDefined, stored: Stored) -> None:
        cur.execute(
            f"INSERT INTO {TABLE} (sku, name, sort_name, unit_price, currency, tax_rate, "
            "position) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (sku) DO NOTHING",
            (
                event.sku,
                event.name,
                event.name.casefold(),
                event.unit_price,
                event.currency,
                event.tax_rate,
                stored.position,
            ),
        )

    def on_image_changed(
        self, cur: DictCursor, event: Product.ProductImageChanged, stored: Stored
    ) -> None:
        cur.execute(
            f"UPDATE {TABLE} SET has_image = true, position = %s WHERE sku = %s",
            (stored.position, event.sku),
        )

    def on_stock_level_heard(
        self, cur: DictCursor, event: StockLevel.StockLevelHeard, stored: Stored
    ) -> None:
        cur.execute(
            f"INSERT INTO {STOCK_TABLE} (sku, on_hand, reserved, available, position) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (sku) DO UPDATE SET "
            "on_hand = excluded.on_hand, reserved = excluded.reserved, "
            "available = excluded.available, position = excluded.position",
            (event.sku, event.on_hand, event.reserved, event.available, stored.position),
        )

    # Queries -----------------------------------------------------------------------------

    def list_products(self, filter: CatalogueFilter, page: PageRequest) -> Page[CatalogueItem]:
        """By name (case aside), then sku; the whole catalogue is everybody's who may read
        it (no scope)."""
        where = Where()
        search = (filter.search or "").strip()
        if search:
            pattern = like_pattern(search)
            where.add("(name ILIKE %s OR sku ILIKE %s)", pattern, pattern)
        query, params = keyset_query(
            "SELECT sku, name, sort_name, unit_price, currency, tax_rate, has_image, on_hand, "
            f"reserved, available FROM {TABLE} LEFT JOIN {STOCK_TABLE} USING (sku)",
            where,
            ("sort_name", "sku"),
            page,
            descending=False,
        )
        with self.reading() as cur:
            cur.execute(query, params)
            rows = cur.fetchall()
        page_rows = page_of(rows, page.limit, key=lambda row: (row["sort_name"], row["sku"]))
        return Page(
            items=[
                CatalogueItem(**{k: v for k, v in row.items() if k != "sort_name"})
                for row in page_rows.items
            ],
            next_cursor=page_rows.next_cursor,
        )

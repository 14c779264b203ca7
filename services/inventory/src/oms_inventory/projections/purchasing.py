"""Purchasing's lists: suppliers (``GET /suppliers``), purchase orders (``GET
/purchase-orders``, and what open ones will still bring per sku) and the orders held for
stock (what ``POST /purchase-orders/from-orders`` buys for by default), in tables
``inventory_suppliers``, ``inventory_purchase_orders`` and ``inventory_held_orders``,
rebuildable with ``oms replay inventory purchasing``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from oms_kit.paging import Page, PageRequest, Where, keyset_query, page_of
from oms_kit.projection import DictCursor, Stored, View

from oms_inventory.domain import OrderReservation, PurchaseLine, PurchaseOrder, Supplier

SUPPLIERS = "inventory_suppliers"
PURCHASE_ORDERS = "inventory_purchase_orders"
HELD_ORDERS = "inventory_held_orders"


@dataclass(frozen=True)
class SupplierSummary:
    supplier_id: str
    name: str
    email: str
    position: int


@dataclass(frozen=True)
class PurchaseOrderSummary:
    purchase_order_id: str
    supplier_id: str
    status: str
    created_at: datetime
    lines: list[PurchaseLine]
    order_ids: list[str]
    position: int


@dataclass(frozen=True)
class PurchaseOrderFilter:
    status: str | None = None
    supplier_id: str | None = None


class PurchasingView(View):
    name = "purchasing"
    tables = (SUPPLIERS, PURCHASE_ORDERS, HELD_ORDERS)
    ddl = f"""
        CREATE TABLE IF NOT EXISTS {SUPPLIERS} (
            supplier_id text PRIMARY KEY,
            name text NOT NULL,
            email text NOT NULL,
            position bigint NOT NULL UNIQUE
        );
        CREATE TABLE IF NOT EXISTS {PURCHASE_ORDERS} (
            purchase_order_id text PRIMARY KEY,
            supplier_id text NOT NULL,
            status text NOT NULL,
            created_at timestamptz NOT NULL,
            lines jsonb NOT NULL,
            order_ids jsonb NOT NULL,
            position bigint NOT NULL UNIQUE
        );
        CREATE TABLE IF NOT EXISTS {HELD_ORDERS} (
            order_id text PRIMARY KEY,
            position bigint NOT NULL
        );
    """

    def on_supplier_registered(
        self, cur: DictCursor, event: Supplier.Registered, stored: Stored
    ) -> None:
        cur.execute(
            f"INSERT INTO {SUPPLIERS} VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (str(event.originator_id), event.name, event.email, stored.position),
        )

    def on_purchase_order_created(
        self, cur: DictCursor, event: PurchaseOrder.Created, stored: Stored
    ) -> None:
        lines = [
            {"sku": line["sku"], "quantity": str(line["quantity"]), "received": "0"}
            for line in event.lines
        ]
        cur.execute(
            f"INSERT INTO {PURCHASE_ORDERS} VALUES (%s, %s, 'open', %s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (
                str(event.originator_id),
                event.supplier_id,
                event.timestamp,
                json.dumps(lines),
                json.dumps(event.order_ids),
                stored.position,
            ),
        )

    def on_purchase_order_received(
        self, cur: DictCursor, event: PurchaseOrder.Received, stored: Stored
    ) -> None:
        cur.execute(
            f"SELECT lines FROM {PURCHASE_ORDERS} WHERE purchase_order_id = %s",
            (str(event.originator_id),),
        )
        row = cur.fetchone()
        if row is None:
            return
        lines = row["lines"]
        for received in event.lines:
            for line in lines:
                if line["sku"] == received["sku"]:
                    line["received"] = str(
                        Decimal(line["received"]) + Decimal(received["quantity"])
                    )
        cur.execute(
            f"UPDATE {PURCHASE_ORDERS} SET lines = %s, status = %s WHERE purchase_order_id = %s",
            (json.dumps(lines), event.status, str(event.originator_id)),
        )

    def on_shortage(
        self, cur: DictCursor, event: OrderReservation.ShortageRecorded, stored: Stored
    ) -> None:
        cur.execute(
            f"INSERT INTO {HELD_ORDERS} VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (event.order_id, stored.position),
        )

    def on_reserved(
        self, cur: DictCursor, event: OrderReservation.Reserved, stored: Stored
    ) -> None:
        self._not_held(cur, event.order_id)

    def on_released(
        self, cur: DictCursor, event: OrderReservation.Released, stored: Stored
    ) -> None:
        self._not_held(cur, event.order_id)

    def on_cancelled(
        self, cur: DictCursor, event: OrderReservation.Cancelled, stored: Stored
    ) -> None:
        self._not_held(cur, event.order_id)

    def _not_held(self, cur: DictCursor, order_id: str) -> None:
        cur.execute(f"DELETE FROM {HELD_ORDERS} WHERE order_id = %s", (order_id,))

    # Queries
    def list_suppliers(self, page: PageRequest) -> Page[SupplierSummary]:
        """Suppliers, newest first."""
        query, params = keyset_query(
            f"SELECT supplier_id, name, email, position FROM {SUPPLIERS}",
            Where(),
            ["position"],
            page,
        )
        with self.reading() as cur:
            cur.execute(query, params)
            rows = [SupplierSummary(**row) for row in cur.fetchall()]
        return page_of(rows, page.limit, lambda supplier: (supplier.position,))

    def list_purchase_orders(
        self, filter: PurchaseOrderFilter, page: PageRequest
    ) -> Page[PurchaseOrderSummary]:
        """Purchase orders, newest first."""
        where = Where().equals("status", filter.status).equals("supplier_id", filter.supplier_id)
        query, params = keyset_query(
            "SELECT purchase_order_id, supplier_id, status, created_at, lines, order_ids, "
            f"position FROM {PURCHASE_ORDERS}",
            where,
            ["position"],
            page,
        )
        with self.reading() as cur:
            cur.execute(query, params)
            rows = [_purchase_order(row) for row in cur.fetchall()]
        return page_of(rows, page.limit, lambda purchase_order: (purchase_order.position,))

    def held_order_ids(self) -> list[str]:
        """The orders held for stock, first held first."""
        with self.reading() as cur:
            cur.execute(f"SELECT order_id FROM {HELD_ORDERS} ORDER BY position")
            return [str(row["order_id"]) for row in cur.fetchall()]

    def still_on_order(self) -> dict[str, Decimal]:
        """Per sku, what purchase orders not yet received in full will still bring."""
        with self.reading() as cur:
            cur.execute(
                "SELECT line->>'sku' AS sku, "
                "sum((line->>'quantity')::numeric - (line->>'received')::numeric) AS quantity "
                f"FROM {PURCHASE_ORDERS}, jsonb_array_elements(lines) AS line "
                "WHERE status <> 'received' GROUP BY 1"
            )
            return {str(row["sku"]): Decimal(row["quantity"]) for row in cur.fetchall()}


def _purchase_order(row: dict[str, Any]) -> PurchaseOrderSummary:
    return PurchaseOrderSummary(
        purchase_order_id=row["purchase_order_id"],
        supplier_id=row["supplier_id"],
        status=row["status"],
        created_at=row["created_at"],
        lines=[
            PurchaseLine(line["sku"], Decimal(line["quantity"]), Decimal(line["received"]))
            for line in row["lines"]
        ],
        order_ids=list(row["order_ids"]),
        position=row["position"],
    )

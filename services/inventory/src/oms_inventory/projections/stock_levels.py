"""StockLevelsView: on hand and reserved per sku, warehouse and lot, for the inventory level
list (``GET /stock``). Table ``inventory_stock_lots``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from oms_kit.projection import DictCursor, Projection

from oms_inventory.domain import Stock

TABLE = "inventory_stock_lots"


class StockLevelsView(Projection):
    name = "stock_levels"
    tables = (TABLE,)

    def create(self, cur: DictCursor) -> None:
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            "stock_id uuid NOT NULL, sku text NOT NULL, warehouse text NOT NULL, "
            "lot text NOT NULL, expires_on date, on_hand numeric NOT NULL, "
            "reserved numeric NOT NULL, position bigint NOT NULL, "
            "PRIMARY KEY (stock_id, warehouse, lot))"
        )
        cur.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_sku ON {TABLE} (sku)")

    def apply(
        self,
        cur: DictCursor,
        event: DomainEventProtocol[UUID],
        position: int,
        meta: dict[str, str],
    ) -> None:
        e: Any = event
        sid = event.originator_id
        if isinstance(event, Stock.Received):
            cur.execute(
                f"INSERT INTO {TABLE} VALUES (%s, %s, %s, %s, %s, %s, 0, %s) "
                "ON CONFLICT (stock_id, warehouse, lot) DO UPDATE SET "
                f"on_hand = {TABLE}.on_hand + EXCLUDED.on_hand, position = EXCLUDED.position",
                (sid, e.sku, e.warehouse, e.lot, e.expires_on, e.quantity, position),
            )
        elif isinstance(event, Stock.Reserved):
            self._change(cur, sid, e.allocations, Decimal(0), Decimal(1), position)
        elif isinstance(event, Stock.Released):
            self._change(cur, sid, e.allocations, Decimal(0), Decimal(-1), position)
        elif isinstance(event, Stock.Issued):
            self._change(cur, sid, e.released, Decimal(0), Decimal(-1), position)
            self._change(cur, sid, e.picked, Decimal(-1), Decimal(0), position)

    def _change(
        self,
        cur: DictCursor,
        stock_id: UUID,
        lines: list[dict[str, Any]],
        on_hand_sign: Decimal,
        reserved_sign: Decimal,
        position: int,
    ) -> None:
        for line in lines:
            quantity = Decimal(line["quantity"])
            cur.execute(
                f"UPDATE {TABLE} SET on_hand = on_hand + %s, reserved = reserved + %s, "
                "position = %s WHERE stock_id = %s AND warehouse = %s AND lot = %s",
                (
                    on_hand_sign * quantity,
                    reserved_sign * quantity,
                    position,
                    stock_id,
                    line["warehouse"],
                    line["lot"],
                ),
            )

"""``order_list``: one row per order for the order queries (status, customer, issue date,
invoice numbers), with totals per status computed over the rows."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from oms_kit.projection import DictCursor, Projection

from oms_orders.domain.order import Order

TABLE = "orders_order_list"

DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    order_id text PRIMARY KEY,
    customer_id text NOT NULL,
    status text NOT NULL,
    status_reason text,
    total numeric NOT NULL,
    currency text NOT NULL,
    origin text NOT NULL,
    issued_at timestamptz NOT NULL,
    invoice_numbers text[] NOT NULL DEFAULT '{{}}',
    position bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS {TABLE}_issued ON {TABLE} (issued_at DESC, order_id DESC);
CREATE INDEX IF NOT EXISTS {TABLE}_customer ON {TABLE} (customer_id);
CREATE INDEX IF NOT EXISTS {TABLE}_status ON {TABLE} (status);
"""


class OrderList(Projection):
    name: ClassVar[str] = "order_list"
    tables: ClassVar[tuple[str, ...]] = (TABLE,)

    def create(self, cur: DictCursor) -> None:
        cur.execute(DDL)

    def apply(
        self,
        cur: DictCursor,
        event: DomainEventProtocol[UUID],
        position: int,
        meta: dict[str, str],
    ) -> None:
        e: Any = event
        order_id = str(event.originator_id)
        if isinstance(event, Order.OrderPlaced):
            cur.execute(
                f"INSERT INTO {TABLE} (order_id, customer_id, status, status_reason, total, "
                "currency, origin, issued_at, position) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (order_id) DO NOTHING",
                (
                    order_id,
                    e.customer_id,
                    e.status,
                    e.status_reason,
                    e.total,
                    e.currency,
                    e.origin,
                    event.timestamp,
                    position,
                ),
            )
            return
        if not isinstance(event, Order.Event):
            return
        if isinstance(event, Order.InvoiceRecorded):
            cur.execute(
                f"UPDATE {TABLE} SET invoice_numbers = array_append(invoice_numbers, %s) "
                "WHERE order_id = %s AND NOT (%s = ANY(invoice_numbers))",
                (e.number, order_id, e.number),
            )
        cur.execute(
            f"UPDATE {TABLE} SET status = %s, status_reason = %s, position = %s "
            "WHERE order_id = %s",
            (e.status, e.status_reason, position, order_id),
        )

"""``order_list``: one row per order, for ``GET /orders`` (status, customer, origin,
external id, issue date, invoice numbers, the due dates of its receivables' installments),
newest first, with totals per status over the whole filtered list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from oms_kit.auth import Scope
from oms_kit.paging import Page, PageRequest, Where, keyset_query, page_of, totals_by_status
from oms_kit.projection import DictCursor, Stored, View

from oms_orders.domain.order import Order
from oms_orders.projections.portfolio import TABLE as PORTFOLIO

TABLE = "orders_order_list"


@dataclass(frozen=True)
class OrderFilter:
    """What ``list_orders`` keeps; None keeps everything."""

    status: str | None = None
    customer_id: str | None = None
    origin: str | None = None
    external_order_id: str | None = None
    issued_from: datetime | None = None
    #: Exclusive.
    issued_before: datetime | None = None
    invoice_number: str | None = None
    #: An installment of the order's receivables falls due between these days (both in).
    due_from: date | None = None
    due_to: date | None = None


@dataclass(frozen=True)
class OrderSummary:
    order_id: str
    customer_id: str
    status: str
    status_reason: str | None
    total: Decimal
    currency: str
    origin: str
    external_order_id: str | None
    issued_at: datetime
    invoice_numbers: list[str]


class OrderListView(View):
    name: ClassVar[str] = "order_list"
    tables: ClassVar[tuple[str, ...]] = (TABLE,)
    # The ALTER brings a table made before external_order_id existed up to date.
    ddl: ClassVar[str] = f"""
        CREATE TABLE IF NOT EXISTS {TABLE} (
            order_id text PRIMARY KEY,
            customer_id text NOT NULL,
            status text NOT NULL,
            status_reason text,
            total numeric NOT NULL,
            currency text NOT NULL,
            origin text NOT NULL,
            external_order_id text,
            issued_at timestamptz NOT NULL,
            invoice_numbers text[] NOT NULL DEFAULT '{{}}',
            position bigint NOT NULL
        );
        ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS external_order_id text;
        ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS due_dates date[] NOT NULL DEFAULT '{{}}';
        CREATE INDEX IF NOT EXISTS {TABLE}_issued ON {TABLE} (issued_at DESC, order_id DESC);
        CREATE INDEX IF NOT EXISTS {TABLE}_customer ON {TABLE} (customer_id);
        CREATE INDEX IF NOT EXISTS {TABLE}_status ON {TABLE} (status);
        CREATE INDEX IF NOT EXISTS {TABLE}_external ON {TABLE} (external_order_id)
            WHERE external_order_id IS NOT NULL;
    """

    # Following the orders' events --------------------------------------------------------

    def on_placed(self, cur: DictCursor, event: Order.OrderPlaced, stored: Stored) -> None:
        cur.execute(
            f"INSERT INTO {TABLE} (order_id, customer_id, status, status_reason, total, "
            "currency, origin, external_order_id, issued_at, position) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (order_id) DO NOTHING",
            (
                str(event.originator_id),
                event.customer_id,
                event.status,
                event.status_reason,
                event.total,
                event.currency,
                event.origin,
                event.external_order_id,
                event.timestamp,
                stored.position,
            ),
        )

    def on_invoice_recorded(
        self, cur: DictCursor, event: Order.InvoiceRecorded, stored: Stored
    ) -> None:
        cur.execute(
            f"UPDATE {TABLE} SET invoice_numbers = array_append(invoice_numbers, %s) "
            "WHERE order_id = %s AND NOT (%s = ANY(invoice_numbers))",
            (event.number, str(event.originator_id), event.number),
        )
        self.on_status(cur, event, stored)

    def on_installments_recorded(
        self, cur: DictCursor, event: Order.InstallmentsRecorded, stored: Stored
    ) -> None:
        cur.execute(
            f"UPDATE {TABLE} SET due_dates = due_dates || %s::date[] WHERE order_id = %s",
            (
                [date.fromisoformat(i["due_on"]) for i in event.installments],
                str(event.originator_id),
            ),
        )
        self.on_status(cur, event, stored)

    def on_status(self, cur: DictCursor, event: Order.StatusEvent, stored: Stored) -> None:
        """Every other event of an order: the status after it."""
        cur.execute(
            f"UPDATE {TABLE} SET status = %s, status_reason = %s, position = %s "
            "WHERE order_id = %s",
            (event.status, event.status_reason, stored.position, str(event.originator_id)),
        )

    # Queries -----------------------------------------------------------------------------

    def list_orders(
        self, filter: OrderFilter, page: PageRequest, scope: Scope
    ) -> Page[OrderSummary]:
        """Newest first, within ``scope``; ``totals`` holds a ``StatusTotal`` per status over
        the whole filtered list (within the scope too), not just the page."""
        where = (
            scope.restrict(Where(), column="customer_id", portfolio=PORTFOLIO)
            .equals("status", filter.status)
            .equals("customer_id", filter.customer_id)
            .equals("origin", filter.origin)
            .equals("external_order_id", filter.external_order_id)
        )
        if filter.issued_from is not None:
            where.add("issued_at >= %s", filter.issued_from)
        if filter.issued_before is not None:
            where.add("issued_at < %s", filter.issued_before)
        if filter.invoice_number:
            where.add("%s = ANY(invoice_numbers)", filter.invoice_number)
        if filter.due_from is not None or filter.due_to is not None:
            where.add(
                "EXISTS (SELECT 1 FROM unnest(due_dates) AS due WHERE due >= coalesce(%s, due) "
                "AND due <= coalesce(%s, due))",
                filter.due_from,
                filter.due_to,
            )
        query, params = keyset_query(
            f"SELECT order_id, customer_id, status, status_reason, total, currency, origin, "
            f"external_order_id, issued_at, invoice_numbers FROM {TABLE}",
            where,
            ("issued_at", "order_id"),
            page,
        )
        with self.reading() as cur:
            cur.execute(query, params)
            rows = [OrderSummary(**row) for row in cur.fetchall()]
            totals: dict[str, Any] = dict(totals_by_status(cur, TABLE, where))
        listed = page_of(rows, page.limit, key=lambda order: (order.issued_at, order.order_id))
        return Page(items=listed.items, next_cursor=listed.next_cursor, totals=totals)

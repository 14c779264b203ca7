"""StockAlertsView: the stock alerts, newest first (``GET /stock-alerts``): a rep sees his
own, staff all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from oms_kit.auth import Scope
from oms_kit.paging import Page, PageRequest, Where, keyset_query, page_of
from oms_kit.projection import DictCursor, Stored, View

from oms_notifications.domain.stock_alert import StockAlert

ALERTS = "stock_alerts"


@dataclass(frozen=True)
class AlertSummary:
    alert_id: str
    sku: str
    sales_rep_id: str
    status: str
    requested_at: datetime
    notified_at: datetime | None
    available: Decimal | None
    position: int


def within_scope(scope: Scope, where: Where) -> Where:
    if scope.everything:
        return where
    if scope.sales_rep_id is not None:
        return where.add("sales_rep_id = %s", scope.sales_rep_id)
    return where.add("false")


class StockAlertsView(View):
    name = "stock_alerts"
    tables = (ALERTS,)
    ddl = f"""
        CREATE TABLE IF NOT EXISTS {ALERTS} (
            alert_id text PRIMARY KEY,
            sku text NOT NULL,
            sales_rep_id text NOT NULL,
            status text NOT NULL,
            requested_at timestamptz NOT NULL,
            notified_at timestamptz,
            available numeric,
            position bigint NOT NULL UNIQUE
        );
        CREATE INDEX IF NOT EXISTS {ALERTS}_rep ON {ALERTS} (sales_rep_id, position);
    """

    def on_requested(self, cur: DictCursor, event: StockAlert.Requested, stored: Stored) -> None:
        cur.execute(
            f"INSERT INTO {ALERTS} (alert_id, sku, sales_rep_id, status, requested_at, "
            "position) VALUES (%s, %s, %s, 'waiting', %s, %s) ON CONFLICT (alert_id) DO NOTHING",
            (
                str(event.originator_id),
                event.sku,
                event.sales_rep_id,
                event.requested_at,
                stored.position,
            ),
        )

    def on_fired(self, cur: DictCursor, event: StockAlert.Fired, stored: Stored) -> None:
        cur.execute(
            f"UPDATE {ALERTS} SET status = 'notified', notified_at = %s, available = %s "
            "WHERE alert_id = %s",
            (event.fired_at, event.available, str(event.originator_id)),
        )

    def list_alerts(
        self,
        scope: Scope,
        page: PageRequest,
        *,
        sku: str | None = None,
        status: str | None = None,
        sales_rep_id: str | None = None,
    ) -> Page[AlertSummary]:
        where = within_scope(
            scope,
            Where()
            .equals("sku", sku)
            .equals("status", status)
            .equals("sales_rep_id", sales_rep_id),
        )
        query, params = keyset_query(
            f"SELECT alert_id, sku, sales_rep_id, status, requested_at, notified_at, available, "
            f"position FROM {ALERTS}",
            where,
            ["position"],
            page,
        )
        with self.reading() as cur:
            cur.execute(query, params)
            rows = [AlertSummary(**row) for row in cur.fetchall()]
        return page_of(rows, page.limit, lambda alert: (alert.position,))

    def rows(self) -> list[dict[str, Any]]:
        with self.reading() as cur:
            cur.execute(f"SELECT * FROM {ALERTS} ORDER BY alert_id")
            return cur.fetchall()

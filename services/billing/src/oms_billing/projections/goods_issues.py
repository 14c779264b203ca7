"""GoodsIssuesView: the goods issues of customers invoiced on demand, waiting or invoiced,
for the back office to choose which to invoice (``GET /goods-issues``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from oms_kit.auth import Scope
from oms_kit.paging import Page, PageRequest, Where, keyset_query, page_of
from oms_kit.projection import DictCursor, Stored, View

from oms_billing.domain.order import BillingOrder
from oms_billing.projections.portfolio import within_scope

GOODS_ISSUES = "billing_goods_issues"


@dataclass(frozen=True)
class GoodsIssueSummary:
    goods_issue_id: str
    order_id: str
    customer_id: str
    issued_at: datetime
    #: [{sku, quantity}]
    lines: list[dict[str, Any]]
    invoiced: bool
    invoice_id: UUID | None
    position: int


class GoodsIssuesView(View):
    name = "goods_issues"
    tables = (GOODS_ISSUES,)
    ddl = f"""
        CREATE TABLE IF NOT EXISTS {GOODS_ISSUES} (
            goods_issue_id text PRIMARY KEY,
            order_id text NOT NULL,
            customer_id text NOT NULL,
            issued_at timestamptz NOT NULL,
            lines jsonb NOT NULL,
            invoiced boolean NOT NULL DEFAULT false,
            invoice_id uuid,
            position bigint NOT NULL UNIQUE
        );
        CREATE INDEX IF NOT EXISTS {GOODS_ISSUES}_customer
            ON {GOODS_ISSUES} (customer_id, position);
    """

    # --- the events it follows ------------------------------------------------------------

    def on_awaiting(
        self, cur: DictCursor, event: BillingOrder.GoodsIssueAwaiting, stored: Stored
    ) -> None:
        lines = [{"sku": li["sku"], "quantity": str(li["quantity"])} for li in event.lines]
        cur.execute(
            f"INSERT INTO {GOODS_ISSUES} (goods_issue_id, order_id, customer_id, issued_at, "
            "lines, position) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (goods_issue_id) DO NOTHING",
            (
                event.goods_issue_id,
                event.order_id,
                event.customer_id,
                event.issued_at,
                json.dumps(lines),
                stored.position,
            ),
        )

    def on_invoiced(
        self, cur: DictCursor, event: BillingOrder.GoodsIssuesInvoiced, stored: Stored
    ) -> None:
        cur.execute(
            f"UPDATE {GOODS_ISSUES} SET invoiced = true, invoice_id = %s "
            "WHERE goods_issue_id = ANY(%s)",
            (event.invoice_id, list(event.goods_issue_ids)),
        )

    # --- queries --------------------------------------------------------------------------

    def list_goods_issues(
        self,
        scope: Scope,
        page: PageRequest,
        *,
        customer_id: str | None = None,
        uninvoiced: bool = False,
    ) -> Page[GoodsIssueSummary]:
        """Within ``scope``, oldest first, of one customer when given, only those still
        waiting when ``uninvoiced``."""
        where = within_scope(scope, Where().equals("customer_id", customer_id))
        if uninvoiced:
            where.add("NOT invoiced")
        query, params = keyset_query(
            f"SELECT goods_issue_id, order_id, customer_id, issued_at, lines, invoiced, "
            f"invoice_id, position FROM {GOODS_ISSUES}",
            where,
            ["position"],
            page,
            descending=False,
        )
        with self.reading() as cur:
            cur.execute(query, params)
            rows = [GoodsIssueSummary(**row) for row in cur.fetchall()]
        return page_of(rows, page.limit, lambda gi: (gi.position,))

    def orders_of(self, goods_issue_ids: list[str]) -> dict[str, str]:
        """The order of each of these goods issues that waited for invoicing on demand."""
        with self.reading() as cur:
            cur.execute(
                f"SELECT goods_issue_id, order_id FROM {GOODS_ISSUES} "
                "WHERE goods_issue_id = ANY(%s)",
                (goods_issue_ids,),
            )
            return {row["goods_issue_id"]: row["order_id"] for row in cur.fetchall()}

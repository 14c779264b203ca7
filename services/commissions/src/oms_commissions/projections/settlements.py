"""SettlementsView: the settlements paid to each rep, newest first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from oms_kit.auth import Scope
from oms_kit.paging import Page, PageRequest, Where, keyset_query, page_of
from oms_kit.projection import DictCursor, Stored, View

from oms_commissions.domain.ledger import RepLedger
from oms_commissions.projections.commissions import within_scope

SETTLEMENTS = "commission_settlements"


@dataclass(frozen=True)
class SettlementSummary:
    settlement_id: str
    sales_rep_id: str
    until: date
    amount: Decimal
    settled_at: datetime
    lines: list[dict[str, Any]]
    position: int


class SettlementsView(View):
    name = "settlements"
    tables = (SETTLEMENTS,)
    ddl = f"""
        CREATE TABLE IF NOT EXISTS {SETTLEMENTS} (
            settlement_id text PRIMARY KEY,
            sales_rep_id text NOT NULL,
            until date NOT NULL,
            amount numeric NOT NULL,
            settled_at timestamptz NOT NULL,
            lines jsonb NOT NULL,
            position bigint NOT NULL UNIQUE
        );
        CREATE INDEX IF NOT EXISTS {SETTLEMENTS}_rep ON {SETTLEMENTS} (sales_rep_id, position);
    """

    def on_settled(self, cur: DictCursor, event: RepLedger.Settled, stored: Stored) -> None:
        lines = [
            {
                "entry_id": line["entry_id"],
                "invoice_id": line["invoice_id"],
                "customer_id": line["customer_id"],
                "earned_on": line["earned_on"],
                "commission": str(line["commission"]),
            }
            for line in event.lines
        ]
        cur.execute(
            f"INSERT INTO {SETTLEMENTS} (settlement_id, sales_rep_id, until, amount, "
            "settled_at, lines, position) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (settlement_id) DO NOTHING",
            (
                event.settlement_id,
                event.sales_rep_id,
                event.until,
                event.amount,
                event.settled_at,
                json.dumps(lines),
                stored.position,
            ),
        )

    def list_settlements(
        self, scope: Scope, page: PageRequest, *, sales_rep_id: str | None = None
    ) -> Page[SettlementSummary]:
        where = within_scope(scope, Where().equals("sales_rep_id", sales_rep_id))
        query, params = keyset_query(
            f"SELECT settlement_id, sales_rep_id, until, amount, settled_at, lines, position "
            f"FROM {SETTLEMENTS}",
            where,
            ["position"],
            page,
        )
        with self.reading() as cur:
            cur.execute(query, params)
            rows = [SettlementSummary(**row) for row in cur.fetchall()]
        return page_of(rows, page.limit, lambda settlement: (settlement.position,))

    def rows(self) -> list[dict[str, Any]]:
        with self.reading() as cur:
            cur.execute(f"SELECT * FROM {SETTLEMENTS} ORDER BY settlement_id")
            return cur.fetchall()

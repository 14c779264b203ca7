"""CommissionsView: the position of commissions per rep and customer, three ways
(DESIGN section 12):

- ``to_invoice``: one row per confirmed order with what it still has to invoice, dated by
  its expected delivery date (or the day it was confirmed); an invoice takes its part out,
  a cancellation removes the row;
- ``invoiced``: one row per invoice issued, dated the day it was issued; titles_total is the
  invoice's total (billing splits exactly that into its receivable installments);
- ``paid``: one row per payment received, dated that day: the amount paid and the paid
  share of the invoice's base and commission (a reversed invoice's claw-back is a negative
  row).

A cancelled invoice leaves ``invoiced`` (with its credit notes' rows); a credit note is a
negative ``invoiced`` row dated the day it was issued (what it credited, the commission it
reversed) and, when payments had earned more than the invoice keeps, a negative ``paid``
row of the claw-back.

A query sums the rows of one view per rep and customer; every figure is a sum of ledger
lines, so the items add up to the totals. A sales rep sees only his own rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from oms_kit.auth import Scope
from oms_kit.paging import Page, PageRequest, Where, decode_cursor, encode_cursor
from oms_kit.projection import DictCursor, Stored, View
from psycopg import sql

from oms_commissions.domain.customer import CustomerName
from oms_commissions.domain.invoice import InvoiceCommission
from oms_commissions.domain.money import ZERO
from oms_commissions.domain.order import OrderCommission

ENTRIES = "commission_entries"
CUSTOMERS = "commission_customers"
VIEWS = ("to_invoice", "invoiced", "paid")


@dataclass(frozen=True)
class CommissionFilter:
    view: str
    sales_rep_id: str | None = None
    customer_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class CommissionItem:
    sales_rep_id: str
    customer_id: str
    customer_name: str
    titles_total: Decimal
    base: Decimal
    commission: Decimal
    #: The newest day of the item's rows (the list's order, newest first).
    latest: str


def within_scope(scope: Scope, where: Where) -> Where:
    """A rep sees his own rows (those of orders placed while the customer was his);
    staff everything; anyone else nothing."""
    if scope.everything:
        return where
    if scope.sales_rep_id is not None:
        return where.add("sales_rep_id = %s", scope.sales_rep_id)
    return where.add("false")


class CommissionsView(View):
    name = "commissions"
    tables = (ENTRIES, CUSTOMERS)
    ddl = f"""
        CREATE TABLE IF NOT EXISTS {ENTRIES} (
            view text NOT NULL,
            entry_id text NOT NULL,
            sales_rep_id text NOT NULL,
            customer_id text NOT NULL,
            day date NOT NULL,
            titles_total numeric NOT NULL,
            base numeric NOT NULL,
            commission numeric NOT NULL,
            PRIMARY KEY (view, entry_id)
        );
        CREATE INDEX IF NOT EXISTS {ENTRIES}_rep ON {ENTRIES} (view, sales_rep_id, day);
        CREATE TABLE IF NOT EXISTS {CUSTOMERS} (
            customer_id text PRIMARY KEY,
            name text NOT NULL
        );
    """

    # --- the events it follows ------------------------------------------------------------

    def _insert(
        self,
        cur: DictCursor,
        view: str,
        entry_id: str,
        sales_rep_id: str,
        customer_id: str,
        day: str,
        titles_total: Decimal,
        base: Decimal,
        commission: Decimal,
    ) -> None:
        cur.execute(
            f"INSERT INTO {ENTRIES} (view, entry_id, sales_rep_id, customer_id, day, "
            "titles_total, base, commission) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (view, entry_id) DO NOTHING",
            (view, entry_id, sales_rep_id, customer_id, day, titles_total, base, commission),
        )

    def on_accrued(self, cur: DictCursor, event: OrderCommission.Accrued, stored: Stored) -> None:
        self._insert(
            cur,
            "to_invoice",
            _order_key(event),
            event.sales_rep_id,
            event.customer_id,
            event.accrued_on,
            event.titles_total,
            event.base,
            event.commission,
        )

    def on_invoiced(self, cur: DictCursor, event: OrderCommission.Invoiced, stored: Stored) -> None:
        order_id = _order_key(event)
        cur.execute(
            f"UPDATE {ENTRIES} SET titles_total = titles_total - %s, base = base - %s, "
            "commission = commission - %s WHERE view = 'to_invoice' AND entry_id = %s",
            (event.titles_total, event.base, event.commission, order_id),
        )
        cur.execute(
            f"DELETE FROM {ENTRIES} WHERE view = 'to_invoice' AND entry_id = %s "
            "AND titles_total = 0 AND base = 0 AND commission = 0",
            (order_id,),
        )

    def on_cancelled(
        self, cur: DictCursor, event: OrderCommission.Cancelled, stored: Stored
    ) -> None:
        cur.execute(
            f"DELETE FROM {ENTRIES} WHERE view = 'to_invoice' AND entry_id = %s",
            (_order_key(event),),
        )

    def on_priced(self, cur: DictCursor, event: InvoiceCommission.Priced, stored: Stored) -> None:
        self._insert(
            cur,
            "invoiced",
            event.invoice_id,
            event.sales_rep_id,
            event.customer_id,
            event.issued_on,
            event.titles_total,
            event.base,
            event.commission,
        )

    def on_earned(self, cur: DictCursor, event: InvoiceCommission.Earned, stored: Stored) -> None:
        self._insert(
            cur,
            "paid",
            event.payment_id,
            event.sales_rep_id,
            event.customer_id,
            event.earned_on,
            event.amount_paid,
            event.base,
            event.commission,
        )

    def on_reversed(
        self, cur: DictCursor, event: InvoiceCommission.Reversed, stored: Stored
    ) -> None:
        cur.execute(
            f"DELETE FROM {ENTRIES} WHERE view = 'invoiced' "
            "AND (entry_id = %s OR starts_with(entry_id, %s))",
            (event.invoice_id, f"credit:{event.invoice_id}:"),
        )
        if event.earned_amount or event.earned_commission:
            self._insert(
                cur,
                "paid",
                f"reversal:{event.invoice_id}",
                event.sales_rep_id,
                event.customer_id,
                event.reversed_on,
                -event.earned_amount,
                -event.earned_base,
                -event.earned_commission,
            )

    def on_credited(
        self, cur: DictCursor, event: InvoiceCommission.Credited, stored: Stored
    ) -> None:
        self._insert(
            cur,
            "invoiced",
            f"credit:{event.invoice_id}:{event.credit_note_id}",
            event.sales_rep_id,
            event.customer_id,
            event.credited_on,
            -event.amount,
            -event.base,
            -event.commission,
        )
        if event.earned_base or event.earned_commission:
            self._insert(
                cur,
                "paid",
                f"credit:{event.credit_note_id}",
                event.sales_rep_id,
                event.customer_id,
                event.credited_on,
                ZERO,
                -event.earned_base,
                -event.earned_commission,
            )

    def on_named(self, cur: DictCursor, event: CustomerName.Named, stored: Stored) -> None:
        cur.execute(
            f"INSERT INTO {CUSTOMERS} (customer_id, name) VALUES (%s, %s) "
            "ON CONFLICT (customer_id) DO UPDATE SET name = EXCLUDED.name",
            (event.customer_id, event.name),
        )

    # --- queries --------------------------------------------------------------------------

    def list_commissions(
        self, scope: Scope, filter: CommissionFilter, page: PageRequest
    ) -> Page[CommissionItem]:
        """One item per rep and customer of ``filter.view`` within ``scope``, the newest
        first (by the newest day of their rows); the totals are over every item, not only
        the page's."""
        where = within_scope(
            scope,
            Where()
            .equals("view", filter.view)
            .equals("sales_rep_id", filter.sales_rep_id)
            .equals("customer_id", filter.customer_id),
        )
        if filter.date_from is not None:
            where.add("day >= %s", filter.date_from)
        if filter.date_to is not None:
            where.add("day <= %s", filter.date_to)
        grouped = (
            sql.SQL(
                "SELECT sales_rep_id, customer_id, to_char(max(day), 'YYYY-MM-DD') AS latest, "
                "sum(titles_total) AS titles_total, sum(base) AS base, "
                f"sum(commission) AS commission FROM {ENTRIES}"
            )
            + where.sql()
            + sql.SQL(" GROUP BY sales_rep_id, customer_id")
        )
        after = Where()
        if page.cursor:
            key = decode_cursor(page.cursor, 3)
            after.add("(latest, sales_rep_id, customer_id) < (%s, %s, %s)", *key)
        query = (
            sql.SQL("SELECT grouped.*, coalesce(names.name, '') AS customer_name FROM (")
            + grouped
            + sql.SQL(f") grouped LEFT JOIN {CUSTOMERS} names USING (customer_id)")
            + after.sql()
            + sql.SQL(" ORDER BY latest DESC, sales_rep_id DESC, customer_id DESC LIMIT %s")
        )
        totals_query = (
            sql.SQL(
                "SELECT coalesce(sum(titles_total), 0) AS titles_total, "
                "coalesce(sum(base), 0) AS base, coalesce(sum(commission), 0) AS commission "
                f"FROM {ENTRIES}"
            )
            + where.sql()
        )
        with self.reading() as cur:
            cur.execute(query, [*where.params, *after.params, page.limit + 1])
            rows = [_item(row) for row in cur.fetchall()]
            cur.execute(totals_query, where.params)
            totals = cur.fetchone() or {}
        items = rows[: page.limit]
        more = len(rows) > page.limit and bool(items)
        last = items[-1] if items else None
        return Page(
            items=items,
            next_cursor=(
                encode_cursor((last.latest, last.sales_rep_id, last.customer_id))
                if more and last
                else None
            ),
            totals={
                "titles_total": _money(totals.get("titles_total")),
                "base": _money(totals.get("base")),
                "commission": _money(totals.get("commission")),
            },
        )

    def rows(self) -> list[dict[str, Any]]:
        """Every row of the view's tables, in a fixed order (a replay compares them)."""
        with self.reading() as cur:
            cur.execute(f"SELECT * FROM {ENTRIES} ORDER BY view, entry_id")
            entries = cur.fetchall()
            cur.execute(f"SELECT * FROM {CUSTOMERS} ORDER BY customer_id")
            return [*entries, *cur.fetchall()]


def _order_key(event: OrderCommission.Event) -> str:
    """A to_invoice row's key: its order's commission aggregate (every event of it has it)."""
    return str(event.originator_id)


def _money(value: Any) -> Decimal:
    return Decimal(value if value is not None else ZERO).quantize(Decimal("0.01"))


def _item(row: dict[str, Any]) -> CommissionItem:
    return CommissionItem(
        sales_rep_id=row["sales_rep_id"],
        customer_id=row["customer_id"],
        customer_name=row["customer_name"],
        titles_total=_money(row["titles_total"]),
        base=_money(row["base"]),
        commission=_money(row["commission"]),
        latest=row["latest"],
    )

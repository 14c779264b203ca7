"""``quote_list``: one row per quote, for ``GET /quotes`` (status, customer, issue date),
newest first, with totals per status over the whole filtered list (as ``order_list``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from oms_kit.auth import Scope
from oms_kit.paging import Page, PageRequest, Where, keyset_query, page_of, totals_by_status
from oms_kit.projection import DictCursor, Stored, View
from psycopg import sql

from oms_orders.domain.quote import ACCEPTED, DRAFT, EXPIRED, REJECTED, SENT, Quote
from oms_orders.projections.portfolio import TABLE as PORTFOLIO

TABLE = "orders_quote_list"


@dataclass(frozen=True)
class QuoteFilter:
    """What ``list_quotes`` keeps; None keeps everything."""

    status: str | None = None
    customer_id: str | None = None
    issued_from: datetime | None = None
    #: Exclusive.
    issued_before: datetime | None = None


@dataclass(frozen=True)
class QuoteSummary:
    quote_id: str
    customer_id: str
    status: str
    status_reason: str | None
    revision: int
    currency: str
    total: Decimal
    valid_until: date | None
    order_id: str | None
    created_at: datetime


class QuoteListView(View):
    name: ClassVar[str] = "quote_list"
    tables: ClassVar[tuple[str, ...]] = (TABLE,)
    ddl: ClassVar[str] = f"""
        CREATE TABLE IF NOT EXISTS {TABLE} (
            quote_id text PRIMARY KEY,
            customer_id text NOT NULL,
            status text NOT NULL,
            status_reason text,
            revision integer NOT NULL,
            currency text NOT NULL,
            total numeric NOT NULL,
            valid_until date,
            order_id text,
            created_at timestamptz NOT NULL,
            position bigint NOT NULL
        );
        CREATE INDEX IF NOT EXISTS {TABLE}_created ON {TABLE} (created_at DESC, quote_id DESC);
        CREATE INDEX IF NOT EXISTS {TABLE}_customer ON {TABLE} (customer_id);
    """

    # Following the quotes' events --------------------------------------------------------

    def on_created(self, cur: DictCursor, event: Quote.QuoteCreated, stored: Stored) -> None:
        cur.execute(
            f"INSERT INTO {TABLE} (quote_id, customer_id, status, revision, currency, total, "
            "valid_until, created_at, position) VALUES (%s, %s, %s, 1, %s, %s, %s, %s, %s) "
            "ON CONFLICT (quote_id) DO NOTHING",
            (
                str(event.originator_id),
                event.customer_id,
                DRAFT,
                event.currency,
                event.total,
                event.valid_until,
                event.timestamp,
                stored.position,
            ),
        )

    def on_revised(self, cur: DictCursor, event: Quote.QuoteRevised, stored: Stored) -> None:
        self._set(cur, event, stored, status=DRAFT, revision=event.revision, total=event.total)

    def on_sent(self, cur: DictCursor, event: Quote.QuoteSent, stored: Stored) -> None:
        self._set(cur, event, stored, status=SENT)

    def on_accepted(self, cur: DictCursor, event: Quote.QuoteAccepted, stored: Stored) -> None:
        self._set(cur, event, stored, status=ACCEPTED, order_id=event.order_id)

    def on_approved(self, cur: DictCursor, event: Quote.QuoteApproved, stored: Stored) -> None:
        # The customer's approval (the portal's "Approve proposal") accepts the quote too.
        self._set(cur, event, stored, status=ACCEPTED, order_id=event.order_id)

    def on_rejected(self, cur: DictCursor, event: Quote.QuoteRejected, stored: Stored) -> None:
        self._set(cur, event, stored, status=REJECTED, status_reason=event.reason)

    def on_expired(self, cur: DictCursor, event: Quote.QuoteExpired, stored: Stored) -> None:
        self._set(cur, event, stored, status=EXPIRED)

    def _set(self, cur: DictCursor, event: Quote.Event, stored: Stored, **columns: Any) -> None:
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = %s").format(sql.Identifier(column)) for column in [*columns, "position"]
        )
        cur.execute(
            sql.SQL("UPDATE {} SET {} WHERE quote_id = %s").format(
                sql.Identifier(TABLE), assignments
            ),
            [*columns.values(), stored.position, str(event.originator_id)],
        )

    # Queries -----------------------------------------------------------------------------

    def list_quotes(
        self, filter: QuoteFilter, page: PageRequest, scope: Scope
    ) -> Page[QuoteSummary]:
        """Newest first (by the day it was drafted), within ``scope``; ``totals`` holds a
        ``StatusTotal`` per status over the whole filtered list, not just the page."""
        where = (
            scope.restrict(Where(), column="customer_id", portfolio=PORTFOLIO)
            .equals("status", filter.status)
            .equals("customer_id", filter.customer_id)
        )
        if filter.issued_from is not None:
            where.add("created_at >= %s", filter.issued_from)
        if filter.issued_before is not None:
            where.add("created_at < %s", filter.issued_before)
        query, params = keyset_query(
            f"SELECT quote_id, customer_id, status, status_reason, revision, currency, total, "
            f"valid_until, order_id, created_at FROM {TABLE}",
            where,
            ("created_at", "quote_id"),
            page,
        )
        with self.reading() as cur:
            cur.execute(query, params)
            rows = [QuoteSummary(**row) for row in cur.fetchall()]
            totals: dict[str, Any] = dict(totals_by_status(cur, TABLE, where))
        listed = page_of(rows, page.limit, key=lambda quote: (quote.created_at, quote.quote_id))
        return Page(items=listed.items, next_cursor=listed.next_cursor, totals=totals)

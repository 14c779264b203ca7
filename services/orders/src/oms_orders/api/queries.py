"""Queries over the ``order_list`` read model (its table is created by the projection)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from oms_kit.eventstore import ServiceApplication
from psycopg import sql
from psycopg.errors import UndefinedTable

from oms_orders.domain.errors import InvalidInput

TABLE = "orders_order_list"


@dataclass(frozen=True)
class OrderFilter:
    status: str | None = None
    customer_id: str | None = None
    issued_from: datetime | None = None
    issued_before: datetime | None = None  # exclusive
    invoice_number: str | None = None


def parse_when(value: str | None, field: str, *, end: bool) -> datetime | None:
    """A date or datetime (naive = UTC). A date as an upper bound covers the whole day, so
    the bound returned for ``end`` is exclusive."""
    if value is None or value == "":
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime.combine(day, time(), tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{field} must be a date or a datetime", field=field) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment + timedelta(microseconds=1) if end else moment


def encode_cursor(issued_at: datetime, order_id: str) -> str:
    raw = json.dumps([issued_at.isoformat(), order_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        issued_at, order_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        moment = datetime.fromisoformat(issued_at)
        if moment.tzinfo is None or not isinstance(order_id, str):
            raise ValueError("not a cursor")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not a cursor this service gave out", field="cursor") from exc
    return moment, order_id


def _where(f: OrderFilter) -> tuple[list[sql.Composable], list[Any]]:
    clauses: list[sql.Composable] = []
    params: list[Any] = []
    if f.status:
        clauses.append(sql.SQL("status = %s"))
        params.append(f.status)
    if f.customer_id:
        clauses.append(sql.SQL("customer_id = %s"))
        params.append(f.customer_id)
    if f.issued_from:
        clauses.append(sql.SQL("issued_at >= %s"))
        params.append(f.issued_from)
    if f.issued_before:
        clauses.append(sql.SQL("issued_at < %s"))
        params.append(f.issued_before)
    if f.invoice_number:
        clauses.append(sql.SQL("%s = ANY(invoice_numbers)"))
        params.append(f.invoice_number)
    return clauses, params


def _joined(clauses: list[sql.Composable]) -> sql.Composable:
    if not clauses:
        return sql.SQL("")
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(clauses)


@dataclass(frozen=True)
class OrderPage:
    items: list[dict[str, Any]]
    totals_by_status: dict[str, dict[str, Any]]
    next_cursor: str | None


def list_orders(
    app: ServiceApplication, f: OrderFilter, limit: int, cursor: str | None
) -> OrderPage:
    """Newest first; totals per status over the whole filtered set, not just the page."""
    after = decode_cursor(cursor) if cursor else None
    clauses, params = _where(f)
    page_clauses, page_params = list(clauses), list(params)
    if after:
        page_clauses.append(sql.SQL("(issued_at, order_id) < (%s, %s)"))
        page_params.extend(after)
    table = sql.Identifier(TABLE)
    try:
        return _page(app, table, clauses, params, page_clauses, page_params, limit)
    except UndefinedTable:  # the worker has not created the read model yet
        return OrderPage(items=[], totals_by_status={}, next_cursor=None)


def _page(
    app: ServiceApplication,
    table: sql.Identifier,
    clauses: list[sql.Composable],
    params: list[Any],
    page_clauses: list[sql.Composable],
    page_params: list[Any],
    limit: int,
) -> OrderPage:
    with app.datastore.transaction(commit=False) as cur:
        cur.execute(
            sql.SQL(
                "SELECT order_id, customer_id, status, status_reason, total, currency, origin, "
                "issued_at, invoice_numbers FROM {}{} "
                "ORDER BY issued_at DESC, order_id DESC LIMIT %s"
            ).format(table, _joined(page_clauses)),
            [*page_params, limit + 1],
        )
        rows = cur.fetchall()
        cur.execute(
            sql.SQL(
                "SELECT status, count(*) AS count, coalesce(sum(total), 0) AS total "
                "FROM {}{} GROUP BY status ORDER BY status"
            ).format(table, _joined(clauses)),
            params,
        )
        totals = {
            row["status"]: {"count": int(row["count"]), "total": Decimal(row["total"])}
            for row in cur.fetchall()
        }
    more = len(rows) > limit
    items = [dict(row) for row in rows[:limit]]
    next_cursor = (
        encode_cursor(items[-1]["issued_at"], items[-1]["order_id"]) if more and items else None
    )
    return OrderPage(items=items, totals_by_status=totals, next_cursor=next_cursor)

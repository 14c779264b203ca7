"""One way to page every list: keyset pagination behind an opaque cursor.

A list is ordered by a unique key (e.g. newest first: ``(issued_at, order_id)``); a page
asks for ``limit + 1`` rows after the cursor's key, and the cursor of the next page is the
key of the page's last row, encoded so callers treat it as a token. Offsets are not used:
they skip or repeat rows when rows are added while someone pages."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

from psycopg import Cursor, sql

from oms_kit.domain import InvalidInput

T = TypeVar("T")

#: What a cursor may hold: the values of a list's ordering key.
KeyPart = str | int | Decimal | datetime

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    #: Figures over the whole filtered list, not just the page (e.g. totals per status).
    totals: dict[str, Any] = field(default_factory=dict)


def encode_cursor(key: Sequence[KeyPart]) -> str:
    parts: list[list[str]] = []
    for value in key:
        if isinstance(value, datetime):
            parts.append(["t", value.isoformat()])
        elif isinstance(value, Decimal):
            parts.append(["d", str(value)])
        elif isinstance(value, bool) or not isinstance(value, str | int):
            raise TypeError(f"a cursor cannot hold {type(value).__name__}")
        elif isinstance(value, int):
            parts.append(["i", str(value)])
        else:
            parts.append(["s", value])
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, size: int) -> tuple[KeyPart, ...]:
    """The key in a cursor this service gave out; ``InvalidInput`` naming ``cursor``
    otherwise."""
    decoders: dict[str, Callable[[str], KeyPart]] = {
        "t": datetime.fromisoformat,
        "d": Decimal,
        "i": int,
        "s": str,
    }
    try:
        padded = token + "=" * (-len(token) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(parts, list) or len(parts) != size:
            raise ValueError("not a cursor")
        key = tuple(decoders[kind](value) for kind, value in parts)
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not a cursor this service gave out", field="cursor") from exc
    return key


def page_of(rows: Sequence[T], limit: int, key: Callable[[T], Sequence[KeyPart]]) -> Page[T]:
    """The page of ``rows`` (fetched as ``limit + 1``): the extra row only says there is
    more, and the last row's key is the next cursor."""
    items = list(rows[:limit])
    more = len(rows) > limit and bool(items)
    return Page(items=items, next_cursor=encode_cursor(key(items[-1])) if more else None)


class Where:
    """The filters of a list query, added only for the values given."""

    def __init__(self) -> None:
        self.clauses: list[sql.Composable] = []
        self.params: list[Any] = []

    def add(self, clause: str, *params: Any) -> Where:
        self.clauses.append(sql.SQL(clause))
        self.params.extend(params)
        return self

    def equals(self, column: str, value: Any) -> Where:
        if value is not None and value != "":
            self.clauses.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
            self.params.append(value)
        return self

    def sql(self) -> sql.Composable:
        if not self.clauses:
            return sql.SQL("")
        return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(self.clauses)


def keyset_query(
    select: str,
    where: Where,
    order: Sequence[str],
    request: PageRequest,
    *,
    descending: bool = True,
) -> tuple[sql.Composed, list[Any]]:
    """``select`` (``SELECT ... FROM table``) with ``where``, after the cursor's key in
    ``order`` (the columns of a unique key), ordered by it, ``limit + 1`` rows."""
    clauses = Where()
    clauses.clauses = list(where.clauses)
    clauses.params = list(where.params)
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in order)
    if request.cursor:
        after = decode_cursor(request.cursor, len(order))
        marks = sql.SQL(", ").join(sql.Placeholder() for _ in order)
        comparison = sql.SQL("<" if descending else ">")
        clauses.clauses.append(sql.SQL("({}) {} ({})").format(columns, comparison, marks))
        clauses.params.extend(after)
    direction = sql.SQL(" DESC" if descending else " ASC")
    ordering = sql.SQL(", ").join(sql.Identifier(c) + direction for c in order)
    query = sql.SQL("{} {} ORDER BY {} LIMIT %s").format(
        sql.SQL(select),
        clauses.sql(),
        ordering,
    )
    return query, [*clauses.params, request.limit + 1]


@dataclass(frozen=True)
class StatusTotal:
    """How many rows of a list have one status, and their amounts added up."""

    count: int
    total: Decimal


def totals_by_status(
    cur: Cursor[dict[str, Any]], table: str, where: Where, amount: str = "total"
) -> dict[str, StatusTotal]:
    """A list's ``totals_by_status``: per status, the count and the sum of ``amount`` over
    every row ``where`` selects (the whole filtered list, not a page)."""
    query = sql.SQL(
        "SELECT status, count(*) AS count, coalesce(sum({}), 0) AS total "
        "FROM {}{} GROUP BY status ORDER BY status"
    ).format(sql.Identifier(amount), sql.Identifier(table), where.sql())
    cur.execute(query, where.params)
    return {
        row["status"]: StatusTotal(count=int(row["count"]), total=Decimal(row["total"]))
        for row in cur.fetchall()
    }


def parse_when(value: str | None, field: str, *, end: bool) -> datetime | None:
    """A list filter's date or datetime (naive = UTC), ``InvalidInput`` naming ``field``
    otherwise. As an upper bound (``end``) the moment returned is exclusive, and a date
    covers its whole day."""
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

"""Parsing of query parameters that pydantic does not type for us."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from oms_kit.domain import InvalidInput


def parse_when(value: str | None, field: str, *, end: bool) -> datetime | None:
    """A date or datetime (naive = UTC), ``InvalidInput`` naming ``field`` otherwise. As an
    upper bound (``end``) the moment returned is exclusive, and a date covers its whole
    day."""
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

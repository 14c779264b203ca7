"""Signing in's parts (hashing, keys, tokens, the throttle) on their in-memory stores, with
a clock the tests move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


class Clock:
    """A clock that stands still until moved (from now: the tokens it stamps are checked
    by PyJWT against the real time)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()

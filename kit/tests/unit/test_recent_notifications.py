"""What the feeds of one process share: the notifications one of them read, handed to the
others as far as that select covered the log."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.persistence import Notification
from oms_kit.feed import RecentNotifications


def rows(*ids: int) -> list[Notification]:
    return [
        Notification(id=i, originator_id=uuid4(), originator_version=1, topic="t", state=b"")
        for i in ids
    ]


def ids(batch: list[Notification] | None) -> list[int] | None:
    return None if batch is None else [n.id for n in batch]


def test_what_a_select_covered_is_handed_out_and_nothing_beyond_it() -> None:
    recent = RecentNotifications()
    assert recent.after(0, 10) is None  # nothing read yet: select
    recent.add(0, rows(1, 2, 3))
    assert ids(recent.after(0, 10)) == [1, 2, 3]
    assert ids(recent.after(1, 1)) == [2]
    assert recent.after(3, 10) is None  # what follows 3 is not known here


def test_a_later_select_extends_it_gaps_and_all() -> None:
    recent = RecentNotifications()
    recent.add(0, rows(1, 2, 3))
    recent.add(3, rows(5, 6))  # 4 was never committed (a rolled-back insert)
    assert ids(recent.after(2, 10)) == [3, 5, 6]
    recent.add(2, rows(3, 5, 6, 7))  # overlapping: only what is new is added
    assert ids(recent.after(0, 10)) == [1, 2, 3, 5, 6, 7]


def test_a_select_elsewhere_in_the_log_starts_over_and_the_oldest_are_forgotten() -> None:
    recent = RecentNotifications(capacity=3)
    recent.add(0, rows(1, 2, 3))
    recent.add(100, rows(101, 102))  # a view far behind or ahead: not contiguous
    assert recent.after(0, 10) is None
    assert ids(recent.after(100, 10)) == [101, 102]
    recent.add(102, rows(103, 104))
    assert recent.after(100, 10) is None  # 101 forgotten: (100, 101] no longer known
    assert ids(recent.after(101, 10)) == [102, 103, 104]

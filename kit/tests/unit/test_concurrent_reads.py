"""Reads of one aggregate from many threads (a consumer's worker threads, an API's request
threads) while it changes: each gets a whole copy. The library's cache fast-forwards under
a lock of its own but copied for the caller outside it, so a copy taken while another read
fast-forwarded the cached aggregate failed with "dictionary changed size during
iteration", and the consumer dead-lettered the event it was applying."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate, event
from oms_kit.eventstore import ServiceApplication, memory_env


class Shelf(Aggregate):
    """Grows a dict with every event: a copy taken while it grows sees it change size."""

    class Stocked(Aggregate.Created):
        pass

    class ItemAdded(Aggregate.Event):
        key: str

    @event(Stocked)
    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    @event(ItemAdded)
    def add(self, key: str) -> None:
        self.items[key] = key


class Warehouse(ServiceApplication):
    name = "orders"

    def stock(self) -> UUID:
        shelf = Shelf()
        for i in range(300):
            shelf.add(f"k{i}")
        self.save(shelf)
        return shelf.id

    def add(self, shelf_id: UUID, key: str) -> None:
        shelf = self.find(Shelf, shelf_id)
        assert shelf is not None
        shelf.add(key)
        self.save(shelf)


@pytest.fixture
def switching_often() -> Iterator[None]:
    """Threads switch every microsecond: the window between the library's fast-forward
    and its copy is hit in a few hundred reads instead of by luck."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_reads_while_the_aggregate_changes_each_get_a_whole_copy(switching_often: None) -> None:
    app = Warehouse(
        env={**memory_env(), "AGGREGATE_CACHE_MAXSIZE": "100", "AGGREGATE_CACHE_FASTFORWARD": "y"}
    )
    shelf_id = app.stock()
    failures: list[BaseException] = []
    sizes: list[int] = []
    writing = threading.Event()
    writing.set()

    def read() -> None:
        while writing.is_set():
            try:
                shelf = app.find(Shelf, shelf_id)
            except RuntimeError as exc:
                failures.append(exc)
                continue
            assert shelf is not None
            sizes.append(len(shelf.items))

    def write() -> None:
        try:
            for i in range(200):
                app.add(shelf_id, f"w{i}")
        finally:
            writing.clear()

    threads = [threading.Thread(target=read) for _ in range(4)]
    threads.append(threading.Thread(target=write))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sizes and min(sizes) >= 300
    final = app.find(Shelf, shelf_id)
    assert final is not None and len(final.items) == 500

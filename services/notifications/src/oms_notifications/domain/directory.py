"""What the service keeps of other services' records, learnt from their events (never from
their databases): customers, sales reps, products, quotes, orders, invoices. Each is a small
aggregate whose fields are learnt field by field, each with the version of the source
aggregate that said it: events may arrive repeated or out of order (a redelivery, a topic
read ahead of another), and an older version never overwrites a newer one.

``DirectoryEntry`` is that aggregate, written once; each kind of record subclasses it with
its ``kind`` (part of its id) and properties naming its key and its fields."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

Fields = dict[str, str | None]


def entry_id(kind: str, key: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"oms/notifications/{kind}/{key}")


class DirectoryEntry(Aggregate):
    #: The kind of record (``customer``, ``sales_rep``...): entries of two kinds with the
    #: same key are two aggregates. Not annotated: eventsourcing would make a dataclass of
    #: an annotated aggregate, whose generated __init__ hides this one in subclasses.
    kind = ""

    # eventsourcing redefines these events in every subclass (``Customer.Opened``,
    # ``Customer.Learnt``), so each kind's events keep a topic of their own and a view that
    # follows one kind is not handed another's; ``learn`` triggers the subclass's own.
    class Opened(Aggregate.Created):
        key: str

    class Learnt(Aggregate.Event):
        fields: Fields
        version: int

        def apply(self, aggregate: Any) -> None:
            for name, value in self.fields.items():
                aggregate.values[name] = value
                aggregate.versions[name] = self.version

    @classmethod
    def create_id(cls, key: str) -> UUID:
        return entry_id(cls.kind, key)

    @event(Opened)
    def __init__(self, key: str) -> None:
        self.key = key
        self.values: Fields = {}
        self.versions: dict[str, int] = {}

    def learn(self, fields: Fields, version: int) -> bool:
        """Take what version ``version`` of the source record says; False when nothing
        in it is new."""
        news = {
            name: value for name, value in fields.items() if self.versions.get(name, 0) < version
        }
        if not news:
            return False
        self.trigger_event(type(self).Learnt, fields=news, version=version)
        return True

"""What the service keeps of other services' records, learnt from their events (never from
their databases): customers, sales reps, products, quotes, orders, invoices. Each is a small
aggregate whose fields are learnt field by field, each with the version of the source
aggregate that said it: events may arrive repeated or out of order (a redelivery, a topic
read ahead of another), and an older version never overwrites a newer one."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

Fields = dict[str, str | None]


def entry_id(kind: str, key: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"oms/notifications/{kind}/{key}")


def newer(fields: Fields, version: int, versions: dict[str, int]) -> Fields:
    """The fields of ``fields`` that ``version`` tells for the first time or anew."""
    return {name: value for name, value in fields.items() if versions.get(name, 0) < version}


def apply(values: Fields, versions: dict[str, int], fields: Fields, version: int) -> None:
    for name, value in fields.items():
        values[name] = value
        versions[name] = version

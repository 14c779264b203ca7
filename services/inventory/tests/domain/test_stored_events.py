"""Stored events are found again by their topic (``module:Aggregate.Event``) and read with
their stored fields: renaming an event class, moving it or renaming a field would orphan
what the service has stored. ``stored_events.json`` was written by the release before the
events were typed classes (a receipt, a reservation, a partial pick with an
Idempotency-Key, a cancel, a shortage, a cancel before any confirmation)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)
from eventsourcing.utils import get_topic
from oms_inventory.domain import (
    ExpiryMismatch,
    GoodsIssue,
    InvalidPick,
    InvalidQuantity,
    LotLine,
    OrderReservation,
    PickList,
    PickListClosed,
    PickListNotFound,
    Stock,
    UnknownSku,
)
from oms_inventory.domain.picking import CANCELLED, DONE
from oms_inventory.domain.reservation import CANCELLED as ORDER_CANCELLED
from oms_inventory.domain.reservation import RELEASED, SHORT
from oms_kit.domain import Conflict, DomainError, InvalidInput, NotFound

D = Decimal

STORED_TOPICS = {
    "oms_inventory.domain.stock:Stock.Opened",
    "oms_inventory.domain.stock:Stock.Received",
    "oms_inventory.domain.stock:Stock.Reserved",
    "oms_inventory.domain.stock:Stock.Released",
    "oms_inventory.domain.stock:Stock.Issued",
    "oms_inventory.domain.stock:Stock.LevelChanged",
    "oms_inventory.domain.reservation:OrderReservation.Opened",
    "oms_inventory.domain.reservation:OrderReservation.Reserved",
    "oms_inventory.domain.reservation:OrderReservation.ShortageRecorded",
    "oms_inventory.domain.reservation:OrderReservation.PickListAdded",
    "oms_inventory.domain.reservation:OrderReservation.Released",
    "oms_inventory.domain.reservation:OrderReservation.Cancelled",
    "oms_inventory.domain.picking:PickList.Created",
    "oms_inventory.domain.picking:PickList.Confirmed",
    "oms_inventory.domain.picking:PickList.Cancelled",
    "oms_inventory.domain.picking:GoodsIssue.Issued",
}


#: Every domain event class, typed.
EVENT_CLASSES: list[type[Aggregate.Event]] = [
    Stock.Opened,
    Stock.Received,
    Stock.Reserved,
    Stock.Released,
    Stock.Issued,
    Stock.LevelChanged,
    OrderReservation.Opened,
    OrderReservation.Reserved,
    OrderReservation.ShortageRecorded,
    OrderReservation.PickListAdded,
    OrderReservation.Released,
    OrderReservation.Cancelled,
    PickList.Created,
    PickList.Confirmed,
    PickList.Cancelled,
    GoodsIssue.Issued,
]


def mapper() -> Mapper[UUID]:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


def stored_events() -> list[StoredEvent]:
    data: list[dict[str, Any]] = json.loads(
        (Path(__file__).parent / "stored_events.json").read_text()
    )
    return [
        StoredEvent(
            originator_id=UUID(item["originator_id"]),
            originator_version=item["originator_version"],
            topic=item["topic"],
            state=json.dumps(item["state"]).encode(),
        )
        for item in data
    ]


def replay() -> dict[UUID, Any]:
    """The aggregates the stored events make, by id."""
    aggregates: dict[UUID, Any] = {}
    for stored in stored_events():
        event = mapper().to_domain_event(stored)
        assert isinstance(event, Aggregate.Event)
        aggregates[event.originator_id] = event.mutate(aggregates.get(event.originator_id))
    return aggregates


def of_type(aggregates: dict[UUID, Any], cls: type[Any]) -> list[Any]:
    return [a for a in aggregates.values() if isinstance(a, cls)]


def test_every_event_keeps_its_stored_topic() -> None:
    assert {get_topic(cls) for cls in EVENT_CLASSES} == STORED_TOPICS
    assert {stored.topic for stored in stored_events()} == STORED_TOPICS


def test_events_stored_before_the_typed_classes_read_as_the_typed_classes() -> None:
    events = [mapper().to_domain_event(stored) for stored in stored_events()]
    confirmed = [e for e in events if isinstance(e, PickList.Confirmed)]
    assert [(c.idempotency_key, c.lines) for c in confirmed] == [
        ("scan-1", [LotLine("A", "W1", "L1", D(1), "2030-01-01").as_dict()])
    ]
    received = [e for e in events if isinstance(e, Stock.Received)]
    assert [(r.lot, r.quantity, r.expires_on) for r in received] == [
        ("L1", D(3), "2030-01-01"),
        ("SPARE", D("4.5"), None),
    ]
    (shortage,) = [e for e in events if isinstance(e, OrderReservation.ShortageRecorded)]
    assert (shortage.order_id, shortage.sku, shortage.requested, shortage.available) == (
        "o-2",
        "B",
        D(1),
        D(0),
    )


def test_aggregates_stored_before_the_typed_classes_load_with_their_state() -> None:
    aggregates = replay()
    (stock,) = of_type(aggregates, Stock)
    # 3 + 4.5 received, 1 picked; the rest of o-1's reservation released on its cancel.
    assert (stock.sku, stock.on_hand, stock.reserved, stock.available) == (
        "A",
        D("6.5"),
        D(0),
        D("6.5"),
    )
    first, follow_up = sorted(of_type(aggregates, PickList), key=lambda p: p.follows is not None)
    assert (first.status, first.confirmation_key, first.goods_issue_id) == (
        DONE,
        "scan-1",
        str(of_type(aggregates, GoodsIssue)[0].id),
    )
    assert first.confirmed_with("scan-1")
    assert (follow_up.status, follow_up.follows) == (CANCELLED, str(first.id))
    orders = {o.order_id: o for o in of_type(aggregates, OrderReservation)}
    assert {order_id: o.status for order_id, o in orders.items()} == {
        "o-1": RELEASED,
        "o-2": SHORT,
        "o-3": ORDER_CANCELLED,
    }
    assert orders["o-1"].pick_list_ids == [str(first.id), str(follow_up.id)]


@pytest.mark.parametrize(
    ("error", "kind", "status"),
    [
        (InvalidQuantity, InvalidInput, 422),
        (ExpiryMismatch, InvalidInput, 422),
        (InvalidPick, InvalidInput, 422),
        (UnknownSku, NotFound, 404),
        (PickListNotFound, NotFound, 404),
        (PickListClosed, Conflict, 409),
    ],
)
def test_each_error_is_one_of_the_kits_domain_errors(
    error: type[DomainError], kind: type[DomainError], status: int
) -> None:
    assert issubclass(error, kind)
    assert error.status == status

"""Partner push in memory: an order accepted once per partner and Idempotency-Key, bound
to the body's meaning; PartnerOrderReceived published once; a partner's order follows
the status orders publishes; another partner does not find it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from oms_contracts.marketplace_ingest import PartnerOrderReceived
from oms_contracts.orders import OrderCancelled, OrderConfirmed, OrderPlaced
from oms_dev.inmemory import ServiceInMemory
from oms_kit.domain import InvalidInput, NotFound
from oms_marketplace_ingest.application import MarketplaceIngestApplication
from oms_marketplace_ingest.bootstrap import bootstrap
from oms_marketplace_ingest.domain.partner_order import PartnerLine

D = Decimal


@pytest.fixture
def ingest() -> ServiceInMemory:
    return ServiceInMemory(bootstrap, dev_stack=True)


def push(
    app: MarketplaceIngestApplication,
    key: str = "key-1",
    partner_id: str = "partner-1",
    quantity: str = "2",
    note: str | None = "gate 4",
) -> tuple[str, bool]:
    order, new = app.receive_partner_order(
        partner_id=partner_id,
        idempotency_key=key,
        external_order_id="PO-77",
        lines=[PartnerLine("SKU-1", D(quantity)), PartnerLine("SKU-2", D(1))],
        note=note,
    )
    return order.order_id, new


def test_the_same_request_twice_is_one_order(ingest: ServiceInMemory) -> None:
    first, new = push(ingest.app)
    again, new_again = push(ingest.app, quantity="2.0")  # the same quantity, spelt otherwise

    assert (new, new_again, again) == (True, False, first)
    [received] = ingest.published(PartnerOrderReceived)
    assert (received.order_id, received.partner_id, received.external_order_id) == (
        first,
        "partner-1",
        "PO-77",
    )
    assert [(line.line_no, line.sku, line.quantity) for line in received.lines] == [
        (1, "SKU-1", D(2)),
        (2, "SKU-2", D(1)),
    ]
    assert received.note == "gate 4"


def test_the_same_key_with_another_body_is_refused(ingest: ServiceInMemory) -> None:
    push(ingest.app)
    for changed in ({"quantity": "3"}, {"note": None}):
        with pytest.raises(InvalidInput) as refused:
            push(ingest.app, **changed)  # type: ignore[arg-type]
        assert refused.value.field == "Idempotency-Key"
    assert len(ingest.published(PartnerOrderReceived)) == 1


def test_keys_belong_to_their_partner(ingest: ServiceInMemory) -> None:
    mine, _ = push(ingest.app)
    theirs, new = push(ingest.app, partner_id="partner-2", quantity="5")

    assert new and theirs != mine
    with pytest.raises(NotFound):
        ingest.app.get_partner_order(mine, "partner-2")
    assert ingest.app.get_partner_order(mine, None).partner_id == "partner-1"  # the staff


def test_a_partner_order_follows_the_orders_status(ingest: ServiceInMemory) -> None:
    order_id, _ = push(ingest.app)
    assert ingest.app.get_partner_order(order_id, "partner-1").status == "received"

    ingest.deliver(placed(order_id, "pending_approval"))
    assert ingest.app.get_partner_order(order_id, "partner-1").status == "pending_approval"
    ingest.deliver(
        OrderConfirmed(order_id=order_id, customer_id="c-1", currency="EUR", lines=[], total=D(1))
    )
    assert ingest.app.get_partner_order(order_id, "partner-1").status == "confirmed"
    ingest.deliver(OrderCancelled(order_id=order_id, reason="out of stock"))
    assert ingest.app.get_partner_order(order_id, "partner-1").status == "cancelled"


def test_other_orders_change_nothing(ingest: ServiceInMemory) -> None:
    events_before = len(list(ingest.app.recorder.select_notifications(1, 1000)))
    assert ingest.deliver(placed("5b0c3a86-9f7c-4a8b-a2b5-0d8f5f1f3a11", "confirmed")).status in (
        "applied",
        "ignored",
    )
    assert len(list(ingest.app.recorder.select_notifications(1, 1000))) == events_before


def placed(order_id: str, status: str) -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id,
        customer_id="c-1",
        origin="partner",
        currency="EUR",
        lines=[],
        net_total=D(1),
        tax_total=D(0),
        total=D(1),
        status=status,
    )

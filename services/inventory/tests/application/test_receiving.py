"""Receiving stock: lots per warehouse, the level after each change, refusals naming the
field (in memory)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from inventory_examples import levels
from oms_contracts.inventory import StockLevelChanged, StockReceived
from oms_dev.inmemory import ServiceInMemory
from oms_inventory.domain import ExpiryMismatch, InvalidQuantity, UnknownSku
from oms_kit.domain import NotFound

D = Decimal


def test_receipts_add_to_lots_and_are_listed_first_expiry_first(
    inventory: ServiceInMemory,
) -> None:
    app = inventory.app
    app.receive_stock("SKU-1", "W2", "L9", D("1.5"))
    app.receive_stock("SKU-1", "W1", "L1", D(3), "2030-01-01")
    stock = app.receive_stock("SKU-1", "W1", "L1", D(2))  # into the lot: its expiry stays
    assert (stock.on_hand, stock.reserved, stock.available) == (D("6.5"), D(0), D("6.5"))
    assert [
        (lot.warehouse, lot.lot, lot.expires_on, lot.on_hand, lot.reserved)
        for lot in app.get_stock("SKU-1").locations()
    ] == [("W1", "L1", "2030-01-01", D(5), D(0)), ("W2", "L9", None, D("1.5"), D(0))]

    received = inventory.published(StockReceived)
    assert [(e.lot, e.quantity, e.expires_on) for e in received] == [
        ("L9", D("1.5"), None),
        ("L1", D(3), date(2030, 1, 1)),
        ("L1", D(2), date(2030, 1, 1)),
    ]
    assert inventory.published(StockLevelChanged)[-1] == StockLevelChanged(
        sku="SKU-1", on_hand=D("6.5"), reserved=D(0), available=D("6.5")
    )


def test_a_receipt_with_another_expiry_into_a_lot_is_refused_naming_the_field(
    inventory: ServiceInMemory,
) -> None:
    app = inventory.app
    app.receive_stock("SKU-1", "W1", "L1", D(3), "2030-01-01")
    with pytest.raises(ExpiryMismatch) as refused:
        app.receive_stock("SKU-1", "W1", "L1", D(1), "2030-02-02")
    assert refused.value.field == "expires_on"
    assert levels(app, "SKU-1") == (D(3), D(0), D(3))
    assert len(inventory.published(StockReceived)) == 1


@pytest.mark.parametrize("quantity", [D(0), D(-1), D("NaN")])
def test_a_receipt_of_nothing_or_less_is_refused_naming_the_field(
    inventory: ServiceInMemory, quantity: Decimal
) -> None:
    with pytest.raises(InvalidQuantity) as refused:
        inventory.app.receive_stock("SKU-1", "W1", "L1", quantity)
    assert refused.value.field == "quantity"
    assert inventory.published() == []


def test_a_sku_never_received_is_not_found_naming_the_sku(inventory: ServiceInMemory) -> None:
    with pytest.raises(UnknownSku) as missing:
        inventory.app.get_stock("NEVER")
    assert isinstance(missing.value, NotFound)
    assert missing.value.field == "sku"

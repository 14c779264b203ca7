"""Orders held for stock are tried again when stock arrives (in memory): first held first,
all or nothing, an order held for another sku then waits for that one, and a cancelled
order is forgotten."""

from __future__ import annotations

from decimal import Decimal

from inventory_examples import levels, order_cancelled, order_confirmed
from oms_contracts.inventory import StockReserved, StockShortage
from oms_dev.inmemory import ServiceInMemory

D = Decimal


def test_a_receipt_reserves_the_held_orders_that_now_fit_first_held_first(
    inventory: ServiceInMemory,
) -> None:
    app = inventory.app
    inventory.deliver(order_confirmed("o-1", ("A", 3)))
    inventory.deliver(order_confirmed("o-2", ("A", 2), ("B", 1)))
    inventory.deliver(order_confirmed("o-3", ("A", 1)))
    inventory.deliver(order_cancelled("o-3"))
    assert app.get_stock("A").backorders == ["o-1", "o-2", "o-3"]

    app.receive_stock("A", "W1", "L1", D(4))  # o-1 fits (3); o-2 not (1 left of 2)
    assert [e.order_id for e in inventory.published(StockReserved)] == ["o-1"]
    assert levels(app, "A") == (D(4), D(3), D(1))
    assert app.get_stock("A").backorders == ["o-2"]  # o-3 was cancelled: forgotten

    app.receive_stock("A", "W1", "L1", D(1))  # o-2's A fits now, but it has no B
    assert [(e.order_id, e.sku) for e in inventory.published(StockShortage)][-1] == ("o-2", "B")
    assert app.get_stock("A").backorders == [] and app.get_stock("B").backorders == ["o-2"]
    assert levels(app, "A") == (D(5), D(3), D(2))

    app.receive_stock("B", "W1", "L1", D(1))
    assert [e.order_id for e in inventory.published(StockReserved)] == ["o-1", "o-2"]
    assert levels(app, "A") == (D(5), D(5), D(0))
    assert levels(app, "B") == (D(1), D(1), D(0))
    assert app.get_stock("B").backorders == []

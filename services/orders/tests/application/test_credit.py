"""The credit check at placement (DESIGN section 15): open receivables plus the orders that
passed the check and are not invoiced yet, kept on the customer, so that placements at the
same moment are serialised by his version."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from oms_contracts.billing import ReceivableOpened
from oms_dev.inmemory import ServiceInMemory
from oms_orders.application import OrdersApplication
from oms_orders.domain.customer import Customer
from oms_orders.domain.pricing import LineRequest

D = Decimal
#: 10 x SKU-1 at 10.00 EUR with 21 % tax (the catalogue fixture).
TEN = [LineRequest(sku="SKU-1", quantity=D(10))]
TEN_TOTAL = (D("10") * D("10.00") * D("1.21")).quantize(D("0.01"))


def receivable(order_id: str, customer_id: str, amount: Decimal) -> ReceivableOpened:
    return ReceivableOpened(
        receivable_id=f"r-{order_id}",
        invoice_id=f"inv-{order_id}",
        order_id=order_id,
        customer_id=customer_id,
        currency="EUR",
        amount=amount,
        installments=[],
    )


def test_unbilled_orders_count_until_billing_opens_their_receivable(
    catalogue: None,
    orders: ServiceInMemory,
    app: OrdersApplication,
    new_customer: Callable[..., str],
) -> None:
    limit = (TEN_TOTAL * 2 + D("50.00")).quantize(D("0.01"))
    customer_id = new_customer(credit_limit=str(limit))
    first = app.place_order(customer_id=customer_id, lines=TEN)
    second = app.place_order(customer_id=customer_id, lines=TEN, origin="rep")
    assert (first.status, second.status) == ("confirmed", "pending_approval")
    third = app.place_order(customer_id=customer_id, lines=TEN)
    assert third.status == "on_hold"
    assert third.status_reason == (
        f"credit limit exceeded: open balance 0.00 + unbilled orders {TEN_TOTAL * 2} "
        f"+ order {TEN_TOTAL} > limit {limit}"
    )
    # The first invoiced: its amount moves from unbilled to open, the use stays the same.
    orders.deliver(receivable(first.order_id, customer_id, TEN_TOTAL))
    customer = app.get(Customer, customer_id, field="customer_id")
    assert (customer.open_balance, customer.unbilled_orders) == (TEN_TOTAL, TEN_TOTAL)
    # The pending one cancelled: room for the held one.
    app.cancel_order(second.order_id, "not needed")
    assert app.approve_order(third.order_id, "boss").status == "confirmed"
    customer = app.get(Customer, customer_id, field="customer_id")
    assert (customer.open_balance, customer.unbilled_orders) == (TEN_TOTAL, TEN_TOTAL)
    # An accepted quote's order counts too.
    quote = app.create_quote(customer_id=customer_id, lines=[LineRequest("SKU-1", D(1))])
    _, quoted = app.accept_quote(quote.quote_id)
    customer = app.get(Customer, customer_id, field="customer_id")
    assert customer.unbilled_orders == TEN_TOTAL + quoted.total


def test_two_placements_at_the_same_moment_cannot_both_pass(
    catalogue: None, app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    """Both load the customer before either saves (a barrier holds them there): the
    second save conflicts on the customer's version, runs again and sees the first."""
    customer_id = new_customer(credit_limit=str(TEN_TOTAL + D("1.00")))
    both_loaded = threading.Barrier(2, timeout=10)
    loaded_once: set[int] = set()
    find = app.find

    def find_and_wait(cls: type[Any], aggregate_id: Any) -> Any:
        found = find(cls, aggregate_id)
        me = threading.get_ident()
        if cls is Customer and me not in loaded_once:
            loaded_once.add(me)
            both_loaded.wait()
        return found

    app.find = find_and_wait  # type: ignore[method-assign]
    placed: list[str] = []

    def place() -> None:
        placed.append(app.place_order(customer_id=customer_id, lines=TEN).status)

    threads = [threading.Thread(target=place) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    app.find = find  # type: ignore[method-assign]
    assert sorted(placed) == ["confirmed", "on_hold"]
    assert app.get(Customer, customer_id, field="customer_id").unbilled_orders == TEN_TOTAL

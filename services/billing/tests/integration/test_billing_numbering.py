"""Two consumers (as two worker processes would) issue invoices at once on the same
PostgreSQL event store: every invoice gets a number once, without gaps."""

from __future__ import annotations

import threading
from collections.abc import Callable

from billing_examples import goods_issued, order_confirmed
from oms_dev.testing import ServiceOnStack


def test_concurrent_issuing_numbers_every_invoice_once_without_gaps(
    make_billing: Callable[..., ServiceOnStack],
) -> None:
    one = make_billing()
    two = make_billing()
    orders = [f"ord-n{i}" for i in range(6)]
    for order_id in orders:
        one.deliver(order_confirmed(order_id))
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def issue(billing: ServiceOnStack, order_ids: list[str], first_position: int) -> None:
        start.wait()
        for n, order_id in enumerate(order_ids):
            event = goods_issued(f"gi-{order_id}", order_id, ("SKU-B", 1))
            outcomes.append(billing.deliver(event, position=first_position + n).status)

    threads = [
        threading.Thread(target=issue, args=(one, orders[0::2], 100)),
        threading.Thread(target=issue, args=(two, orders[1::2], 200)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == ["applied"] * 6
    one.catch_up()
    items = one.client.get("/invoices").json()["items"]
    assert sorted(i["number"] for i in items) == [f"A-{n:06d}" for n in range(1, 7)]
    assert sorted(i["order_id"] for i in items) == orders

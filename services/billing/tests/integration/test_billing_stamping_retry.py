"""A provider that fails twice, on the real stack: the worker's background loop finds the
failed stamping in the invoice list's view and retries it with backoff until stamped."""

from __future__ import annotations

import threading
from collections.abc import Callable

from billing_examples import FlakyProvider, goods_issued, order_confirmed
from oms_billing.adapters.stamping import LocalStampingProvider
from oms_dev.testing import ServiceOnStack, wait_until
from oms_kit.projection import ProjectionRunner


def test_stamping_failing_twice_is_retried_by_the_background_loop(
    make_billing: Callable[..., ServiceOnStack], provider: LocalStampingProvider
) -> None:
    flaky = FlakyProvider(provider, failures=2)
    billing = make_billing(
        stamping_provider=flaky, stamping_retry_base_s=0.05, stamping_poll_s=0.05
    )
    billing.deliver(order_confirmed("ord-r"))
    assert billing.deliver(goods_issued("gi-r", "ord-r", ("SKU-B", 1))).status == "applied"

    def listed() -> dict[str, object]:
        [item] = billing.client.get("/invoices", params={"order_id": "ord-r"}).json()["items"]
        return dict(item)

    billing.catch_up()
    assert listed()["status"] == "stamping_failed"
    stop = threading.Event()
    loops = [
        *(ProjectionRunner(billing.service.app, view).run for view in billing.service.views),
        *billing.service.background,
    ]
    threads = [threading.Thread(target=loop, args=(stop,), daemon=True) for loop in loops]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: listed()["status"] == "stamped", what="the list to show it stamped")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)

    assert flaky.calls == 3
    invoice_id = listed()["invoice_id"]
    detail = billing.client.get(f"/invoices/{invoice_id}").json()
    assert (detail["status"], detail["stamping_attempts"]) == ("stamped", 2)
    assert provider.verify(detail["stamp"]["xml"].encode(), detail["stamp"]["signature"])

"""A provider that fails twice: the failure is recorded, and the worker's background loop
retries with backoff until the invoice is stamped."""

from __future__ import annotations

import threading

from billing_support import Billing, FlakyProvider, goods_issued, order_confirmed
from oms_billing.adapters.stamping import LocalStampingProvider
from oms_contracts.billing import InvoiceIssued, InvoiceStamped, InvoiceStampingFailed
from oms_dev.testing import wait_until
from oms_kit.projection import ProjectionRunner


def test_stamping_failing_twice_is_retried_by_the_background_loop(make_billing) -> None:
    provider = FlakyProvider(LocalStampingProvider.generate(), failures=2)
    billing: Billing = make_billing(
        stamping_provider=provider, stamping_retry_base_s=0.05, stamping_poll_s=0.05
    )
    billing.feed(order_confirmed("ord-r"))
    assert billing.feed(goods_issued("gi-r", "ord-r", ("SKU-B", 1))).status == "applied"
    [issued] = billing.of_type(InvoiceIssued)
    failed = billing.of_type(InvoiceStampingFailed)
    assert [(f.invoice_id, f.attempt) for f in failed] == [(issued.invoice_id, 1)]
    assert billing.of_type(InvoiceStamped) == []

    stop = threading.Event()
    loops = [
        *(ProjectionRunner(billing.service.app, p).run for p in billing.service.projections),
        *billing.service.background,
    ]
    threads = [threading.Thread(target=loop, args=(stop,), daemon=True) for loop in loops]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: billing.of_type(InvoiceStamped), what="the invoice to be stamped")
        wait_until(
            lambda: (
                billing.client.get("/invoices", params={"order_id": "ord-r"}).json()["items"][0][
                    "status"
                ]
                == "stamped"
            ),
            what="the list to show it stamped",
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)

    assert [f.attempt for f in billing.of_type(InvoiceStampingFailed)] == [1, 2]
    [stamped] = billing.of_type(InvoiceStamped)
    assert (stamped.invoice_id, stamped.number) == (issued.invoice_id, issued.number)
    assert provider.calls == 3
    detail = billing.client.get(f"/invoices/{issued.invoice_id}").json()
    assert detail["stamping_attempts"] == 2
    assert provider.inner.verify(detail["stamp"]["xml"].encode(), detail["stamp"]["signature"])

"""A provider that fails: the failure is recorded and published, and a retry after the
invoice's backoff stamps it; the retry loop walks every page of failed stampings."""

from __future__ import annotations

import time
from uuid import UUID

from billing_examples import FlakyProvider, goods_issued, order_confirmed
from oms_billing.adapters.stamping import LocalStampingProvider
from oms_billing.application import BillingApplication
from oms_billing.application.stamping import StampingRetrier
from oms_billing.bootstrap import bootstrap
from oms_contracts.billing import InvoiceIssued, InvoiceStamped, InvoiceStampingFailed
from oms_dev.inmemory import ServiceInMemory
from oms_kit.paging import Page, PageRequest


def flaky_billing(
    provider: LocalStampingProvider, failures: int, retry_base_s: float
) -> tuple[ServiceInMemory, FlakyProvider]:
    flaky = FlakyProvider(provider, failures=failures)
    billing = ServiceInMemory(
        bootstrap, stamping_provider=flaky, stamping_retry_base_s=retry_base_s
    )
    return billing, flaky


def test_a_failed_stamping_is_retried_after_its_backoff_until_stamped(
    provider: LocalStampingProvider,
) -> None:
    billing, flaky = flaky_billing(provider, failures=2, retry_base_s=0.001)
    app: BillingApplication = billing.app
    billing.deliver(order_confirmed("ord-r"))
    assert billing.deliver(goods_issued("gi-r", "ord-r", ("SKU-B", 1))).status == "applied"
    [issued] = billing.published(InvoiceIssued)
    failed = billing.published(InvoiceStampingFailed)
    assert [(f.invoice_id, f.attempt, f.reason) for f in failed] == [
        (issued.invoice_id, 1, "provider unavailable (call 1)")
    ]
    assert billing.published(InvoiceStamped) == []
    assert app.get_invoice(issued.invoice_id).status == "stamping_failed"

    time.sleep(0.01)
    assert not app.retry_stamping(issued.invoice_id)  # fails again
    time.sleep(0.01)
    assert app.retry_stamping(issued.invoice_id)
    assert not app.retry_stamping(issued.invoice_id)  # stamped: nothing to do

    assert [f.attempt for f in billing.published(InvoiceStampingFailed)] == [1, 2]
    [stamped] = billing.published(InvoiceStamped)
    assert (stamped.invoice_id, stamped.number) == (issued.invoice_id, issued.number)
    assert flaky.calls == 3
    invoice = app.get_invoice(issued.invoice_id)
    assert (invoice.status, invoice.stamping_attempts) == ("stamped", 2)
    assert invoice.last_stamping_error == "provider unavailable (call 2)"


def test_no_new_attempt_before_the_backoff_has_passed(provider: LocalStampingProvider) -> None:
    billing, flaky = flaky_billing(provider, failures=1, retry_base_s=600)
    app: BillingApplication = billing.app
    billing.deliver(order_confirmed("ord-w"))
    billing.deliver(goods_issued("gi-w", "ord-w", ("SKU-B", 1)))
    [issued] = billing.published(InvoiceIssued)
    assert not app.retry_stamping(issued.invoice_id)
    assert flaky.calls == 1
    assert len(billing.published(InvoiceStampingFailed)) == 1


def test_a_retry_pass_tries_every_page_of_failed_stampings(
    provider: LocalStampingProvider,
) -> None:
    billing, flaky = flaky_billing(provider, failures=3, retry_base_s=0.001)
    app: BillingApplication = billing.app
    for n in range(3):
        billing.deliver(order_confirmed(f"ord-{n}"))
        billing.deliver(goods_issued(f"gi-{n}", f"ord-{n}", ("SKU-B", 1)))
    invoice_ids = [UUID(e.invoice_id) for e in billing.published(InvoiceIssued)]
    requests: list[PageRequest] = []

    def failed(page: PageRequest) -> Page[UUID]:
        # The read model's answer, two at a time.
        requests.append(page)
        start = int(page.cursor or 0)
        more = start + 2 < len(invoice_ids)
        return Page(invoice_ids[start : start + 2], str(start + 2) if more else None)

    time.sleep(0.01)
    assert StampingRetrier(app, failed).retry_due() == 3
    assert [r.cursor for r in requests] == [None, "2"]
    assert {e.invoice_id for e in billing.published(InvoiceStamped)} == {
        str(i) for i in invoice_ids
    }
    assert flaky.calls == 6

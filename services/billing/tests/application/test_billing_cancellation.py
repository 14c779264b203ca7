"""Cancellation and credit notes in memory: a Mexican invoice's CFDI is cancelled at the
provider (the local PAC) and one it refuses changes nothing; the public events."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from billing_examples import goods_issued, mexican_customer, named_order_confirmed
from oms_billing.adapters.cfdi import LocalCfdiStampingProvider
from oms_billing.application import BillingApplication
from oms_billing.bootstrap import bootstrap
from oms_billing.domain.invoice import Invoice
from oms_contracts.billing import CreditNoteIssued, InvoiceCancelled
from oms_dev.inmemory import ServiceInMemory
from oms_kit.domain import Conflict

D = Decimal


@pytest.fixture
def mexican(mexican_billing: Callable[..., dict[str, Any]]) -> ServiceInMemory:
    return ServiceInMemory(bootstrap, **mexican_billing())


def stamped_invoice(billing: ServiceInMemory, order_id: str) -> Invoice:
    billing.deliver(named_order_confirmed(order_id, "cust-mx"))
    billing.deliver(goods_issued(f"gi-{order_id}", order_id, ("SKU-A", 3), ("SKU-B", 1)))
    invoice = billing.app.get_invoice(Invoice.create_id(f"gi-{order_id}"))
    assert invoice.stamp is not None, invoice.last_stamping_error
    return invoice


def test_a_stamped_cfdi_is_cancelled_at_the_provider(
    mexican: ServiceInMemory, local_pac: LocalCfdiStampingProvider
) -> None:
    app: BillingApplication = mexican.app
    mexican.deliver(mexican_customer("cust-mx"), aggregate_version=1)
    invoice = stamped_invoice(mexican, "order-1")
    cancelled = app.cancel_invoice(invoice.id, "02: errors in the document")
    assert cancelled.status == "cancelled"
    assert invoice.stamp is not None
    assert local_pac.cancelled[invoice.stamp["uuid"]] == "02: errors in the document"
    [event] = mexican.published(InvoiceCancelled)
    assert (event.invoice_id, event.order_id, event.total, event.currency) == (
        str(invoice.id),
        "order-1",
        D("174.00"),
        "MXN",
    )

    # A folio the provider never stamped: refused (409), and the invoice stays as it was.
    other = stamped_invoice(mexican, "order-2")
    assert other.stamp is not None
    local_pac.stamped.discard(other.stamp["uuid"])
    with pytest.raises(Conflict):
        app.cancel_invoice(other.id, "01")
    assert app.get_invoice(other.id).status == "stamped"
    assert len(mexican.published(InvoiceCancelled)) == 1


def test_a_credit_note_by_lines_is_published_with_its_goods(
    mexican: ServiceInMemory,
) -> None:
    app: BillingApplication = mexican.app
    mexican.deliver(mexican_customer("cust-mx"), aggregate_version=1)
    invoice = stamped_invoice(mexican, "order-3")
    note, created = app.issue_credit_note(
        invoice.id, "returned", lines=[("SKU-B", D(1))], returned_goods=True
    )
    assert created
    [event] = mexican.published(CreditNoteIssued)
    # SKU-B: 50.00 net at 16%.
    assert (event.number, event.total, event.net_amount, event.returned_goods) == (
        "A-NC-000001",
        D("58.00"),
        D("50.00"),
        True,
    )
    assert [(li.sku, li.quantity, li.amount) for li in event.lines] == [("SKU-B", D(1), D("58.00"))]
    assert (event.credit_note_id, event.invoice_id, event.order_id, event.customer_id) == (
        str(note.credit_note_id),
        str(invoice.id),
        "order-3",
        "cust-mx",
    )
    # The invoices' own series is untouched: the next invoice is A-000002.
    nxt = stamped_invoice(mexican, "order-4")
    assert nxt.number == "A-000002"

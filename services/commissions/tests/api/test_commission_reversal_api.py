"""Credit notes and invoice cancellations reverse commission, read through the routes on
the real PostgreSQL: a credit note reverses the credited share of each invoice line
(cents(line x credited net / invoice net)) and claws back what payments had earned beyond
what the invoice keeps; a cancellation reverses the rest in full; a redelivered or
republished event changes nothing. Figures are computed here from the shared scenario."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from commissions_examples import tax
from commissions_flow import I1, I2, O1, Figures, cents, feed, invoiced_i1, invoiced_i2
from oms_commissions.bootstrap import bootstrap
from oms_contracts.billing import CreditNoteIssued, InvoiceCancelled, InvoiceIssued
from oms_contracts.commissions import CommissionReversed
from oms_dev.testing import ServiceOnStack, Stack
from oms_kit.auth import BACK_OFFICE

D = Decimal
NOW = datetime.now(UTC)
TODAY = NOW.date().isoformat()


@pytest.fixture
def commissions(stack: Stack) -> Iterator[ServiceOnStack]:
    service = ServiceOnStack(bootstrap, stack)
    service.client.headers.update(service.headers(BACK_OFFICE))
    feed(service)
    yield service
    service.close()


def credit_note(note_id: str, issued: InvoiceIssued, net: Decimal) -> CreditNoteIssued:
    return CreditNoteIssued(
        credit_note_id=note_id,
        invoice_id=issued.invoice_id,
        order_id=issued.order_id,
        customer_id=issued.customer_id,
        number=f"NC-{note_id}",
        reason="damaged goods",
        lines=[],
        total=net + tax(net),
        net_amount=net,
        currency="BRL",
        issued_at=NOW,
    )


def view(service: ServiceOnStack, name: str) -> Figures:
    service.catch_up()
    answer = service.client.get("/commissions", params={"view": name, "sales_rep_id": "rep-1"})
    assert answer.status_code == 200, answer.text
    totals: dict[str, Any] = answer.json()["totals"]
    return Figures(D(totals["titles_total"]), D(totals["base"]), D(totals["commission"]))


def minus(a: Figures, b: Figures) -> Figures:
    return Figures(a.titles_total - b.titles_total, a.base - b.base, a.commission - b.commission)


def credited(issued: InvoiceIssued, lines: list[tuple[Decimal, Decimal]], net: Decimal) -> Figures:
    """What a credit note of ``net`` takes off an invoice whose lines have (base,
    commission): each line's share net / invoice net, to the cent."""
    return Figures(
        net + tax(net),
        sum((cents(base * net / issued.net_total) for base, _ in lines), D(0)),
        sum((cents(commission * net / issued.net_total) for _, commission in lines), D(0)),
    )


def test_credit_notes_reverse_their_share_and_a_cancellation_the_rest_exactly_once(
    commissions: ServiceOnStack,
) -> None:
    invoiced_before, paid_before = view(commissions, "invoiced"), view(commissions, "paid")
    i1, (x1, y1) = invoiced_i1()
    i2 = invoiced_i2()
    x_rest = cents(O1.lines[0].net_amount * 7 / 100) - x1

    # i-2 (unpaid) credited 15.00 of its 49.99 net.
    note_on_i2 = credit_note("cn-1", I2, D("15.00"))
    assert commissions.deliver(note_on_i2).status == "applied"
    off_i2 = credited(
        I2,
        [(I2.lines[0].net_amount, x_rest), (I2.lines[1].net_amount, i2.commission - x_rest)],
        D("15.00"),
    )
    assert (off_i2.base, off_i2.commission) == (D("9.00") + D("6.00"), D("0.63") + D("0.36"))
    assert view(commissions, "invoiced") == minus(invoiced_before, off_i2)
    assert view(commissions, "paid") == paid_before  # nothing of i-2 was earned

    # i-1 (paid in full) credited half its net: what the payments earned of that half is
    # clawed back.
    half = cents(I1.net_total / 2)
    note_on_i1 = credit_note("cn-2", I1, half)
    assert commissions.deliver(note_on_i1).status == "applied"
    off_i1 = credited(I1, [(I1.lines[0].net_amount, x1), (I1.lines[1].net_amount, y1)], half)
    assert view(commissions, "invoiced") == minus(minus(invoiced_before, off_i2), off_i1)
    clawed = Figures(D(0), off_i1.base, off_i1.commission)
    assert view(commissions, "paid") == minus(paid_before, clawed)

    # Redelivered (the same position) and republished (a new one): nothing changes.
    assert commissions.deliver(note_on_i1, position=10_000).status == "applied"
    assert commissions.deliver(note_on_i1, position=10_000).status == "duplicate"
    assert view(commissions, "paid") == minus(paid_before, clawed)

    # i-2 cancelled: what it kept after the credit note leaves invoiced too.
    cancelled = InvoiceCancelled(
        invoice_id=I2.invoice_id,
        order_id=I2.order_id,
        customer_id=I2.customer_id,
        number=I2.number,
        reason="issued by mistake",
        total=I2.total,
        currency="BRL",
        cancelled_at=NOW,
    )
    assert commissions.deliver(cancelled).status == "applied"
    assert commissions.deliver(cancelled).status == "applied"  # republished: no change
    assert view(commissions, "invoiced") == minus(i1, off_i1)
    assert view(commissions, "paid") == minus(paid_before, clawed)

    reversals = commissions.published(CommissionReversed)
    assert [(r.credit_note_id, r.invoice_id) for r in reversals] == [
        ("cn-1", "i-2"),
        ("cn-2", "i-1"),
        (None, "i-2"),
    ]
    assert [(r.commission, r.clawed_back) for r in reversals] == [
        (off_i2.commission, D("0.00")),
        (off_i1.commission, off_i1.commission),
        (i2.commission - off_i2.commission, D("0.00")),
    ]

    # What rep 1 is paid: what i-1's payments earned, less the claw-back.
    settled = commissions.client.post(
        "/settlements", json={"sales_rep_id": "rep-1", "until": TODAY}
    )
    assert settled.status_code == 201, settled.text
    assert D(settled.json()["amount"]) == x1 + y1 - off_i1.commission

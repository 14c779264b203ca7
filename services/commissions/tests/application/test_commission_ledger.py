"""The ledger fed by events, in memory: what each contract event publishes, to the cent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from commissions_examples import confirmed, invoice, line, payment, placed
from commissions_flow import (
    I1,
    I2,
    O1,
    O2,
    P1,
    P2,
    accrued_o1,
    feed,
    invoiced_i1,
    invoiced_i2,
    o2_figures,
    paid_i1,
)
from oms_commissions.bootstrap import bootstrap
from oms_commissions.domain.errors import NothingToSettle
from oms_commissions.domain.invoice import InvoiceCommission
from oms_commissions.domain.ledger import RepLedger
from oms_contracts.commissions import (
    CommissionAccrued,
    CommissionEarned,
    CommissionInvoiced,
    CommissionSettled,
)
from oms_dev.inmemory import ServiceInMemory

D = Decimal
TODAY = datetime.now(UTC).date()


@pytest.fixture
def commissions() -> Iterator[ServiceInMemory]:
    service = ServiceInMemory(bootstrap)
    yield service
    service.close()


def test_confirmed_orders_accrue_by_line_at_the_rate_that_applied(
    commissions: ServiceInMemory,
) -> None:
    feed(commissions)
    accrued = {event.order_id: event for event in commissions.published(CommissionAccrued)}
    assert set(accrued) == {"o-1", "o-2", "o-3"}
    o1 = accrued["o-1"]
    expected = accrued_o1()
    assert (o1.titles_total, o1.base, o1.commission) == (
        expected.titles_total,
        expected.base,
        expected.commission,
    )
    assert o1.commission == D("15.06")  # 6.30 + 7.56 + 1.20
    assert [li.rate_percent for li in o1.lines] == [D(7), D(8), D(6)]
    assert o1.sales_rep_id == "rep-1"
    assert str(o1.accrued_on) == "2026-12-20"
    # rep 2's rate went to 50% afterwards: the accrual keeps 3%.
    o2 = accrued["o-2"]
    assert (o2.base, o2.commission, o2.lines[0].rate_percent) == (
        o2_figures().base,
        o2_figures().commission,
        D(3),
    )
    assert accrued["o-3"].accrued_on == TODAY  # no delivery date: the day it was confirmed
    assert sum((li.commission for li in o1.lines), D(0)) == o1.commission


def test_invoices_take_their_part_and_payments_earn_their_share(
    commissions: ServiceInMemory,
) -> None:
    feed(commissions)
    invoiced = {event.invoice_id: event for event in commissions.published(CommissionInvoiced)}
    i1, i1_lines = invoiced_i1()
    assert (invoiced["i-1"].base, invoiced["i-1"].commission) == (i1.base, i1.commission)
    assert [li.commission for li in invoiced["i-1"].lines] == i1_lines
    assert invoiced["i-1"].titles_total == I1.total
    assert invoiced["i-2"].commission == invoiced_i2().commission
    # The order's invoices add up to its accrual exactly.
    assert invoiced["i-1"].commission + invoiced["i-2"].commission == accrued_o1().commission
    earned = {event.payment_id: event for event in commissions.published(CommissionEarned)}
    first, second = paid_i1()
    assert (earned["p-1"].amount_paid, earned["p-1"].base, earned["p-1"].commission) == (
        first.titles_total,
        first.base,
        first.commission,
    )
    assert (earned["p-2"].base, earned["p-2"].commission) == (second.base, second.commission)
    assert earned["p-1"].commission + earned["p-2"].commission == i1.commission


def test_repeated_events_change_nothing(commissions: ServiceInMemory) -> None:
    feed(commissions)
    before = len(commissions.published())
    for event in (O1, confirmed(O1), I1, P1, I2, P2):
        commissions.deliver(event)  # republished under other positions
    assert len(commissions.published()) == before


def test_settlement_pays_what_was_earned_once(commissions: ServiceInMemory) -> None:
    feed(commissions)
    settled = commissions.app.settle("rep-1", TODAY.isoformat())
    first, second = paid_i1()
    assert settled.amount == first.commission + second.commission
    assert {line["entry_id"] for line in settled.lines} == {"p-1", "p-2"}
    with pytest.raises(NothingToSettle):
        commissions.app.settle("rep-1", TODAY.isoformat())
    with pytest.raises(NothingToSettle):
        commissions.app.settle("rep-2", TODAY.isoformat())  # earned nothing
    [published] = commissions.published(CommissionSettled)
    assert published.amount == settled.amount and published.sales_rep_id == "rep-1"


def test_an_invoice_before_its_order_is_confirmed_is_held_then_priced(
    commissions: ServiceInMemory,
) -> None:
    commissions.app.set_rate("rep-9", D("10"))
    order = placed("o-9", "cust-9", "rep-9", [line(1, "SKU-A", 2, "10.00")])
    early = invoice("i-9", order, [("SKU-A", 1, D("10.00"))])
    commissions.deliver(order)
    commissions.deliver(early)  # billing's topic ran ahead of orders'
    commissions.deliver(payment("p-9", early, D("5.80"), D("5.80")))
    assert commissions.published(CommissionInvoiced) == []
    commissions.deliver(confirmed(order))
    [invoiced] = commissions.published(CommissionInvoiced)
    assert invoiced.commission == D("1.00")
    [earned] = commissions.published(CommissionEarned)
    assert earned.commission == D("0.50")  # 1.00 x 5.80 / 11.60


def test_an_invoice_before_its_order_is_placed_is_held_too(
    commissions: ServiceInMemory,
) -> None:
    """A worker catching up may read billing's topic ahead of orders'."""
    commissions.app.set_rate("rep-9", D("10"))
    order = placed("o-7", "cust-9", "rep-9", [line(1, "SKU-A", 1, "10.00")])
    early = invoice("i-7", order, [("SKU-A", 1, D("10.00"))])
    for event in (early, payment("p-7", early, D("11.60"), D("0.00")), order, confirmed(order)):
        assert commissions.deliver(event).status == "applied"
    [invoiced] = commissions.published(CommissionInvoiced)
    [earned] = commissions.published(CommissionEarned)
    assert (invoiced.commission, earned.commission) == (D("1.00"), D("1.00"))


def test_an_order_without_a_rep_earns_nobody_anything(commissions: ServiceInMemory) -> None:
    order = placed("o-8", "cust-8", None, [line(1, "SKU-A", 1, "10.00")])
    for event in (order, confirmed(order), invoice("i-8", order, [("SKU-A", 1, D("10.00"))])):
        assert commissions.deliver(event).status == "applied"
    assert commissions.published() == []


def test_a_cancelled_invoice_reverses_its_commission_and_claws_back_what_was_earned(
    commissions: ServiceInMemory,
) -> None:
    """Waits for billing to publish invoice cancellations: driven by the use case."""
    feed(commissions)
    app = commissions.app
    changed = app.reverse_invoice(invoice_id="i-1", reason="credit note", reversed_on="2026-12-31")
    app.save(*changed)
    assert {type(aggregate) for aggregate in changed} == {InvoiceCommission, RepLedger}
    ledger = app.find(RepLedger, RepLedger.create_id("rep-1"))
    i1, _ = invoiced_i1()
    first, second = paid_i1()
    assert ledger.entries["reversal:i-1"]["commission"] == -(first.commission + second.commission)
    assert first.commission + second.commission == i1.commission
    settled = app.settle("rep-1", "2026-12-31")
    assert settled.amount == D("0.00")  # earned, then clawed back in full
    again = app.reverse_invoice(invoice_id="i-1", reason="again", reversed_on="2026-12-31")
    assert [type(aggregate) for aggregate in again] == [InvoiceCommission]
    assert not again[0].pending_events  # reversed once


def test_rates_and_rules_are_refused_outside_0_to_100(commissions: ServiceInMemory) -> None:
    from oms_commissions.domain.errors import InvalidRate

    with pytest.raises(InvalidRate):
        commissions.app.set_rate("rep-1", D("101"))
    with pytest.raises(InvalidRate):
        commissions.app.add_rule("rep-1", D("-1"), sku="SKU-A")


_ = (O2, I2, P2)

"""The rules (most specific wins) and the rounding rule, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from oms_commissions.domain.errors import InvalidRate, RuleWithoutTarget
from oms_commissions.domain.invoice import InvoiceCommission
from oms_commissions.domain.ledger import RepLedger
from oms_commissions.domain.money import commission_on, share_of
from oms_commissions.domain.order import InvoicedLine, OrderCommission
from oms_commissions.domain.plan import CommissionPlan
from oms_kit.domain import Conflict

D = Decimal


def test_the_most_specific_rule_wins() -> None:
    plan = CommissionPlan(sales_rep_id="rep-1")
    plan.set_rate(D("5"))
    plan.add_rule("r-customer", "cust-1", None, D("6"))
    plan.add_rule("r-sku", None, "SKU-A", D("7"))
    plan.add_rule("r-both", "cust-1", "SKU-A", D("8"))

    assert plan.rate_for("SKU-A", "cust-1").rate_percent == D("8")  # sku and customer
    assert plan.rate_for("SKU-A", "cust-2").rate_percent == D("7")  # sku
    assert plan.rate_for("SKU-B", "cust-1").rate_percent == D("6")  # customer
    assert plan.rate_for("SKU-B", "cust-2").rate_percent == D("5")  # the rep's rate
    assert plan.rate_for("SKU-A", "cust-1").source == "r-both"
    assert plan.rate_for("SKU-B", "cust-2").source == "rep"


def test_a_rule_for_the_same_target_replaces_the_earlier() -> None:
    plan = CommissionPlan(sales_rep_id="rep-1")
    plan.add_rule("r1", "cust-1", "SKU-A", D("8"))
    plan.add_rule("r2", "cust-1", "SKU-A", D("9"))
    assert plan.rate_for("SKU-A", "cust-1").rate_percent == D("9")


@pytest.mark.parametrize("rate", [D("-1"), D("100.01"), D("NaN")])
def test_a_rate_outside_0_to_100_is_refused_naming_the_field(rate: Decimal) -> None:
    plan = CommissionPlan(sales_rep_id="rep-1")
    with pytest.raises(InvalidRate) as refused:
        plan.set_rate(rate)
    assert refused.value.field == "rate_percent"


def test_a_rule_names_a_customer_or_a_sku() -> None:
    with pytest.raises(RuleWithoutTarget):
        CommissionPlan(sales_rep_id="rep-1").add_rule("r", None, None, D("3"))


def test_rounding_is_half_up_to_the_cent_per_line() -> None:
    assert commission_on(D("10.10"), D("5")) == D("0.51")  # 0.505 -> 0.51
    assert commission_on(D("10.09"), D("5")) == D("0.50")  # 0.5045 -> 0.50
    assert commission_on(D("33.33"), D("2.5")) == D("0.83")  # 0.83325
    assert share_of(D("10.00"), D("1"), D("3")) == D("3.33")
    assert share_of(D("10.00"), D("2"), D("3")) == D("6.67")
    assert share_of(D("10.00"), D("1"), D("0")) == D("0.00")


def _accrued_order() -> OrderCommission:
    order = OrderCommission(order_id="o-1")
    order.place("cust-1", "rep-1", "BRL", "2026-12-20")
    plan = CommissionPlan(sales_rep_id="rep-1")
    plan.set_rate(D("5"))
    order.accrue(
        [
            {
                "line_no": 1,
                "sku": "SKU-A",
                "quantity": D(3),
                "net_amount": D("10.10"),
                "tax_rate": D("0.16"),
            }
        ],
        plan.rate_for,
        "2026-12-01",
    )
    return order


def test_the_parts_of_a_line_add_up_to_its_commission() -> None:
    order = _accrued_order()
    # 3 x SKU-A, 10.10 net at 5%: 0.51 accrued; invoiced 1 + 1 + 1 (3.37, 3.37, 3.36 net)
    first = order.invoice("i-1", [InvoicedLine("SKU-A", D(1), D("3.37"), D("0.54"))])
    second = order.invoice("i-2", [InvoicedLine("SKU-A", D(1), D("3.37"), D("0.54"))])
    third = order.invoice("i-3", [InvoicedLine("SKU-A", D(1), D("3.36"), D("0.54"))])
    assert [part["commission"] for part in first + second + third] == [
        D("0.17"),  # 0.1685
        D("0.17"),
        D("0.17"),  # the rest: 0.51 - 0.34
    ]
    assert order.to_invoice() == (D("0.00"), D("0.00"), D("0.00"))
    assert order.lines[0]["rate_percent"] == D("5")


def test_payments_earn_their_share_and_the_last_takes_the_rest() -> None:
    invoice = InvoiceCommission(
        invoice_id="i-1",
        number="A-1",
        order_id="o-1",
        customer_id="cust-1",
        currency="BRL",
        total=D("116.00"),
        issued_on="2026-12-01",
        lines=[],
    )
    invoice.price(
        "rep-1",
        [
            {
                "line_no": 1,
                "sku": "SKU-A",
                "quantity": D(1),
                "rate_percent": D("3"),
                "base": D("100.00"),
                "titles": D("116.00"),
                "commission": D("3.00"),
            }
        ],
    )
    first = invoice.record_payment("p-1", D("50.00"), D("66.00"), "2026-12-02")
    second = invoice.record_payment("p-2", D("66.00"), D("0.00"), "2026-12-03")
    assert first is not None and second is not None
    assert first["commission"] == D("1.29")  # 3.00 x 50 / 116 = 1.2931
    assert second["commission"] == D("1.71")  # the rest
    assert invoice.record_payment("p-2", D("66.00"), D("0.00"), "2026-12-03") is None


def test_a_ledger_settles_what_was_earned_up_to_the_date_once() -> None:
    ledger = RepLedger(sales_rep_id="rep-1")
    ledger.record("p-1", "i-1", "cust-1", "2026-12-02", D("1.29"))
    ledger.record("p-2", "i-1", "cust-1", "2026-12-09", D("1.71"))
    ledger.settle("s-1", "2026-12-05", _now())
    assert ledger.settled == {"p-1"}
    with pytest.raises(Conflict):
        ledger.settle("s-2", "2026-12-05", _now())
    ledger.settle("s-3", "2026-12-31", _now())
    assert ledger.settled == {"p-1", "p-2"}


def _now() -> datetime:
    return datetime.now(UTC)

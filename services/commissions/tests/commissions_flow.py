"""One scenario of the ledger fed by events, shared by the in-memory use-case tests and the
views' tests on PostgreSQL, with every figure the test expects computed here by hand from
the rule: a line's commission is cents(base x rate / 100), half up; a part of a line is its
share, the part that completes a line takes what is left; totals are sums of lines.

Rep 1 (5%; customer cust-a 6%; sku SKU-X 7%; cust-a and SKU-Y 8%) sells to cust-a and
cust-b, rep 2 (3%, no rules) to cust-c.

- o-1, cust-a, delivery 2026-12-20: SKU-X 3 x 33.33 less 10% (net 89.99, at 7%: 6.30),
  SKU-Y 2 x 50.00 less 5.55 (net 94.45, at 8%: 7.56), SKU-Z 1 x 19.99 (net 19.99, at 6%:
  1.20). Invoiced in two: i-1 (2 SKU-X for 59.99 -> 4.20, 2 SKU-Y -> 7.56) and i-2 (1 SKU-X
  for 30.00 -> the rest 2.10, 1 SKU-Z -> 1.20). i-1 paid in two: 100.00 then 79.15.
- o-2, cust-c (rep 2), delivery 2026-12-24: SKU-X 4 x 12.50 (net 50.00, at 3%: 1.50),
  not invoiced.
- o-3, cust-b, no delivery date: SKU-Z 1 x 10.00 (net 10.00, at 5%: 0.50), cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from commissions_examples import (
    cancelled,
    confirmed,
    customer,
    invoice,
    line,
    payment,
    placed,
    tax,
)

D = Decimal


def cents(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(D("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    titles_total: Decimal
    base: Decimal
    commission: Decimal

    def as_json(self) -> dict[str, str]:
        return {
            "titles_total": str(self.titles_total),
            "base": str(self.base),
            "commission": str(self.commission),
        }


O1 = placed(
    "o-1",
    "cust-a",
    "rep-1",
    [
        line(1, "SKU-X", 3, "33.33", discount_percent="10"),
        line(2, "SKU-Y", 2, "50.00", discount_amount="5.55"),
        line(3, "SKU-Z", 1, "19.99"),
    ],
    expected=date(2026, 12, 20),
)
O2 = placed("o-2", "cust-c", "rep-2", [line(1, "SKU-X", 4, "12.50")], expected=date(2026, 12, 24))
O3 = placed("o-3", "cust-b", "rep-1", [line(1, "SKU-Z", 1, "10.00")])
X_PART = cents(O1.lines[0].net_amount * 2 / 3)  # 59.99
I1 = invoice("i-1", O1, [("SKU-X", 2, X_PART), ("SKU-Y", 2, O1.lines[1].net_amount)])
I2 = invoice(
    "i-2", O1, [("SKU-X", 1, O1.lines[0].net_amount - X_PART), ("SKU-Z", 1, O1.lines[2].net_amount)]
)
P1 = payment("p-1", I1, D("100.00"), I1.total - D("100.00"))
P2 = payment("p-2", I1, I1.total - D("100.00"), D("0.00"))

RATES = {"SKU-X": D(7), "SKU-Y": D(8), "SKU-Z": D(6)}  # rep 1's rates for cust-a's lines


def titles(net: Decimal) -> Decimal:
    return Decimal(net + tax(net))


def accrued_o1() -> Figures:
    return Figures(
        titles_total=sum((titles(li.net_amount) for li in O1.lines), D(0)),
        base=sum((li.net_amount for li in O1.lines), D(0)),
        commission=sum((cents(li.net_amount * RATES[li.sku] / 100) for li in O1.lines), D(0)),
    )


def invoiced_i1() -> tuple[Figures, list[Decimal]]:
    x = cents(X_PART * 7 / 100)
    y = cents(O1.lines[1].net_amount * 8 / 100)  # completes SKU-Y: all of it
    return Figures(I1.total, X_PART + O1.lines[1].net_amount, x + y), [x, y]


def invoiced_i2() -> Figures:
    x_rest = cents(O1.lines[0].net_amount * 7 / 100) - cents(X_PART * 7 / 100)
    z = cents(O1.lines[2].net_amount * 6 / 100)
    return Figures(I2.total, I2.net_total, x_rest + z)


def paid_i1() -> tuple[Figures, Figures]:
    """p-1's share of each i-1 line, then p-2 takes the rest."""
    _, (x, y) = invoiced_i1()
    bases = [X_PART, O1.lines[1].net_amount]
    share = [cents(b * P1.amount / I1.total) for b in bases]
    commission = [cents(c * P1.amount / I1.total) for c in (x, y)]
    first = Figures(P1.amount, sum(share, D(0)), sum(commission, D(0)))
    second = Figures(
        P2.amount,
        sum(bases, D(0)) - first.base,
        x + y - first.commission,
    )
    return first, second


def o2_figures() -> Figures:
    net = O2.lines[0].net_amount
    return Figures(titles(net), net, cents(net * 3 / 100))


def feed(service: Any) -> None:
    """Deliver the scenario's events to ``service`` (in memory or on the stack), the
    rates and rules set first through the Application."""
    app = service.app
    app.set_rate("rep-1", D("5"))
    app.set_rate("rep-2", D("3"))
    app.add_rule("rep-1", D("6"), customer_id="cust-a")
    app.add_rule("rep-1", D("7"), sku="SKU-X")
    app.add_rule("rep-1", D("8"), customer_id="cust-a", sku="SKU-Y")
    for registered in (
        customer("cust-a", "Alfa Ltda", "rep-1"),
        customer("cust-b", "Beta SA", "rep-1"),
        customer("cust-c", "Gama ME", "rep-2"),
    ):
        assert service.deliver(registered, aggregate_version=1).status == "applied"
    for event in (
        O1,
        confirmed(O1),
        O2,
        confirmed(O2),
        O3,
        confirmed(O3),
        cancelled("o-3"),
        I1,
        P1,
        I2,
        P2,
    ):
        assert service.deliver(event).status == "applied", event
    # A rate changed afterwards does not rewrite what was accrued.
    app.set_rate("rep-2", D("50"))

"""Commission arithmetic, written down once.

- Every amount is a Decimal in the order's currency, rounded ROUND_HALF_UP to the cent.
- A line's commission is computed from that line's base: ``cents(base * rate / 100)``.
- A share of a line (an invoice's part of an order line, a payment's part of an invoice
  line) is ``cents(line amount * part / whole)``; the share that completes the line takes
  exactly what is left of it, so the shares of a line always add up to the line.
- Totals are sums of lines, never rounded again: lines always add up to the totals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def commission_on(base: Decimal, rate_percent: Decimal) -> Decimal:
    """The commission of a line: its base times the rate, to the cent."""
    return cents(base * rate_percent / HUNDRED)


def share_of(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """``amount``'s share ``part / whole``, to the cent (zero when ``whole`` is zero)."""
    if whole == 0:
        return ZERO
    return cents(amount * part / whole)


def tax_fraction(rate: Decimal) -> Decimal:
    """A tax rate as a fraction; rates come as fractions ("0.16"), a rate of 1 or more is
    read as a percentage (as billing does)."""
    return rate / HUNDRED if rate >= 1 else rate

"""Money arithmetic: amounts are Decimal, rounded ROUND_HALF_UP to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
UNIT_PRICE_EXP = Decimal("0.0001")


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half-up to the cent."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def tax_fraction(rate: Decimal) -> Decimal:
    """A tax rate as a fraction. Rates are expected as fractions ("0.16"); a rate of 1 or
    more is read as a percentage ("16" -> 0.16), since a tax of 100% or more is not real."""
    return rate / 100 if rate >= 1 else rate


def tax_on(net: Decimal, rate: Decimal) -> Decimal:
    return cents(net * tax_fraction(rate))


def split_evenly(amount: Decimal, parts: int) -> list[Decimal]:
    """``amount`` in ``parts`` shares rounded down to the cent; the last takes the rest."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    share = (amount / parts).quantize(CENT, rounding="ROUND_DOWN")
    shares = [share] * (parts - 1)
    return [*shares, amount - sum(shares, ZERO)]

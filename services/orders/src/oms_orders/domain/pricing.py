"""Pricing of quote and order lines: net, tax and totals in cents, rounded half up."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from oms_kit.domain import InvalidInput

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded to cents, half up."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineRequest:
    """A line as asked for: the price and discount are optional."""

    sku: str
    quantity: Decimal
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    note: str | None = None


@dataclass(frozen=True)
class CatalogueEntry:
    """What pricing needs to know about a product."""

    sku: str
    unit_price: Decimal
    currency: str
    tax_rate: Decimal
    #: Carried onto the line as they are when it is priced (the invoice names them).
    name: str | None = None
    sat_product_key: str | None = None
    sat_unit_key: str | None = None


def price_line(
    index: int, request: LineRequest, product: CatalogueEntry, currency: str
) -> dict[str, Any]:
    """One priced line (a plain dict, as stored in events). ``index`` is the line's position
    in the request (0-based), used to name the offending field."""
    where = f"lines.{index}"
    if request.quantity <= 0:
        raise InvalidInput(f"{where}.quantity must be positive", field=f"{where}.quantity")
    if product.currency != currency:
        raise InvalidInput(
            f"{where}.sku {product.sku} is priced in {product.currency}, "
            f"the customer buys in {currency}",
            field=f"{where}.sku",
        )
    if request.discount_percent is not None and request.discount_amount is not None:
        raise InvalidInput(
            f"{where}: a discount is in percent or an amount, not both",
            field=f"{where}.discount_amount",
        )
    unit_price = product.unit_price if request.unit_price is None else request.unit_price
    if unit_price < 0:
        raise InvalidInput(f"{where}.unit_price must not be negative", field=f"{where}.unit_price")
    gross = request.quantity * unit_price
    discount = ZERO
    if request.discount_percent is not None:
        if not ZERO <= request.discount_percent <= HUNDRED:
            raise InvalidInput(
                f"{where}.discount_percent must be between 0 and 100",
                field=f"{where}.discount_percent",
            )
        discount = gross * request.discount_percent / HUNDRED
    elif request.discount_amount is not None:
        if request.discount_amount < 0:
            raise InvalidInput(
                f"{where}.discount_amount must not be negative",
                field=f"{where}.discount_amount",
            )
        discount = request.discount_amount
    net = cents(gross - discount)
    if net < 0:
        raise InvalidInput(
            f"{where}.discount_amount exceeds the line amount", field=f"{where}.discount_amount"
        )
    return {
        "line_no": index + 1,
        "sku": product.sku,
        "quantity": request.quantity,
        "unit_price": unit_price,
        "discount_percent": request.discount_percent,
        "discount_amount": request.discount_amount,
        "tax_rate": product.tax_rate,
        "net_amount": net,
        "tax_amount": cents(net * product.tax_rate),
        "note": request.note,
        "name": product.name,
        "sat_product_key": product.sat_product_key,
        "sat_unit_key": product.sat_unit_key,
    }


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal

    @property
    def total(self) -> Decimal:
        return self.net + self.tax


def totals(lines: list[dict[str, Any]]) -> Totals:
    return Totals(
        net=sum((Decimal(line["net_amount"]) for line in lines), ZERO),
        tax=sum((Decimal(line["tax_amount"]) for line in lines), ZERO),
    )

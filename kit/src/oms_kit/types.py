"""The JSON types every API and contract shares, defined once (in the contracts, which
other systems read) and named here for the services' request and response models."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from oms_contracts.base import DecimalStr, Quantity
from pydantic import Field

#: An exact amount: a decimal string in JSON ("100.00"), never a float.
Money = DecimalStr

#: Largest amount and quantity an input may carry: far beyond any order, small enough
#: that rounding and sums never overflow (a 422 naming the field instead of a 500).
MAX_MONEY = Decimal("1e15")
MAX_QUANTITY = Decimal("1e9")

#: An input amount: not negative, bounded.
MoneyIn = Annotated[Money, Field(ge=0, le=MAX_MONEY, allow_inf_nan=False)]
#: An input quantity: positive, bounded.
QuantityIn = Annotated[Quantity, Field(gt=0, le=MAX_QUANTITY, allow_inf_nan=False)]

__all__ = ["MAX_MONEY", "MAX_QUANTITY", "Money", "MoneyIn", "Quantity", "QuantityIn"]

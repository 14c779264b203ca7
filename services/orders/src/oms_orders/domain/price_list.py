"""Price lists (DESIGN section 15): prices or discounts per product, in one currency, valid
between two dates, that a customer is given in advance. A line entered without a unit
price takes the price of the customer's list valid on the document's date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate, event
from oms_kit.domain import InvalidInput

from oms_orders.domain.pricing import HUNDRED, ZERO, cents

#: Where a line's unit price came from.
CATALOGUE, PRICE_LIST, MANUAL = "catalogue", "price_list", "manual"


@dataclass(frozen=True)
class PriceListItem:
    sku: str
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None


class PriceList(Aggregate):
    # Events (their names are part of the stored events' topics: never rename one) ------

    class PriceListCreated(Aggregate.Created):
        name: str
        currency: str
        valid_from: str | None
        valid_to: str | None
        #: ``{sku, unit_price, discount_percent}`` each, one per sku.
        items: list[dict[str, Any]]

    @classmethod
    def create(
        cls,
        *,
        name: str,
        currency: str,
        valid_from: date | None,
        valid_to: date | None,
        items: list[PriceListItem],
    ) -> PriceList:
        """A new list; InvalidInput naming the field for a bad one (the skus are checked
        against the catalogue by the caller)."""
        if not name.strip():
            raise InvalidInput("name must not be empty", field="name")
        if valid_from is not None and valid_to is not None and valid_to < valid_from:
            raise InvalidInput("valid_to must not be before valid_from", field="valid_to")
        if not items:
            raise InvalidInput("a price list needs at least one item", field="items")
        seen: set[str] = set()
        for index, item in enumerate(items):
            where = f"items.{index}"
            if item.sku in seen:
                raise InvalidInput(f"sku {item.sku} is listed twice", field=f"{where}.sku")
            seen.add(item.sku)
            if item.unit_price is None and item.discount_percent is None:
                raise InvalidInput(
                    f"{where} needs a unit_price or a discount_percent", field=f"{where}.unit_price"
                )
            if item.unit_price is not None and item.unit_price <= 0:
                raise InvalidInput(
                    f"{where}.unit_price must be positive", field=f"{where}.unit_price"
                )
            if item.discount_percent is not None and not (ZERO <= item.discount_percent <= HUNDRED):
                raise InvalidInput(
                    f"{where}.discount_percent must be between 0 and 100",
                    field=f"{where}.discount_percent",
                )
        return cls(
            name=name.strip(),
            currency=currency,
            valid_from=valid_from.isoformat() if valid_from else None,
            valid_to=valid_to.isoformat() if valid_to else None,
            items=[
                {
                    "sku": item.sku,
                    "unit_price": item.unit_price,
                    "discount_percent": item.discount_percent,
                }
                for item in items
            ],
        )

    @event(PriceListCreated)
    def __init__(
        self,
        name: str,
        currency: str,
        valid_from: str | None,
        valid_to: str | None,
        items: list[dict[str, Any]],
    ) -> None:
        self.name = name
        self.currency = currency
        self.valid_from = date.fromisoformat(valid_from) if valid_from else None
        self.valid_to = date.fromisoformat(valid_to) if valid_to else None
        self.items = [dict(item) for item in items]

    @property
    def price_list_id(self) -> str:
        return str(self.id)

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def unit_price(self, sku: str, catalogue_price: Decimal, day: date) -> Decimal | None:
        """The list's unit price of ``sku`` on ``day`` (its own price, or the catalogue
        price, less its discount), or None when the list is not valid then or has no
        such item."""
        if not self.is_valid_on(day):
            return None
        item = next((i for i in self.items if i["sku"] == sku), None)
        if item is None:
            return None
        price = Decimal(item["unit_price"]) if item["unit_price"] is not None else catalogue_price
        if item["discount_percent"] is not None:
            price = price * (HUNDRED - Decimal(item["discount_percent"])) / HUNDRED
        return cents(price)

"""Price lists (DESIGN section 15): a line entered without a price takes the price of the
customer's list valid on the document's date (its own price, or the catalogue's less its
discount), else the catalogue's; every line says where its price came from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from oms_kit.domain import InvalidInput
from oms_orders.application import OrdersApplication
from oms_orders.domain.price_list import PriceListItem
from oms_orders.domain.pricing import LineRequest

D = Decimal
TODAY = date(2026, 3, 10)


def sources(lines: list[dict[str, object]]) -> list[tuple[object, object, object]]:
    return [(line["sku"], line["unit_price"], line["price_source"]) for line in lines]


def test_lines_without_a_price_take_the_customers_list_valid_on_the_date(
    catalogue: None, app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    catalogue_price = D("10.00")  # SKU-1 and SKU-2 in the catalogue fixture
    listed = app.create_price_list(
        name="Distributors 2026",
        currency="EUR",
        valid_from=TODAY - timedelta(days=9),
        valid_to=TODAY + timedelta(days=20),
        items=[
            PriceListItem(sku="SKU-1", unit_price=D("8.40")),
            PriceListItem(sku="SKU-2", discount_percent=D("12.5")),
        ],
    )
    customer_id = new_customer()
    app.update_customer(customer_id, price_list_id=listed.price_list_id)

    lines = [
        LineRequest("SKU-1", D(3)),
        LineRequest("SKU-2", D(2)),
        LineRequest("SKU-1", D(1), unit_price=D("9.99")),
    ]
    quote = app.create_quote(customer_id=customer_id, lines=lines, today=TODAY)
    less_discount = (catalogue_price * (100 - D("12.5")) / 100).quantize(D("0.01"))
    assert sources(quote.lines) == [
        ("SKU-1", D("8.40"), "price_list"),
        ("SKU-2", less_discount, "price_list"),
        ("SKU-1", D("9.99"), "manual"),
    ]
    expected_net = D(3) * D("8.40") + D(2) * less_discount + D("9.99")
    assert quote.net_total == expected_net
    # The day after the list's last day: the catalogue's price again.
    later = app.create_quote(
        customer_id=customer_id, lines=lines[:2], today=TODAY + timedelta(days=21)
    )
    assert sources(later.lines) == [
        ("SKU-1", catalogue_price, "catalogue"),
        ("SKU-2", catalogue_price, "catalogue"),
    ]
    # The quote's order keeps the quote's prices and their sources.
    _, order = app.accept_quote(quote.quote_id, today=TODAY)
    assert sources(order.lines) == sources(quote.lines)


def test_a_customer_without_a_list_or_a_sku_off_the_list_gets_the_catalogue_price(
    catalogue: None, app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    listed = app.create_price_list(
        name="Only SKU-1", currency="EUR", items=[PriceListItem(sku="SKU-1", unit_price=D("7"))]
    )
    plain = new_customer()
    with_list = new_customer()
    app.update_customer(with_list, price_list_id=listed.price_list_id)
    both = [LineRequest("SKU-1", D(1)), LineRequest("SKU-2", D(1))]
    assert sources(app.place_order(customer_id=plain, lines=both).lines) == [
        ("SKU-1", D("10.00"), "catalogue"),
        ("SKU-2", D("10.00"), "catalogue"),
    ]
    assert sources(app.place_order(customer_id=with_list, lines=both).lines) == [
        ("SKU-1", D("7.00"), "price_list"),
        ("SKU-2", D("10.00"), "catalogue"),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"items": []}, "items"),
        ({"items": [PriceListItem(sku="NOPE", unit_price=D(1))]}, "items.0.sku"),
        ({"items": [PriceListItem(sku="SKU-USD", unit_price=D(1))]}, "items.0.sku"),
        ({"items": [PriceListItem(sku="SKU-1", unit_price=D(0))]}, "items.0.unit_price"),
        ({"items": [PriceListItem(sku="SKU-1")]}, "items.0.unit_price"),
        (
            {"items": [PriceListItem(sku="SKU-1", discount_percent=D(101))]},
            "items.0.discount_percent",
        ),
        (
            {"items": [PriceListItem(sku="SKU-1", discount_percent=D(-1))]},
            "items.0.discount_percent",
        ),
        (
            {"items": [PriceListItem(sku="SKU-1", unit_price=D(1))] * 2},
            "items.1.sku",
        ),
        ({"valid_from": TODAY, "valid_to": TODAY - timedelta(days=1)}, "valid_to"),
    ],
)
def test_a_bad_price_list_is_refused_naming_the_field(
    catalogue: None, app: OrdersApplication, change: dict[str, object], field: str
) -> None:
    given: dict[str, object] = {
        "name": "List",
        "currency": "EUR",
        "items": [PriceListItem(sku="SKU-1", unit_price=D("9"))],
        **change,
    }
    with pytest.raises(InvalidInput) as refused:
        app.create_price_list(**given)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_a_customer_is_given_only_a_list_that_exists_in_his_currency(
    catalogue: None, app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    dollars = app.create_price_list(
        name="USD", currency="USD", items=[PriceListItem(sku="SKU-USD", unit_price=D(9))]
    )
    customer_id = new_customer()  # buys in EUR
    for price_list_id in (dollars.price_list_id, "6f1c2b1e-0000-4000-8000-000000000000"):
        with pytest.raises(InvalidInput) as refused:
            app.update_customer(customer_id, price_list_id=price_list_id)
        assert refused.value.field == "price_list_id"

"""Customers and the catalogue: registration, updates and products, the rules they
check (each naming its field) and the public events they publish."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from oms_contracts.orders import (
    CustomerRegistered,
    CustomerUpdated,
    OrderConfirmed,
    ProductDefined,
)
from oms_dev.inmemory import ServiceInMemory
from oms_kit.domain import AlreadyExists, DomainError, InvalidInput, NotFound
from oms_orders.application import OrdersApplication
from oms_orders.bootstrap import bootstrap
from oms_orders.domain.customer import Customer
from oms_orders.domain.pricing import LineRequest

D = Decimal


def test_a_customer_is_registered_with_its_terms_and_published(
    orders: ServiceInMemory, app: OrdersApplication
) -> None:
    customer = app.register_customer(
        name=" Ana Lopez ",
        tax_id="ES123",
        email="ana@example.com",
        credit_limit=D("1000"),
        payment_terms_days=[30, 60],
        sales_rep_id="rep-7",
        language="es",
    )
    loaded = app.get(Customer, customer.customer_id, field="customer_id")
    assert (loaded.name, loaded.credit_limit, loaded.currency) == ("Ana Lopez", D("1000.00"), "EUR")
    assert (loaded.open_balance, loaded.payment_terms_days) == (D("0.00"), [30, 60])
    [registered] = orders.published(CustomerRegistered)
    assert registered.customer_id == customer.customer_id
    assert (registered.name, registered.credit_limit, registered.currency) == (
        "Ana Lopez",
        D("1000.00"),
        "EUR",
    )
    assert (registered.sales_rep_id, registered.language) == ("rep-7", "es")


def test_a_new_customer_buys_in_the_company_currency_and_speaks_its_language() -> None:
    """Without a currency or language given: the company's (OMS_COMPANY_CURRENCY, default
    BRL; OMS_COMPANY_LANGUAGE, default pt), not euros."""
    given = {
        "name": "Ana",
        "tax_id": "T",
        "email": "a@example.com",
        "credit_limit": D("10"),
        "payment_terms_days": [30],
    }
    by_default = ServiceInMemory(bootstrap).app.register_customer(**given)
    assert (by_default.currency, by_default.language) == ("BRL", "pt")
    in_euros = ServiceInMemory(bootstrap, company_currency="EUR", company_language="de")
    customer = in_euros.app.register_customer(**given)
    assert (customer.currency, customer.language) == ("EUR", "de")
    chosen = in_euros.app.register_customer(**given, currency="USD", language="en")
    assert (chosen.currency, chosen.language) == ("USD", "en")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"tax_id": ""}, "tax_id"),
        ({"credit_limit": D("-1")}, "credit_limit"),
        ({"payment_terms_days": [30, 0]}, "payment_terms_days"),
        ({"language": "fr"}, "language"),
    ],
)
def test_bad_customer_input_is_refused_naming_the_field(
    app: OrdersApplication, change: dict[str, object], field: str
) -> None:
    given: dict[str, object] = {
        "name": "Ana",
        "tax_id": "T",
        "email": "a@example.com",
        "credit_limit": D("10"),
        "payment_terms_days": [30],
        **change,
    }
    with pytest.raises(InvalidInput) as refused:
        app.register_customer(**given)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_an_update_changes_only_the_given_fields_and_publishes_them(
    orders: ServiceInMemory,
    app: OrdersApplication,
    new_customer: Callable[..., str],
    stored_events: Callable[[], int],
) -> None:
    customer_id = new_customer()
    app.update_customer(customer_id, credit_limit=D("2500.5"), language="pt")
    customer = app.get(Customer, customer_id, field="customer_id")
    assert (customer.credit_limit, customer.language, customer.name) == (
        D("2500.50"),
        "pt",
        "Ana Lopez",
    )
    [updated] = orders.published(CustomerUpdated)
    assert (updated.customer_id, updated.credit_limit, updated.language) == (
        customer_id,
        D("2500.50"),
        "pt",
    )
    assert (updated.name, updated.email, updated.payment_terms_days) == (None, None, None)

    before = stored_events()
    app.update_customer(customer_id)  # nothing given: nothing changes
    assert stored_events() == before
    with pytest.raises(InvalidInput) as refused:
        app.update_customer(customer_id, credit_limit=D("-5"))
    assert refused.value.field == "credit_limit"
    with pytest.raises(InvalidInput) as refused:
        app.update_customer(customer_id, language="xx")
    assert refused.value.field == "language"
    with pytest.raises(NotFound) as missing:
        app.update_customer("nobody", name="X")
    assert missing.value.field == "customer_id"


def test_a_product_is_defined_once_per_sku(orders: ServiceInMemory, app: OrdersApplication) -> None:
    app.define_product(
        sku="SKU-1", name="Widget", unit_price=D("10.00"), currency="EUR", tax_rate=D("0.21")
    )
    assert app.get_product("SKU-1").unit_price == D("10.00")
    with pytest.raises(AlreadyExists) as again:
        app.define_product(
            sku="SKU-1", name="Other", unit_price=D("1"), currency="EUR", tax_rate=D("0")
        )
    assert again.value.field == "sku"
    with pytest.raises(NotFound) as missing:
        app.get_product("NOPE")
    assert missing.value.field == "sku"
    assert [(p.sku, p.unit_price, p.tax_rate) for p in orders.published(ProductDefined)] == [
        ("SKU-1", D("10.00"), D("0.21"))
    ]


def test_unknown_or_malformed_ids_are_not_found_naming_the_field(app: OrdersApplication) -> None:
    for customer_id in ("nope", "6f1c2b1e-0000-4000-8000-000000000000"):
        with pytest.raises(NotFound) as missing:
            app.get(Customer, customer_id, field="customer_id")
        assert missing.value.field == "customer_id"
        assert isinstance(missing.value, DomainError) and missing.value.status == 404


def test_a_customer_is_invoiced_per_goods_issue_unless_set_on_demand(
    orders: ServiceInMemory, app: OrdersApplication, new_customer: Callable[..., str]
) -> None:
    """The invoicing setting (DESIGN section 15) travels on the customer's events: billing
    decides from it whether a goods issue makes an invoice at once."""
    by_default = new_customer()
    on_demand = new_customer(invoicing="on_demand")
    assert app.get(Customer, by_default, field="customer_id").invoicing == "per_goods_issue"
    registered = {e.customer_id: e.invoicing for e in orders.published(CustomerRegistered)}
    assert registered == {by_default: "per_goods_issue", on_demand: "on_demand"}

    app.update_customer(by_default, invoicing="on_demand")
    app.update_customer(on_demand, name="Ana L.")  # the setting is not touched
    assert app.get(Customer, by_default, field="customer_id").invoicing == "on_demand"
    assert app.get(Customer, on_demand, field="customer_id").invoicing == "on_demand"
    updated = [(e.customer_id, e.invoicing) for e in orders.published(CustomerUpdated)]
    assert updated == [(by_default, "on_demand"), (on_demand, None)]
    for bad in (
        lambda: new_customer(invoicing="weekly"),
        lambda: app.update_customer(by_default, invoicing="x"),
    ):
        with pytest.raises(InvalidInput) as refused:
            bad()
        assert refused.value.field == "invoicing"


def test_a_released_order_tells_billing_how_its_customer_is_invoiced(
    catalogue: None,
    orders: ServiceInMemory,
    app: OrdersApplication,
    new_customer: Callable[..., str],
) -> None:
    """OrderConfirmed carries the choice, so billing never invoices a goods issue by a
    customer event it has not heard yet."""
    on_demand = new_customer(invoicing="on_demand")
    by_default = new_customer()
    for customer_id in (on_demand, by_default):
        app.place_order(customer_id=customer_id, lines=[LineRequest("SKU-1", Decimal(1))])
    confirmed = {e.customer_id: e.invoicing for e in orders.published(OrderConfirmed)}
    assert confirmed == {on_demand: "on_demand", by_default: "per_goods_issue"}


def test_an_event_published_before_the_invoicing_setting_still_parses() -> None:
    old = {
        "customer_id": "c-1",
        "name": "Ana",
        "tax_id": "T",
        "email": "a@example.com",
        "credit_limit": "10.00",
        "currency": "EUR",
        "payment_terms_days": [30],
    }
    assert CustomerRegistered.model_validate(old).invoicing == "per_goods_issue"
    assert CustomerUpdated.model_validate({"customer_id": "c-1"}).invoicing is None

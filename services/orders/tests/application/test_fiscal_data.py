"""A Mexican company's customers and products (OMS_FISCAL_COUNTRY=MX, DESIGN section 10):
a customer whose fiscal data cannot make a valid CFDI 4.0 is refused naming the field; what
billing's CFDI needs is published (the customer's RFC, regime, postal code and use; the
product's SAT keys, carried onto the lines with its name). Elsewhere nothing is required."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from oms_contracts.orders import (
    CustomerRegistered,
    CustomerUpdated,
    OrderConfirmed,
    OrderPlaced,
    ProductDefined,
    QuoteCreated,
)
from oms_dev.inmemory import ServiceInMemory
from oms_kit.domain import InvalidInput
from oms_orders.application import OrdersApplication
from oms_orders.bootstrap import bootstrap
from oms_orders.domain.customer import Customer
from oms_orders.domain.pricing import LineRequest

D = Decimal
#: A person (13-character RFC) with a person's regime, and his fiscal address's postal code.
PERSON = {"tax_id": "xiqb891116qe4", "fiscal_regime": "612", "postal_code": "03100"}


@pytest.fixture
def mexico() -> ServiceInMemory:
    return ServiceInMemory(
        bootstrap, fiscal_country="MX", company_currency="MXN", company_language="es"
    )


def register(app: OrdersApplication, **fiscal: Any) -> Customer:
    return app.register_customer(
        name="Berenice Xochitl",
        email="bx@example.com",
        credit_limit=D("10000"),
        payment_terms_days=[30],
        **{**PERSON, **fiscal},
    )


def test_a_mexican_customer_is_registered_with_his_rfc_and_the_default_use(
    mexico: ServiceInMemory,
) -> None:
    customer = register(mexico.app)
    loaded = mexico.app.get(Customer, customer.customer_id, field="customer_id")
    assert (loaded.tax_id, loaded.fiscal_regime, loaded.postal_code, loaded.cfdi_use) == (
        "XIQB891116QE4",
        "612",
        "03100",
        "G03",
    )
    [registered] = mexico.published(CustomerRegistered)
    assert (registered.tax_id, registered.fiscal_regime) == ("XIQB891116QE4", "612")
    assert (registered.postal_code, registered.cfdi_use) == ("03100", "G03")


@pytest.mark.parametrize(
    ("fiscal", "field"),
    [
        ({"tax_id": "ES123"}, "tax_id"),
        ({"fiscal_regime": None}, "fiscal_regime"),
        ({"fiscal_regime": "601"}, "fiscal_regime"),  # a company's regime for a person
        ({"postal_code": None}, "postal_code"),
        ({"postal_code": "3100"}, "postal_code"),
        ({"cfdi_use": "Z99"}, "cfdi_use"),
        ({"tax_id": "EKU9003173C9", "fiscal_regime": "601", "cfdi_use": "D01"}, "cfdi_use"),
    ],
)
def test_a_customer_that_cannot_make_a_valid_cfdi_is_refused_naming_the_field(
    mexico: ServiceInMemory, fiscal: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        register(mexico.app, **fiscal)
    assert refused.value.field == field
    assert mexico.published(CustomerRegistered) == []


def test_changed_fiscal_data_is_checked_with_the_rest_and_published(
    mexico: ServiceInMemory,
) -> None:
    app = mexico.app
    customer_id = register(app).customer_id
    with pytest.raises(InvalidInput) as refused:
        app.update_customer(customer_id, fiscal_regime="601")  # a company's, he is a person
    assert refused.value.field == "fiscal_regime"
    with pytest.raises(InvalidInput) as refused:
        app.update_customer(customer_id, postal_code="ABCDE")
    assert refused.value.field == "postal_code"
    app.update_customer(customer_id, tax_id="eku9003173c9", fiscal_regime="601", cfdi_use="G01")
    app.update_customer(customer_id, email="new@example.com")  # not fiscal: not re-checked
    loaded = app.get(Customer, customer_id, field="customer_id")
    assert (loaded.tax_id, loaded.fiscal_regime, loaded.cfdi_use) == ("EKU9003173C9", "601", "G01")
    first, second = mexico.published(CustomerUpdated)
    assert (first.tax_id, first.fiscal_regime, first.cfdi_use) == ("EKU9003173C9", "601", "G01")
    assert first.postal_code is None  # unchanged
    assert (second.email, second.tax_id, second.fiscal_regime) == ("new@example.com", None, None)


def test_a_product_has_the_default_sat_keys_or_checked_ones(mexico: ServiceInMemory) -> None:
    app = mexico.app
    app.define_product(
        sku="P-1", name="Tornillo", unit_price=D("10"), currency="MXN", tax_rate=D("0.16")
    )
    app.define_product(
        sku="P-2",
        name="Servicio",
        unit_price=D("10"),
        currency="MXN",
        tax_rate=D("0.16"),
        sat_product_key="81112100",
        sat_unit_key="E48",
    )
    for field, keys in (
        ("sat_product_key", {"sat_product_key": "8111"}),
        ("sat_unit_key", {"sat_unit_key": "pieza"}),
    ):
        with pytest.raises(InvalidInput) as refused:
            app.define_product(
                sku="P-3", name="X", unit_price=D("1"), currency="MXN", tax_rate=D("0"), **keys
            )
        assert refused.value.field == field
    assert (app.get_product("P-1").sat_product_key, app.get_product("P-1").sat_unit_key) == (
        "01010101",
        "H87",
    )
    published = {
        p.sku: (p.sat_product_key, p.sat_unit_key) for p in mexico.published(ProductDefined)
    }
    assert published == {"P-1": ("01010101", "H87"), "P-2": ("81112100", "E48")}


def test_lines_carry_the_product_name_and_sat_keys_to_billing(mexico: ServiceInMemory) -> None:
    app = mexico.app
    customer_id = register(app).customer_id
    app.define_product(
        sku="P-2",
        name="Servicio",
        unit_price=D("10"),
        currency="MXN",
        tax_rate=D("0.16"),
        sat_product_key="81112100",
        sat_unit_key="E48",
    )
    app.create_quote(customer_id=customer_id, lines=[LineRequest(sku="P-2", quantity=D("1"))])
    order = app.place_order(customer_id=customer_id, lines=[LineRequest(sku="P-2", quantity=D(2))])
    [placed] = mexico.published(OrderPlaced)
    [quoted] = mexico.published(QuoteCreated)
    lines = [placed.lines[0], quoted.lines[0]]
    [confirmed] = mexico.published(OrderConfirmed)
    lines.append(confirmed.lines[0])
    for line in lines:
        assert (line.name, line.sat_product_key, line.sat_unit_key) == (
            "Servicio",
            "81112100",
            "E48",
        )
    assert order.lines[0]["name"] == "Servicio"


def test_elsewhere_no_fiscal_data_is_required_and_stored_events_still_load() -> None:
    """A company outside Mexico: no RFC, regime or SAT key asked for; customers and products
    stored before these fields existed load with them empty."""
    brazil = ServiceInMemory(bootstrap)
    app: OrdersApplication = brazil.app
    customer = app.register_customer(
        name="Ana", tax_id="12.345.678/0001-90", email="a@example.com",
        credit_limit=D("10"), payment_terms_days=[30],
    )  # fmt: skip
    app.define_product(sku="S", name="S", unit_price=D("1"), currency="BRL", tax_rate=D("0"))
    assert (customer.fiscal_regime, customer.cfdi_use) == (None, None)
    assert app.get_product("S").sat_product_key is None
    [registered] = brazil.published(CustomerRegistered)
    assert registered.fiscal_regime is None and registered.cfdi_use is None
    # An event stored without the new fields (as before them) loads with them empty.
    [stored] = app.recorder.select_events(customer.id)
    state = app.mapper.transcoder.decode(stored.state)
    for name in ("fiscal_regime", "postal_code", "cfdi_use"):
        del state[name]
    before = dataclasses.replace(stored, state=app.mapper.transcoder.encode(state))
    event = app.mapper.to_domain_event(before)
    assert isinstance(event, Customer.CustomerRegistered)
    loaded = event.mutate(None)
    assert isinstance(loaded, Customer)
    assert (loaded.tax_id, loaded.fiscal_regime, loaded.cfdi_use) == (
        "12.345.678/0001-90",
        None,
        None,
    )

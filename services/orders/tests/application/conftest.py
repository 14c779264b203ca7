"""The orders service's use cases in memory: the service as bootstrap wires it, on the
in-memory event store; consumed events go through the kit's exactly-once consumer path."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from oms_dev.inmemory import ServiceInMemory
from oms_orders.application import OrdersApplication
from oms_orders.bootstrap import bootstrap


@pytest.fixture
def orders() -> ServiceInMemory:
    """A company that sells in euros (its new customers buy in EUR unless told)."""
    return ServiceInMemory(bootstrap, company_currency="EUR", company_language="es")


@pytest.fixture
def app(orders: ServiceInMemory) -> OrdersApplication:
    application: OrdersApplication = orders.app
    return application


@pytest.fixture
def catalogue(app: OrdersApplication) -> None:
    """SKU-1 and SKU-2 at 10.00 EUR, 21 % tax; SKU-USD priced in dollars."""
    for sku, currency in (("SKU-1", "EUR"), ("SKU-2", "EUR"), ("SKU-USD", "USD")):
        app.define_product(
            sku=sku,
            name=f"Product {sku}",
            unit_price=Decimal("10.00"),
            currency=currency,
            tax_rate=Decimal("0.21"),
        )


NewCustomer = Callable[..., str]


@pytest.fixture
def new_customer(app: OrdersApplication) -> NewCustomer:
    """Registers a customer (credit limit 1000.00 unless given) and returns its id."""

    def register(credit_limit: str = "1000.00", **extra: object) -> str:
        customer = app.register_customer(
            name="Ana Lopez",
            tax_id="ES123",
            email="ana@example.com",
            credit_limit=Decimal(credit_limit),
            payment_terms_days=[30, 60],
            **extra,  # type: ignore[arg-type]
        )
        return customer.customer_id

    return register


@pytest.fixture
def stored_events(orders: ServiceInMemory) -> Callable[[], int]:
    """How many events the service has stored so far."""

    def count() -> int:
        return len(list(orders.app.recorder.select_notifications(1, 1_000_000)))

    return count

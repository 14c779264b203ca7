"""The Customer and Product aggregates, given/when/then, without I/O."""

from __future__ import annotations

from decimal import Decimal

from oms_orders.domain.customer import Customer
from oms_orders.domain.product import Product


def test_open_balance_follows_receivables_and_payments() -> None:
    customer = Customer(
        name="Ana",
        tax_id="T",
        email="a@example.com",
        credit_limit=Decimal("100.00"),
        currency="EUR",
        payment_terms_days=[30],
        sales_rep_id=None,
        language=None,
    )
    customer.record_receivable("r-1", Decimal("80.00"))
    customer.record_payment("p-1", Decimal("30.00"))
    assert customer.open_balance == Decimal("50.00")
    assert customer.credit_problem(Decimal("50.00")) is None
    assert customer.credit_problem(Decimal("50.01")) == (
        "credit limit exceeded: open balance 50.00 + order 50.01 > limit 100.00"
    )


def test_a_product_is_found_by_its_sku() -> None:
    product = Product(
        sku="SKU-1",
        name="Widget",
        unit_price=Decimal("1.00"),
        currency="EUR",
        tax_rate=Decimal("0.21"),
    )
    assert product.id == Product.create_id("SKU-1")
    assert product.id != Product.create_id("SKU-2")

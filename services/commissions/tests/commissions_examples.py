"""Example contract events the commissions service consumes, with the figures a test can
compute by hand: every amount below is worked out in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from oms_contracts.billing import InvoiceIssued, InvoiceLine, PaymentReceived
from oms_contracts.orders import (
    CustomerRegistered,
    Line,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
)

D = Decimal
TAX = D("0.16")


def customer(customer_id: str, name: str, sales_rep_id: str | None) -> CustomerRegistered:
    return CustomerRegistered(
        customer_id=customer_id,
        name=name,
        tax_id=f"TAX-{customer_id}",
        email=f"{customer_id}@example.com",
        credit_limit=D("1000000"),
        currency="BRL",
        payment_terms_days=[30],
        sales_rep_id=sales_rep_id,
    )


def line(line_no: int, sku: str, quantity: int, unit_price: str, **discount: Any) -> Line:
    """A priced line as orders prices it: net = quantity x price - discount, to the cent."""
    gross = D(quantity) * D(unit_price)
    if "discount_percent" in discount:
        net = gross - gross * D(discount["discount_percent"]) / 100
    else:
        net = gross - D(discount.get("discount_amount", "0"))
    return Line(
        line_no=line_no,
        sku=sku,
        quantity=D(quantity),
        unit_price=D(unit_price),
        tax_rate=TAX,
        net_amount=net.quantize(D("0.01")),
        **{key: D(value) for key, value in discount.items()},
    )


def tax(net: Decimal) -> Decimal:
    return (net * TAX).quantize(D("0.01"))


def placed(
    order_id: str,
    customer_id: str,
    sales_rep_id: str | None,
    lines: list[Line],
    expected: date | None = None,
) -> OrderPlaced:
    net = sum((li.net_amount for li in lines), D(0))
    taxes = sum((tax(li.net_amount) for li in lines), D(0))
    return OrderPlaced(
        order_id=order_id,
        customer_id=customer_id,
        origin="backoffice",
        currency="BRL",
        lines=lines,
        net_total=net,
        tax_total=taxes,
        total=net + taxes,
        status="confirmed",
        sales_rep_id=sales_rep_id,
        expected_delivery_date=expected,
    )


def confirmed(order: OrderPlaced) -> OrderConfirmed:
    return OrderConfirmed(
        order_id=order.order_id,
        customer_id=order.customer_id,
        currency=order.currency,
        lines=order.lines,
        total=order.total,
        payment_terms_days=[30],
        expected_delivery_date=order.expected_delivery_date,
    )


def cancelled(order_id: str) -> OrderCancelled:
    return OrderCancelled(order_id=order_id, reason="customer changed his mind")


def invoice(
    invoice_id: str, order: OrderPlaced, parts: list[tuple[str, int, Decimal]]
) -> InvoiceIssued:
    """An invoice of ``parts`` (sku, quantity, net amount) of ``order``'s lines."""
    lines = [
        InvoiceLine(
            sku=sku,
            quantity=D(quantity),
            unit_price=D("1"),
            net_amount=net,
            tax_rate=TAX,
            tax_amount=tax(net),
        )
        for sku, quantity, net in parts
    ]
    net_total = sum((li.net_amount for li in lines), D(0))
    tax_total = sum((li.tax_amount for li in lines), D(0))
    return InvoiceIssued(
        invoice_id=invoice_id,
        number=f"A-{invoice_id}",
        order_id=order.order_id,
        customer_id=order.customer_id,
        currency="BRL",
        lines=lines,
        net_total=net_total,
        tax_total=tax_total,
        total=net_total + tax_total,
    )


def payment(
    payment_id: str, issued: InvoiceIssued, amount: Decimal, open_after: Decimal
) -> PaymentReceived:
    return PaymentReceived(
        payment_id=payment_id,
        invoice_id=issued.invoice_id,
        order_id=issued.order_id,
        customer_id=issued.customer_id,
        currency="BRL",
        amount=amount,
        open_after=open_after,
    )

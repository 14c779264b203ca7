"""Example contract events billing consumes, an invoice issued on the real stack, and a
stamping provider that fails at first."""

from __future__ import annotations

from decimal import Decimal

from oms_billing.application.stamping import Stamp, StampingFailed, StampingProvider
from oms_contracts.inventory import GoodsIssued, LotQuantity
from oms_contracts.orders import CustomerRegistered, CustomerUpdated, Line, OrderConfirmed
from oms_dev.testing import ServiceOnStack
from oms_kit.auth import BACK_OFFICE

D = Decimal


def order_confirmed(
    order_id: str, customer_id: str = "cust-1", terms: list[int] | None = None
) -> OrderConfirmed:
    """Two lines: 3 x SKU-A for 100.00 net and 1 x SKU-B for 50.00 net, both at 16%."""
    return OrderConfirmed(
        order_id=order_id,
        customer_id=customer_id,
        currency="MXN",
        lines=[
            Line(
                line_no=1,
                sku="SKU-A",
                quantity=D(3),
                unit_price=D("40.00"),
                discount_percent=D("16.6666"),
                tax_rate=D("0.16"),
                net_amount=D("100.00"),
            ),
            Line(
                line_no=2,
                sku="SKU-B",
                quantity=D(1),
                unit_price=D("50.00"),
                tax_rate=D("0.16"),
                net_amount=D("50.00"),
            ),
        ],
        total=D("174.00"),
        payment_terms_days=[30, 60] if terms is None else terms,
    )


def customer_registered(customer_id: str, sales_rep_id: str | None = None) -> CustomerRegistered:
    return CustomerRegistered(
        customer_id=customer_id,
        name=f"Customer {customer_id}",
        tax_id=f"TAX-{customer_id}",
        email=f"{customer_id}@example.com",
        credit_limit=D("10000.00"),
        currency="MXN",
        payment_terms_days=[30],
        sales_rep_id=sales_rep_id,
    )


def customer_updated(customer_id: str, sales_rep_id: str | None = None) -> CustomerUpdated:
    """Only the fields that changed are set: the rep, or (without one) the email."""
    if sales_rep_id is None:
        return CustomerUpdated(customer_id=customer_id, email=f"new-{customer_id}@example.com")
    return CustomerUpdated(customer_id=customer_id, sales_rep_id=sales_rep_id)


def goods_issued(goods_issue_id: str, order_id: str, *lines: tuple[str, int]) -> GoodsIssued:
    return GoodsIssued(
        goods_issue_id=goods_issue_id,
        order_id=order_id,
        lines=[
            LotQuantity(sku=sku, quantity=D(qty), warehouse="WH-1", lot="LOT-1")
            for sku, qty in lines
        ],
    )


def issue_invoice(billing: ServiceOnStack, order_id: str, customer_id: str = "cust-1") -> str:
    """One invoice of 58.00 (1 x SKU-B at 50.00 + 16%) on the real stack; its id."""
    billing.deliver(order_confirmed(order_id, customer_id))
    billing.deliver(goods_issued(f"gi-{order_id}", order_id, ("SKU-B", 1)))
    billing.catch_up()
    listed = billing.client.get(
        "/invoices", params={"order_id": order_id}, headers=billing.headers(BACK_OFFICE)
    )
    [item] = listed.json()["items"]
    assert item["total"] == "58.00"
    return str(item["invoice_id"])


class FlakyProvider:
    """Fails the first ``failures`` stampings, then delegates."""

    def __init__(self, inner: StampingProvider, failures: int) -> None:
        self.inner = inner
        self.failures = failures
        self.calls = 0

    def stamp(self, invoice_xml: bytes) -> Stamp:
        self.calls += 1
        if self.calls <= self.failures:
            raise StampingFailed(f"provider unavailable (call {self.calls})")
        return self.inner.stamp(invoice_xml)


def mexican_customer(
    customer_id: str,
    *,
    rfc: str = "XIQB891116QE4",
    language: str = "es",
    fiscal_regime: str | None = "612",
    postal_code: str | None = "03100",
    cfdi_use: str | None = "G03",
) -> CustomerRegistered:
    """A customer of a Mexican company with his fiscal data (SAT's test RFC of a person)."""
    return CustomerRegistered(
        customer_id=customer_id,
        name="Berenice Xochilt Ibarra",
        tax_id=rfc,
        email=f"{customer_id}@example.com",
        credit_limit=D("10000.00"),
        currency="MXN",
        payment_terms_days=[30, 60],
        language=language,
        fiscal_regime=fiscal_regime,
        postal_code=postal_code,
        cfdi_use=cfdi_use,
    )


def named_order_confirmed(order_id: str, customer_id: str) -> OrderConfirmed:
    """``order_confirmed`` with the products' names, notes and SAT keys on its lines."""
    confirmed = order_confirmed(order_id, customer_id)
    first, second = confirmed.lines
    return confirmed.model_copy(
        update={
            "lines": [
                first.model_copy(
                    update={
                        "name": "Tornillo hexagonal",
                        "note": "Entrega parcial",
                        "sat_product_key": "31161500",
                        "sat_unit_key": "H87",
                    }
                ),
                second.model_copy(update={"name": "Caja de cartón"}),
            ]
        }
    )

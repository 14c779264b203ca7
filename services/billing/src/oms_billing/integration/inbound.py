"""Contract events the billing service reacts to, one handler each.

A GoodsIssued for an order billing has not seen confirmed yet is not lost: it is held on
billing's copy of the order and invoiced as soon as the OrderConfirmed arrives. A
GoodsIssued that does not fit its (confirmed) order, e.g. more than is left to invoice, is
raised as an error: the consumer dead-letters it and it can be redriven.

Customer events tell billing which sales rep each customer has: the portfolio that limits
what a rep sees of invoices and statements. They are ordered by the version of the customer
they come from (the envelope's aggregate version), so a repeat, or a registration that
arrives after an update that changed the rep, changes nothing.
"""

from __future__ import annotations

from typing import Any

from oms_contracts.inventory import GoodsIssued
from oms_contracts.orders import (
    CustomerRegistered,
    CustomerUpdated,
    OrderCancelled,
    OrderConfirmed,
)
from oms_kit.eventstore import Changed
from oms_kit.service import Inbound, Received

from oms_billing.application import BillingApplication
from oms_billing.domain.order import IssuedQuantity

inbound = Inbound(BillingApplication)


@inbound.on(OrderConfirmed)
def on_order_confirmed(app: BillingApplication, confirmed: OrderConfirmed) -> Changed:
    return app.confirm_order(
        order_id=confirmed.order_id,
        customer_id=confirmed.customer_id,
        currency=confirmed.currency,
        lines=[
            {
                "line_no": line.line_no,
                "sku": line.sku,
                "quantity": line.quantity,
                "net_amount": line.net_amount,
                "tax_rate": line.tax_rate,
                "name": line.name,
                "note": line.note,
                "sat_product_key": line.sat_product_key,
                "sat_unit_key": line.sat_unit_key,
            }
            for line in confirmed.lines
        ],
        total=confirmed.total,
        payment_terms_days=list(confirmed.payment_terms_days),
        invoicing=confirmed.invoicing,
    )


# One at a time: each issues an invoice, and every invoice takes the next number of the one
# series aggregate; side by side they would only conflict and re-run. (An OrderConfirmed
# issues only for goods issues that came before it, rarely.)
@inbound.on(GoodsIssued, one_at_a_time=True)
def on_goods_issued(app: BillingApplication, issued: GoodsIssued, received: Received) -> Changed:
    return app.invoice_goods_issue(
        goods_issue_id=issued.goods_issue_id,
        order_id=issued.order_id,
        lines=[IssuedQuantity(sku=line.sku, quantity=line.quantity) for line in issued.lines],
        issued_at=received.occurred_at,
    )


@inbound.on(OrderCancelled)
def on_order_cancelled(app: BillingApplication, cancelled: OrderCancelled) -> Changed:
    return app.cancel_order(order_id=cancelled.order_id, reason=cancelled.reason)


@inbound.on(CustomerRegistered)
def on_customer_registered(
    app: BillingApplication, registered: CustomerRegistered, received: Received
) -> Changed:
    return app.record_customer(
        customer_id=registered.customer_id,
        sales_rep_id=registered.sales_rep_id,
        rep_named=True,
        details=customer_details(registered),
        customer_version=received.aggregate_version,
    )


@inbound.on(CustomerUpdated)
def on_customer_updated(
    app: BillingApplication, updated: CustomerUpdated, received: Received
) -> Changed:
    # Only the fields that changed are set: a rep of None is a rep that did not change.
    return app.record_customer(
        customer_id=updated.customer_id,
        sales_rep_id=updated.sales_rep_id,
        rep_named=updated.sales_rep_id is not None,
        details=customer_details(updated),
        customer_version=received.aggregate_version,
    )


def customer_details(customer: CustomerRegistered | CustomerUpdated) -> dict[str, Any]:
    """What the customer's invoice documents name (None: not given by this event)."""
    return {
        "name": customer.name,
        "tax_id": getattr(customer, "tax_id", None),
        "language": customer.language,
        "fiscal_regime": customer.fiscal_regime,
        "postal_code": customer.postal_code,
        "cfdi_use": customer.cfdi_use,
        "invoicing": customer.invoicing,
    }

"""The orders service's published events: one typed mapping per private domain event
that has a public contract event. Domain events without one stay private."""

from __future__ import annotations

from datetime import date
from typing import Any

from oms_contracts import orders as contract
from oms_kit.service import Outbound

from oms_orders.domain.customer import Customer
from oms_orders.domain.order import Order
from oms_orders.domain.product import Product
from oms_orders.domain.quote import Quote
from oms_orders.domain.sales_rep import SalesRep
from oms_orders.domain.user import User

outbound = Outbound()


def contract_lines(lines: list[dict[str, Any]]) -> list[contract.Line]:
    return [
        contract.Line(
            line_no=line["line_no"],
            sku=line["sku"],
            quantity=line["quantity"],
            unit_price=line["unit_price"],
            discount_percent=line.get("discount_percent"),
            discount_amount=line.get("discount_amount"),
            tax_rate=line["tax_rate"],
            net_amount=line["net_amount"],
            note=line.get("note"),
            name=line.get("name"),
            sat_product_key=line.get("sat_product_key"),
            sat_unit_key=line.get("sat_unit_key"),
        )
        for line in lines
    ]


# Customers and products --------------------------------------------------------------------


@outbound.maps(Customer.CustomerRegistered)
def customer_registered(registered: Customer.CustomerRegistered) -> contract.CustomerRegistered:
    return contract.CustomerRegistered(
        customer_id=str(registered.originator_id),
        name=registered.name,
        tax_id=registered.tax_id,
        email=registered.email,
        credit_limit=registered.credit_limit,
        currency=registered.currency,
        payment_terms_days=registered.payment_terms_days,
        sales_rep_id=registered.sales_rep_id,
        language=registered.language,
        fiscal_regime=registered.fiscal_regime,
        postal_code=registered.postal_code,
        cfdi_use=registered.cfdi_use,
        invoicing=registered.invoicing,
    )


@outbound.maps(Customer.CustomerUpdated)
def customer_updated(updated: Customer.CustomerUpdated) -> contract.CustomerUpdated:
    return contract.CustomerUpdated(
        customer_id=str(updated.originator_id),
        name=updated.name,
        email=updated.email,
        credit_limit=updated.credit_limit,
        payment_terms_days=updated.payment_terms_days,
        sales_rep_id=updated.sales_rep_id,
        language=updated.language,
        tax_id=updated.tax_id,
        fiscal_regime=updated.fiscal_regime,
        postal_code=updated.postal_code,
        cfdi_use=updated.cfdi_use,
        invoicing=updated.invoicing,
    )


@outbound.maps(Product.ProductDefined)
def product_defined(defined: Product.ProductDefined) -> contract.ProductDefined:
    return contract.ProductDefined(
        sku=defined.sku,
        name=defined.name,
        unit_price=defined.unit_price,
        currency=defined.currency,
        tax_rate=defined.tax_rate,
        sat_product_key=defined.sat_product_key,
        sat_unit_key=defined.sat_unit_key,
    )


# Orders ------------------------------------------------------------------------------------


def _day(iso: str | None) -> date | None:
    return date.fromisoformat(iso) if iso else None


@outbound.maps(Order.OrderPlaced)
def order_placed(placed: Order.OrderPlaced) -> contract.OrderPlaced:
    return contract.OrderPlaced(
        order_id=str(placed.originator_id),
        customer_id=placed.customer_id,
        origin=placed.origin,
        currency=placed.currency,
        lines=contract_lines(placed.lines),
        net_total=placed.net_total,
        tax_total=placed.tax_total,
        total=placed.total,
        status=placed.status,
        quote_id=placed.quote_id,
        expected_delivery_date=_day(placed.expected_delivery_date),
        sales_rep_id=placed.sales_rep_id,
        external_order_id=placed.external_order_id,
        channel=placed.channel,
    )


@outbound.maps(Order.OrderApproved)
def order_approved(approved: Order.OrderApproved) -> contract.OrderApproved:
    return contract.OrderApproved(
        order_id=str(approved.originator_id), approved_by=approved.approved_by
    )


@outbound.maps(Order.OrderConfirmed)
def order_confirmed(confirmed: Order.OrderConfirmed) -> contract.OrderConfirmed:
    return contract.OrderConfirmed(
        order_id=str(confirmed.originator_id),
        customer_id=confirmed.customer_id,
        currency=confirmed.currency,
        lines=contract_lines(confirmed.lines),
        total=confirmed.total,
        payment_terms_days=confirmed.payment_terms_days,
        expected_delivery_date=_day(confirmed.expected_delivery_date),
        invoicing=confirmed.invoicing,
    )


@outbound.maps(Order.OrderPutOnHold)
def order_put_on_hold(held: Order.OrderPutOnHold) -> contract.OrderPutOnHold:
    return contract.OrderPutOnHold(
        order_id=str(held.originator_id), reason=held.status_reason or ""
    )


@outbound.maps(Order.StockShortageReported)
def stock_shortage_reported(shortage: Order.StockShortageReported) -> contract.OrderPutOnHold:
    """A shortage puts the order on hold: subscribers learn it as OrderPutOnHold."""
    return contract.OrderPutOnHold(
        order_id=str(shortage.originator_id), reason=shortage.status_reason or ""
    )


@outbound.maps(Order.OrderCancelled)
def order_cancelled(cancelled: Order.OrderCancelled) -> contract.OrderCancelled:
    return contract.OrderCancelled(order_id=str(cancelled.originator_id), reason=cancelled.reason)


@outbound.maps(Order.OrderStatusChanged)
def order_status_changed(changed: Order.OrderStatusChanged) -> contract.OrderStatusChanged:
    return contract.OrderStatusChanged(
        order_id=str(changed.originator_id),
        status=changed.status,
        reason=changed.status_reason,
        previous_status=changed.previous_status,
    )


@outbound.maps(Order.OrderCompleted)
def order_completed(completed: Order.OrderCompleted) -> contract.OrderCompleted:
    return contract.OrderCompleted(
        order_id=str(completed.originator_id), completed_at=completed.completed_at
    )


# Quotes ------------------------------------------------------------------------------------


@outbound.maps(Quote.QuoteCreated)
def quote_created(created: Quote.QuoteCreated) -> contract.QuoteCreated:
    return contract.QuoteCreated(
        quote_id=str(created.originator_id),
        customer_id=created.customer_id,
        currency=created.currency,
        lines=contract_lines(created.lines),
        total=created.total,
        valid_until=date.fromisoformat(created.valid_until) if created.valid_until else None,
    )


@outbound.maps(Quote.QuoteRevised)
def quote_revised(revised: Quote.QuoteRevised) -> contract.QuoteRevised:
    return contract.QuoteRevised(
        quote_id=str(revised.originator_id),
        revision=revised.revision,
        lines=contract_lines(revised.lines),
        total=revised.total,
    )


@outbound.maps(Quote.QuoteSent)
def quote_sent(sent: Quote.QuoteSent) -> contract.QuoteSent:
    return contract.QuoteSent(
        quote_id=str(sent.originator_id), customer_id=sent.customer_id, email=sent.email
    )


@outbound.maps(Quote.QuoteAccepted)
def quote_accepted(accepted: Quote.QuoteAccepted) -> contract.QuoteAccepted:
    return contract.QuoteAccepted(quote_id=str(accepted.originator_id), order_id=accepted.order_id)


@outbound.maps(Quote.QuoteApproved)
def quote_approved(approved: Quote.QuoteApproved) -> contract.QuoteApproved:
    return contract.QuoteApproved(
        quote_id=str(approved.originator_id),
        order_id=approved.order_id,
        approved_by=approved.approved_by,
    )


@outbound.maps(Quote.ContractAttached)
def contract_attached(attached: Quote.ContractAttached) -> contract.ContractAttached:
    return contract.ContractAttached(
        quote_id=str(attached.originator_id),
        attachment_id=attached.attachment_id,
        name=attached.name,
        content_type=attached.content_type,
        size=attached.size,
    )


@outbound.maps(Quote.ContractSigned)
def contract_signed(signed: Quote.ContractSigned) -> contract.ContractSigned:
    return contract.ContractSigned(
        quote_id=str(signed.originator_id),
        attachment_id=signed.attachment_id,
        name=signed.name,
        content_type=signed.content_type,
        size=signed.size,
    )


@outbound.maps(Quote.QuoteRejected)
def quote_rejected(rejected: Quote.QuoteRejected) -> contract.QuoteRejected:
    return contract.QuoteRejected(quote_id=str(rejected.originator_id), reason=rejected.reason)


@outbound.maps(Quote.QuoteExpired)
def quote_expired(expired: Quote.QuoteExpired) -> contract.QuoteExpired:
    return contract.QuoteExpired(quote_id=str(expired.originator_id))


# Users and sales reps (no password hash leaves the service) --------------------------------


@outbound.maps(SalesRep.SalesRepRegistered)
def sales_rep_registered(registered: SalesRep.SalesRepRegistered) -> contract.SalesRepRegistered:
    return contract.SalesRepRegistered(
        sales_rep_id=str(registered.originator_id), name=registered.name, email=registered.email
    )


@outbound.maps(User.UserRegistered)
def user_registered(registered: User.UserRegistered) -> contract.UserRegistered:
    return contract.UserRegistered(
        user_id=str(registered.originator_id),
        username=registered.username,
        role=registered.role,
        sales_rep_id=registered.sales_rep_id,
        customer_id=registered.customer_id,
        partner_id=registered.partner_id,
        language=registered.language,
    )

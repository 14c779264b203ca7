"""Private domain events of the orders service -> public contract events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from oms_contracts import ContractEvent
from oms_contracts import orders as contract

from oms_orders.domain.customer import Customer
from oms_orders.domain.order import Order
from oms_orders.domain.product import Product
from oms_orders.domain.quote import Quote


def _lines(lines: list[dict[str, Any]]) -> list[contract.Line]:
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
        )
        for line in lines
    ]


def _customer_registered(e: Any) -> ContractEvent:
    return contract.CustomerRegistered(
        customer_id=str(e.originator_id),
        name=e.name,
        tax_id=e.tax_id,
        email=e.email,
        credit_limit=e.credit_limit,
        currency=e.currency,
        payment_terms_days=e.payment_terms_days,
        sales_rep_id=e.sales_rep_id,
        language=e.language,
    )


def _customer_updated(e: Any) -> ContractEvent:
    return contract.CustomerUpdated(
        customer_id=str(e.originator_id),
        name=e.name,
        email=e.email,
        credit_limit=e.credit_limit,
        payment_terms_days=e.payment_terms_days,
        sales_rep_id=e.sales_rep_id,
        language=e.language,
    )


def _product_defined(e: Any) -> ContractEvent:
    return contract.ProductDefined(
        sku=e.sku, name=e.name, unit_price=e.unit_price, currency=e.currency, tax_rate=e.tax_rate
    )


def _order_placed(e: Any) -> ContractEvent:
    return contract.OrderPlaced(
        order_id=str(e.originator_id),
        customer_id=e.customer_id,
        origin=e.origin,
        currency=e.currency,
        lines=_lines(e.lines),
        net_total=e.net_total,
        tax_total=e.tax_total,
        total=e.total,
        status=e.status,
        quote_id=e.quote_id,
        sales_rep_id=e.sales_rep_id,
    )


def _order_approved(e: Any) -> ContractEvent:
    return contract.OrderApproved(order_id=str(e.originator_id), approved_by=e.approved_by)


def _order_confirmed(e: Any) -> ContractEvent:
    return contract.OrderConfirmed(
        order_id=str(e.originator_id),
        customer_id=e.customer_id,
        currency=e.currency,
        lines=_lines(e.lines),
        total=e.total,
        payment_terms_days=e.payment_terms_days,
    )


def _order_put_on_hold(e: Any) -> ContractEvent:
    return contract.OrderPutOnHold(order_id=str(e.originator_id), reason=e.status_reason or "")


def _order_cancelled(e: Any) -> ContractEvent:
    return contract.OrderCancelled(order_id=str(e.originator_id), reason=e.reason)


def _order_completed(e: Any) -> ContractEvent:
    return contract.OrderCompleted(order_id=str(e.originator_id), completed_at=e.completed_at)


def _quote_created(e: Any) -> ContractEvent:
    return contract.QuoteCreated(
        quote_id=str(e.originator_id),
        customer_id=e.customer_id,
        currency=e.currency,
        lines=_lines(e.lines),
        total=e.total,
        valid_until=date.fromisoformat(e.valid_until) if e.valid_until else None,
    )


def _quote_revised(e: Any) -> ContractEvent:
    return contract.QuoteRevised(
        quote_id=str(e.originator_id), revision=e.revision, lines=_lines(e.lines), total=e.total
    )


def _quote_sent(e: Any) -> ContractEvent:
    return contract.QuoteSent(
        quote_id=str(e.originator_id), customer_id=e.customer_id, email=e.email
    )


def _quote_accepted(e: Any) -> ContractEvent:
    return contract.QuoteAccepted(quote_id=str(e.originator_id), order_id=e.order_id)


def _quote_rejected(e: Any) -> ContractEvent:
    return contract.QuoteRejected(quote_id=str(e.originator_id), reason=e.reason)


def _quote_expired(e: Any) -> ContractEvent:
    return contract.QuoteExpired(quote_id=str(e.originator_id))


MAPPINGS: dict[type[Any], Callable[[Any], ContractEvent]] = {
    Customer.CustomerRegistered: _customer_registered,
    Customer.CustomerUpdated: _customer_updated,
    Product.ProductDefined: _product_defined,
    Order.OrderPlaced: _order_placed,
    Order.OrderApproved: _order_approved,
    Order.OrderConfirmed: _order_confirmed,
    Order.OrderPutOnHold: _order_put_on_hold,
    Order.StockShortageReported: _order_put_on_hold,
    Order.OrderCancelled: _order_cancelled,
    Order.OrderCompleted: _order_completed,
    Quote.QuoteCreated: _quote_created,
    Quote.QuoteRevised: _quote_revised,
    Quote.QuoteSent: _quote_sent,
    Quote.QuoteAccepted: _quote_accepted,
    Quote.QuoteRejected: _quote_rejected,
    Quote.QuoteExpired: _quote_expired,
}


def to_contract(event: DomainEventProtocol[UUID]) -> ContractEvent | None:
    """The public event for a domain event, or None when it stays private."""
    mapping = MAPPINGS.get(type(event))
    return mapping(event) if mapping else None

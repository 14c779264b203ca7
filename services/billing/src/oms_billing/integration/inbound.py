"""Contract events the billing service reacts to, and its handler for each.

A GoodsIssued for an order billing has not seen confirmed yet is not lost: it is held on
billing's copy of the order and invoiced as soon as the OrderConfirmed arrives. A
GoodsIssued that does not fit its (confirmed) order, e.g. more than is left to invoice, is
raised as an error: the consumer dead-letters it and it can be redriven.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from oms_contracts import ContractEvent, Envelope
from oms_contracts.inventory import GoodsIssued
from oms_contracts.orders import OrderCancelled, OrderConfirmed
from oms_kit.consumer import Handler

from oms_billing.application import BillingApplication
from oms_billing.domain.order import IssuedQuantity

#: Services whose topics it consumes.
SOURCES: list[str] = ["orders", "inventory"]

#: Applied one at a time: each issues an invoice, and every invoice takes the next number
#: of the one series aggregate; side by side they would only conflict and re-run. (An
#: OrderConfirmed issues only for goods issues that came before it, rarely: not serial.)
SERIAL: tuple[type[ContractEvent], ...] = (GoodsIssued,)


def handlers(app: BillingApplication) -> dict[type[ContractEvent], Handler]:
    def on_order_confirmed(
        event: ContractEvent, envelope: Envelope[dict[str, Any]], processing: ProcessingEvent[UUID]
    ) -> None:
        assert isinstance(event, OrderConfirmed)
        app.confirm_order(
            processing,
            order_id=event.order_id,
            customer_id=event.customer_id,
            currency=event.currency,
            lines=[
                {
                    "line_no": line.line_no,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "net_amount": line.net_amount,
                    "tax_rate": line.tax_rate,
                }
                for line in event.lines
            ],
            total=event.total,
            payment_terms_days=list(event.payment_terms_days),
        )

    def on_goods_issued(
        event: ContractEvent, envelope: Envelope[dict[str, Any]], processing: ProcessingEvent[UUID]
    ) -> None:
        assert isinstance(event, GoodsIssued)
        app.invoice_goods_issue(
            processing,
            goods_issue_id=event.goods_issue_id,
            order_id=event.order_id,
            lines=[IssuedQuantity(sku=line.sku, quantity=line.quantity) for line in event.lines],
        )

    def on_order_cancelled(
        event: ContractEvent, envelope: Envelope[dict[str, Any]], processing: ProcessingEvent[UUID]
    ) -> None:
        assert isinstance(event, OrderCancelled)
        app.cancel_order(processing, order_id=event.order_id, reason=event.reason)

    return {
        OrderConfirmed: on_order_confirmed,
        GoodsIssued: on_goods_issued,
        OrderCancelled: on_order_cancelled,
    }

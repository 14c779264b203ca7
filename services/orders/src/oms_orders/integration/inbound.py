"""Contract events the orders service reacts to, and its handler for each.

Events about orders or customers this service does not know are ignored (nothing is
collected); an event that refers to a known order but cannot be applied raises, so it is
dead-lettered and can be redriven."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from oms_contracts import ContractEvent, Envelope
from oms_contracts import billing as bill
from oms_contracts import inventory as inv
from oms_kit.consumer import Handler

from oms_orders.application import OrdersApplication
from oms_orders.domain.customer import Customer
from oms_orders.domain.order import Order

#: Services whose topics it consumes.
SOURCES: list[str] = ["inventory", "billing"]

Processing = ProcessingEvent[UUID]
Env = Envelope[dict[str, Any]]


def handlers(app: OrdersApplication) -> dict[type[ContractEvent], Handler]:
    def on_stock_reserved(event: ContractEvent, _: Env, processing: Processing) -> None:
        assert isinstance(event, inv.StockReserved)
        order = app.find(Order, event.order_id)
        if order is None:
            return
        order.record_reservation(
            [
                {
                    "sku": a.sku,
                    "quantity": a.quantity,
                    "warehouse": a.warehouse,
                    "lot": a.lot,
                    "expires_on": a.expires_on.isoformat() if a.expires_on else None,
                }
                for a in event.allocations
            ]
        )
        processing.collect_events(order)

    def on_stock_shortage(event: ContractEvent, _: Env, processing: Processing) -> None:
        assert isinstance(event, inv.StockShortage)
        order = app.find(Order, event.order_id)
        if order is None:
            return
        order.report_shortage(event.sku, event.requested, event.available)
        processing.collect_events(order)

    def on_goods_issued(event: ContractEvent, _: Env, processing: Processing) -> None:
        assert isinstance(event, inv.GoodsIssued)
        order = app.find(Order, event.order_id)
        if order is None:
            return
        lines = [
            {"sku": x.sku, "quantity": x.quantity, "warehouse": x.warehouse, "lot": x.lot}
            for x in event.lines
        ]
        order.record_shipment(event.goods_issue_id, lines)
        processing.collect_events(order)

    def on_invoice_issued(event: ContractEvent, _: Env, processing: Processing) -> None:
        assert isinstance(event, bill.InvoiceIssued)
        order = app.find(Order, event.order_id)
        if order is None:
            return
        order.record_invoice(event.invoice_id, event.number, event.total)
        processing.collect_events(order)

    def on_invoice_stamped(event: ContractEvent, _: Env, processing: Processing) -> None:
        assert isinstance(event, bill.InvoiceStamped)
        order = app.find(Order, event.order_id)
        if order is None:
            return
        order.record_stamp(event.invoice_id, event.stamp_uuid, event.stamped_at)
        processing.collect_events(order)

    def on_invoice_cancelled(event: ContractEvent, _: Env, processing: Processing) -> None:
        assert isinstance(event, bill.InvoiceCancelled)
        order = app.find(Order, event.order_id)
        if order is None:
            return
        order.cancel_invoice(event.invoice_id, event.reason)
        processing.collect_events(order)

    def on_receivable_opened(event: ContractEvent, _: Env, processing: Processing) -> None:
        assert isinstance(event, bill.ReceivableOpened)
        customer = app.find(Customer, event.customer_id)
        if customer is None:
            return
        customer.record_receivable(event.receivable_id, event.amount)
        processing.collect_events(customer)

    def on_payment_received(event: ContractEvent, _: Env, processing: Processing) -> None:
        assert isinstance(event, bill.PaymentReceived)
        customer = app.find(Customer, event.customer_id)
        if customer is not None:
            customer.record_payment(event.payment_id, event.amount)
            processing.collect_events(customer)
        order = app.find(Order, event.order_id)
        if order is not None:
            order.record_payment(event.payment_id, event.invoice_id, event.amount)
            processing.collect_events(order)

    def on_invoice_paid(event: ContractEvent, _: Env, processing: Processing) -> None:
        assert isinstance(event, bill.InvoicePaid)
        order = app.find(Order, event.order_id)
        if order is None:
            return
        order.mark_invoice_paid(event.invoice_id)
        processing.collect_events(order)

    return {
        inv.StockReserved: on_stock_reserved,
        inv.StockShortage: on_stock_shortage,
        inv.GoodsIssued: on_goods_issued,
        bill.InvoiceIssued: on_invoice_issued,
        bill.InvoiceStamped: on_invoice_stamped,
        bill.InvoiceCancelled: on_invoice_cancelled,
        bill.ReceivableOpened: on_receivable_opened,
        bill.PaymentReceived: on_payment_received,
        bill.InvoicePaid: on_invoice_paid,
    }

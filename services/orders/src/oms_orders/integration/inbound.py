"""The contract events the orders service reacts to: one typed handler each, turning the
public event into plain values for the Application's reaction, which returns what it
changed (the kit records it with the event's tracking record, exactly once).

An event about an order or customer this service does not know changes nothing; one that
refers to a known order but cannot be applied yet (a stamp before its invoice) raises, so
it is dead-lettered and can be redriven."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate
from oms_contracts.billing import (
    CreditNoteIssued,
    InvoiceCancelled,
    InvoiceIssued,
    InvoicePaid,
    InvoiceStamped,
    PaymentReceived,
    ReceivableOpened,
)
from oms_contracts.inventory import (
    GoodsIssued,
    LotQuantity,
    ShipmentCreated,
    StockLevelChanged,
    StockReserved,
    StockShortage,
)
from oms_contracts.marketplace_ingest import (
    MarketplaceOrderCancelled,
    MarketplaceOrderImported,
    PartnerOrderReceived,
)
from oms_kit.service import Inbound, Received

from oms_orders.application import OrdersApplication
from oms_orders.domain.order import Order
from oms_orders.domain.pricing import LineRequest
from oms_orders.domain.stock import StockLevel

inbound = Inbound(OrdersApplication)


def allocation(lot: LotQuantity) -> dict[str, Any]:
    return {
        "sku": lot.sku,
        "quantity": lot.quantity,
        "warehouse": lot.warehouse,
        "lot": lot.lot,
        "expires_on": lot.expires_on.isoformat() if lot.expires_on else None,
    }


def shipped_line(lot: LotQuantity) -> dict[str, Any]:
    return {"sku": lot.sku, "quantity": lot.quantity, "warehouse": lot.warehouse, "lot": lot.lot}


# Inventory ---------------------------------------------------------------------------------


@inbound.on(StockReserved)
def on_stock_reserved(app: OrdersApplication, event: StockReserved) -> Order | None:
    allocations = [allocation(lot) for lot in event.allocations]
    return app.record_reservation(event.order_id, allocations)


@inbound.on(StockShortage)
def on_stock_shortage(app: OrdersApplication, event: StockShortage) -> Order | None:
    return app.report_shortage(event.order_id, event.sku, event.requested, event.available)


@inbound.on(GoodsIssued)
def on_goods_issued(app: OrdersApplication, event: GoodsIssued) -> Order | None:
    lines = [shipped_line(lot) for lot in event.lines]
    return app.record_shipment(event.order_id, event.goods_issue_id, lines)


@inbound.on(ShipmentCreated)
def on_shipment_created(app: OrdersApplication, event: ShipmentCreated) -> Order | None:
    return app.record_tracking(
        event.order_id,
        goods_issue_id=event.goods_issue_id,
        shipment_id=event.shipment_id,
        carrier=event.carrier,
        service=event.service,
        tracking_number=event.tracking_number,
    )


@inbound.on(StockLevelChanged)
def on_stock_level_changed(
    app: OrdersApplication, level: StockLevelChanged, received: Received
) -> StockLevel | None:
    """The catalogue's and the cart's availability, as last heard (ordered by the
    version of inventory's stock record)."""
    return app.hear_stock_level(
        level.sku,
        on_hand=level.on_hand,
        reserved=level.reserved,
        available=level.available,
        source_id=received.aggregate_id,
        source_version=received.aggregate_version,
    )


# Billing -----------------------------------------------------------------------------------


@inbound.on(InvoiceIssued)
def on_invoice_issued(app: OrdersApplication, event: InvoiceIssued) -> Order | None:
    return app.record_invoice(event.order_id, event.invoice_id, event.number, event.total)


@inbound.on(InvoiceStamped)
def on_invoice_stamped(app: OrdersApplication, event: InvoiceStamped) -> Order | None:
    return app.record_stamp(event.order_id, event.invoice_id, event.stamp_uuid, event.stamped_at)


@inbound.on(ReceivableOpened)
def on_receivable_opened(app: OrdersApplication, event: ReceivableOpened) -> list[Aggregate]:
    """The customer's open balance, and the due dates the order list filters by."""
    return app.record_receivable(
        event.customer_id,
        event.receivable_id,
        event.amount,
        event.order_id,
        [
            {"number": i.number, "due_on": i.due_on.isoformat(), "amount": i.amount}
            for i in event.installments
        ],
    )


@inbound.on(PaymentReceived)
def on_payment_received(app: OrdersApplication, event: PaymentReceived) -> list[Aggregate]:
    return app.record_payment(
        customer_id=event.customer_id,
        order_id=event.order_id,
        payment_id=event.payment_id,
        invoice_id=event.invoice_id,
        amount=event.amount,
    )


@inbound.on(InvoicePaid)
def on_invoice_paid(app: OrdersApplication, event: InvoicePaid) -> Order | None:
    return app.mark_invoice_paid(event.order_id, event.invoice_id)


@inbound.on(InvoiceCancelled)
def on_invoice_cancelled(app: OrdersApplication, event: InvoiceCancelled) -> list[Aggregate]:
    return app.record_invoice_cancellation(
        customer_id=event.customer_id,
        order_id=event.order_id,
        invoice_id=event.invoice_id,
        reason=event.reason,
        total=event.total,
    )


@inbound.on(CreditNoteIssued)
def on_credit_note_issued(app: OrdersApplication, event: CreditNoteIssued) -> list[Aggregate]:
    return app.record_credit_note(
        customer_id=event.customer_id,
        order_id=event.order_id,
        credit_note_id=event.credit_note_id,
        invoice_id=event.invoice_id,
        number=event.number,
        total=event.total,
    )


# Marketplace-ingest: marketplace and partner orders ------------------------------------------


@inbound.on(MarketplaceOrderImported)
def on_marketplace_order_imported(
    app: OrdersApplication, event: MarketplaceOrderImported
) -> list[Aggregate] | None:
    return app.import_marketplace_order(
        order_id=event.order_id,
        customer_id=event.customer_id,
        channel=event.channel,
        external_order_id=event.external_order_id,
        currency=event.currency,
        lines=[
            LineRequest(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price)
            for line in event.lines
        ],
        buyer=event.buyer.model_dump(exclude_none=True),
        ship_to=event.ship_to.model_dump(exclude_none=True),
    )


@inbound.on(MarketplaceOrderCancelled)
def on_marketplace_order_cancelled(
    app: OrdersApplication, event: MarketplaceOrderCancelled
) -> list[Aggregate] | None:
    return app.cancel_marketplace_order(
        event.order_id, f"cancelled on {event.marketplace}: {event.reason}"
    )


@inbound.on(PartnerOrderReceived)
def on_partner_order_received(
    app: OrdersApplication, event: PartnerOrderReceived
) -> list[Aggregate] | None:
    return app.place_partner_order(
        order_id=event.order_id,
        partner_id=event.partner_id,
        external_order_id=event.external_order_id,
        lines=[LineRequest(sku=line.sku, quantity=line.quantity) for line in event.lines],
        note=event.note,
    )

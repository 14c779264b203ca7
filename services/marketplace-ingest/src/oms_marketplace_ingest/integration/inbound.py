"""The contract events the marketplace-ingest service consumes, one typed handler each."""

from __future__ import annotations

from eventsourcing.domain import Aggregate
from oms_contracts.inventory import GoodsIssued, ShipmentCreated, StockLevelChanged
from oms_contracts.orders import (
    OrderCancelled,
    OrderCompleted,
    OrderConfirmed,
    OrderPlaced,
    OrderPutOnHold,
    ProductDefined,
)
from oms_kit.service import Inbound

from oms_marketplace_ingest.application import MarketplaceIngestApplication
from oms_marketplace_ingest.domain.partner_order import PartnerOrder

inbound = Inbound(MarketplaceIngestApplication)


# Orders: a partner's order follows the status of the OMS order ------------------------------


@inbound.on(OrderPlaced)
def on_order_placed(app: MarketplaceIngestApplication, event: OrderPlaced) -> PartnerOrder | None:
    return app.follow_partner_order(event.order_id, event.status)


@inbound.on(OrderConfirmed)
def on_order_confirmed(
    app: MarketplaceIngestApplication, event: OrderConfirmed
) -> PartnerOrder | None:
    return app.follow_partner_order(event.order_id, "confirmed")


@inbound.on(OrderPutOnHold)
def on_order_put_on_hold(
    app: MarketplaceIngestApplication, event: OrderPutOnHold
) -> PartnerOrder | None:
    return app.follow_partner_order(event.order_id, "on_hold")


@inbound.on(OrderCancelled)
def on_order_cancelled(
    app: MarketplaceIngestApplication, event: OrderCancelled
) -> PartnerOrder | None:
    return app.follow_partner_order(event.order_id, "cancelled")


@inbound.on(OrderCompleted)
def on_order_completed(
    app: MarketplaceIngestApplication, event: OrderCompleted
) -> PartnerOrder | None:
    return app.follow_partner_order(event.order_id, "completed")


@inbound.on(ProductDefined)
def on_product_defined(app: MarketplaceIngestApplication, event: ProductDefined) -> list[Aggregate]:
    return app.define_product(event.sku)


# Inventory: stock levels and shipments back to the marketplaces ----------------------------


@inbound.on(StockLevelChanged)
def on_stock_level_changed(
    app: MarketplaceIngestApplication, event: StockLevelChanged
) -> list[Aggregate]:
    return app.note_stock_level(event.sku, event.available)


@inbound.on(GoodsIssued)
def on_goods_issued(app: MarketplaceIngestApplication, event: GoodsIssued) -> list[Aggregate]:
    lines = [(line.sku, line.quantity) for line in event.lines]
    return app.record_marketplace_goods_issue(event.order_id, event.goods_issue_id, lines)


@inbound.on(ShipmentCreated)
def on_shipment_created(
    app: MarketplaceIngestApplication, event: ShipmentCreated
) -> list[Aggregate]:
    return app.record_marketplace_waybill(
        event.order_id,
        event.goods_issue_id,
        event.shipment_id,
        event.carrier,
        event.service,
        event.tracking_number,
    )

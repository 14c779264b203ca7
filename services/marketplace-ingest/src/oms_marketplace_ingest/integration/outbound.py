"""The marketplace-ingest service's domain events that are published, one typed mapping
each to its public contract event; the other domain events (and every credential) stay
private."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oms_contracts import marketplace_ingest as contracts
from oms_kit.service import Outbound

from oms_marketplace_ingest.domain import ImportRun, MarketplaceOrder
from oms_marketplace_ingest.domain.partner_order import PartnerOrder
from oms_marketplace_ingest.domain.shipment import MarketplaceShipment
from oms_marketplace_ingest.domain.stock_sync import ListingStock

outbound = Outbound()


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _known(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


@outbound.maps(MarketplaceOrder.Imported)
def order_imported(imported: MarketplaceOrder.Imported) -> contracts.MarketplaceOrderImported:
    return contracts.MarketplaceOrderImported(
        order_id=str(imported.originator_id),
        connection_id=imported.connection_id,
        marketplace=imported.marketplace,
        channel=imported.marketplace,
        marketplace_id=imported.marketplace_id,
        external_order_id=imported.external_order_id,
        customer_id=imported.customer_id,
        purchased_at=_instant(imported.purchased_at),
        currency=imported.currency,
        lines=[contracts.MarketplaceLine(**line) for line in imported.lines],
        buyer=contracts.Buyer(**_known(imported.buyer)),
        ship_to=contracts.Address(**_known(imported.ship_to)),
        import_run_id=imported.import_run_id,
    )


@outbound.maps(MarketplaceOrder.Cancelled)
def order_cancelled(cancelled: MarketplaceOrder.Cancelled) -> contracts.MarketplaceOrderCancelled:
    return contracts.MarketplaceOrderCancelled(
        order_id=str(cancelled.originator_id),
        connection_id=cancelled.connection_id,
        marketplace=cancelled.marketplace,
        external_order_id=cancelled.external_order_id,
        reason=cancelled.reason,
        import_run_id=cancelled.import_run_id,
    )


@outbound.maps(ImportRun.Completed)
def run_completed(completed: ImportRun.Completed) -> contracts.ImportRunCompleted:
    return contracts.ImportRunCompleted(
        import_run_id=str(completed.originator_id),
        connection_id=completed.connection_id,
        kind=completed.kind,
        imported=completed.imported,
        updated=completed.updated,
        skipped=completed.skipped,
        failed=completed.failed,
        completed_at=_instant(completed.completed_at),
    )


@outbound.maps(PartnerOrder.Received)
def partner_order_received(received: PartnerOrder.Received) -> contracts.PartnerOrderReceived:
    return contracts.PartnerOrderReceived(
        order_id=str(received.originator_id),
        partner_id=received.partner_id,
        external_order_id=received.external_order_id,
        lines=[
            contracts.PartnerLine(line_no=number, sku=line["sku"], quantity=line["quantity"])
            for number, line in enumerate(received.lines, start=1)
        ],
        note=received.note,
    )


@outbound.maps(ListingStock.Synced)
def stock_synced(synced: ListingStock.Synced) -> contracts.StockSyncedToMarketplace:
    return contracts.StockSyncedToMarketplace(
        connection_id=synced.connection_id,
        marketplace="amazon",
        sku=synced.sku,
        marketplace_sku=synced.marketplace_sku,
        available=synced.available,
        synced_at=_instant(synced.synced_at),
    )


@outbound.maps(MarketplaceShipment.Confirmed)
def shipment_confirmed(
    confirmed: MarketplaceShipment.Confirmed,
) -> contracts.ShipmentConfirmedToMarketplace:
    return contracts.ShipmentConfirmedToMarketplace(
        order_id=confirmed.order_id,
        connection_id=confirmed.connection_id,
        marketplace=confirmed.marketplace,
        external_order_id=confirmed.external_order_id,
        goods_issue_id=confirmed.goods_issue_id,
        confirmed_at=_instant(confirmed.confirmed_at),
    )

"""Stock and shipments back to Amazon, against the Selling Partner API double (the real
client over HTTP), the service in memory: a burst of stock changes of a mapped SKU is one
patchListingsItem with the latest quantity, a throttled one waits and is told; goods
issued for an imported order wait for their waybill and are confirmed once with its Amazon
item ids, the courier and the waybill's tracking number."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from oms_contracts.inventory import (
    GoodsIssued,
    LotQuantity,
    Parcel,
    ShipmentCreated,
    StockLevelChanged,
)
from oms_contracts.marketplace_ingest import (
    MarketplaceOrderImported,
    ShipmentConfirmedToMarketplace,
    StockSyncedToMarketplace,
)
from oms_contracts.orders import ProductDefined
from oms_dev.inmemory import ServiceInMemory
from oms_dev.marketplace import CONFIRM_SHIPMENT, PATCH_LISTINGS_ITEM, MarketplaceDouble
from oms_marketplace_ingest.application import ConnectionInput, MarketplaceIngestApplication
from oms_marketplace_ingest.bootstrap import bootstrap
from oms_marketplace_ingest.domain import Connection

D = Decimal


@pytest.fixture
def amazon() -> Iterator[MarketplaceDouble]:
    with MarketplaceDouble() as double:
        yield double


@pytest.fixture
def ingest(amazon: MarketplaceDouble) -> ServiceInMemory:
    service = ServiceInMemory(
        bootstrap, dev_stack=True, throttle_base_wait_s=0.01, throttle_max_wait_s=0.05
    )
    service.deliver(
        ProductDefined(sku="CAT-1", name="CAT-1", unit_price=D(1), currency="USD", tax_rate=D(0))
    )
    creds = amazon.credentials
    service.app.create_connection(
        ConnectionInput(
            marketplace="amazon",
            name="US store",
            seller_id=amazon.seller_id,
            marketplace_ids=[amazon.marketplace_id],
            customer_id="customer-amazon",
            client_id=creds.client_id,
            client_secret=creds.client_secret,
            refresh_token=creds.refresh_token,
            endpoint=amazon.url,
            lwa_endpoint=amazon.lwa_url,
            sku_map={"AMZ-1": "CAT-1"},
        )
    )
    return service


def level(sku: str, available: int) -> StockLevelChanged:
    return StockLevelChanged(sku=sku, on_hand=D(available), reserved=D(0), available=D(available))


def the_connection(app: MarketplaceIngestApplication) -> str:
    """The id of the one connection the fixture made (read from the event log)."""
    topic = f"{Connection.Created.__module__}:{Connection.Created.__qualname__}"
    [created] = app.recorder.select_notifications(1, 10_000, topics=[topic])
    return str(created.originator_id)


def test_stock_sync_is_coalesced_per_sku(
    ingest: ServiceInMemory, amazon: MarketplaceDouble
) -> None:
    for available in (20, 18, 15, 11):
        ingest.deliver(level("CAT-1", available))
    ingest.deliver(level("CAT-2", 5))  # not mapped
    amazon.throttle(PATCH_LISTINGS_ITEM, 2)  # 429 twice: waited out

    ingest.app.tell_marketplaces()
    ingest.app.tell_marketplaces()

    assert amazon.quantities("AMZ-1") == [11]
    assert amazon.quantities("CAT-2") == []
    assert amazon.count(PATCH_LISTINGS_ITEM, 429) == 2
    [synced] = ingest.published(StockSyncedToMarketplace)
    assert (synced.marketplace_sku, synced.available) == ("AMZ-1", D(11))


def test_goods_issued_and_their_waybill_confirm_the_shipment(
    ingest: ServiceInMemory, amazon: MarketplaceDouble
) -> None:
    now = amazon.now()
    amazon_order = amazon.add_order(("AMZ-1", 3, "7.50"), created=now - timedelta(hours=2))
    connection_id = the_connection(ingest.app)
    run = ingest.app.request_import(
        connection_id, now - timedelta(hours=3), now - timedelta(hours=1)
    )
    ingest.app.run_import(str(run.id))
    [imported] = ingest.published(MarketplaceOrderImported)
    issued = GoodsIssued(
        goods_issue_id="gi-1",
        order_id=imported.order_id,
        lines=[LotQuantity(sku="CAT-1", quantity=D(3), warehouse="W1", lot="L1")],
    )

    booked = ShipmentCreated(
        shipment_id="shipment-1",
        goods_issue_id="gi-1",
        order_id=imported.order_id,
        carrier="UPS",
        service=None,
        tracking_number="1Z999AA10123456784",
        parcels=[Parcel(weight_kg=D("1.2"))],
    )

    ingest.deliver(issued)
    ingest.deliver(issued)
    ingest.app.tell_marketplaces()
    assert amazon.count(CONFIRM_SHIPMENT) == 0  # waiting for the courier's waybill
    ingest.deliver(booked)
    ingest.deliver(booked)
    ingest.app.tell_marketplaces()
    ingest.app.tell_marketplaces()

    [shipment] = amazon.shipments
    assert shipment["orderId"] == amazon_order.order_id
    package = shipment["packageDetail"]
    item_id = amazon_order.items[0].order_item_id
    assert package["orderItems"] == [{"orderItemId": item_id, "quantity": 3}]
    assert (package["carrierCode"], package["carrierName"]) == ("Other", "UPS")
    assert package["trackingNumber"] == "1Z999AA10123456784"
    assert "shippingMethod" not in package  # no courier service named
    assert amazon.count(CONFIRM_SHIPMENT) == 1
    [confirmed] = ingest.published(ShipmentConfirmedToMarketplace)
    assert (confirmed.external_order_id, confirmed.goods_issue_id) == (
        amazon_order.order_id,
        "gi-1",
    )

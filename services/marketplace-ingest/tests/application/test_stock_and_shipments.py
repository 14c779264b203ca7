"""Back to the marketplace, in memory with a recording client: a burst of stock changes
of a mapped SKU is one patchListingsItem with the latest available quantity (and one
StockSyncedToMarketplace); unmapped SKUs are left alone; a failed call is retried on the
next pass; goods issued for an imported order are confirmed once (confirmShipment with
the order's items), other orders' goods are not. A shipment waits for its waybill
(inventory's ShipmentCreated, heard before or after the goods issue) up to the setting's
wait, then is confirmed with the goods-issue reference; with the waybill it is confirmed at
once with its courier and tracking number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from oms_contracts.inventory import (
    GoodsIssued,
    LotQuantity,
    Parcel,
    ShipmentCreated,
    StockLevelChanged,
)
from oms_contracts.marketplace_ingest import (
    ShipmentConfirmedToMarketplace,
    StockSyncedToMarketplace,
)
from oms_dev.inmemory import ServiceInMemory
from oms_marketplace_ingest.application import ConnectionInput, MarketplaceIngestApplication
from oms_marketplace_ingest.bootstrap import bootstrap
from oms_marketplace_ingest.domain import Connection, MarketplaceOrder

D = Decimal
#: The setting's default wait for a waybill (OMS_MARKETPLACE_WAYBILL_WAIT_S).
WAYBILL_WAIT = timedelta(seconds=1800)


class RecordingClient:
    """Answers as the Selling Partner API does; fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.patches: list[tuple[str, str, list[str], dict[str, Any]]] = []
        self.confirmations: list[tuple[str, dict[str, Any]]] = []
        self.failing = False

    def __call__(self, connection: Connection, secrets: dict[str, str]) -> RecordingClient:
        assert secrets["refresh_token"] == "Atzr|refresh"  # opened only to make the client
        return self

    def search_orders(self, params: dict[str, Any]) -> Any:
        return iter(())

    def patch_listings_item(
        self, seller_id: str, sku: str, marketplace_ids: list[str], body: dict[str, Any]
    ) -> dict[str, Any]:
        if self.failing:
            raise RuntimeError("503 from the marketplace")
        self.patches.append((seller_id, sku, marketplace_ids, body))
        return {"sku": sku, "status": "ACCEPTED", "submissionId": "s-1", "issues": []}

    def confirm_shipment(self, order_id: str, payload: dict[str, Any]) -> None:
        if self.failing:
            raise RuntimeError("503 from the marketplace")
        self.confirmations.append((order_id, payload))

    def close(self) -> None:
        pass


@pytest.fixture
def client() -> RecordingClient:
    return RecordingClient()


class Clock:
    """The application's clock, moved on by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ingest(client: RecordingClient, clock: Clock) -> ServiceInMemory:
    return connected(ServiceInMemory(bootstrap, dev_stack=True, clients=client), clock)


def connected(service: ServiceInMemory, clock: Clock) -> ServiceInMemory:
    app: MarketplaceIngestApplication = service.app
    app.clock = clock
    app.create_connection(
        ConnectionInput(
            marketplace="amazon",
            name="EU store",
            seller_id="A2SELLER",
            marketplace_ids=["A1RKKUPIHCS9HS"],
            customer_id="c-amazon",
            client_id="amzn1.application-oa2-client.x",
            client_secret="amzn1.oa2-cs.v1.secret",
            refresh_token="Atzr|refresh",
            sku_map={"AMZ-1": "SKU-1"},
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


def test_a_burst_of_stock_changes_is_one_call_with_the_latest_level(
    ingest: ServiceInMemory, client: RecordingClient
) -> None:
    for available in (10, 9, 7, 4):
        ingest.deliver(level("SKU-1", available))
    ingest.deliver(level("SKU-9", 3))  # not mapped: not ours to change

    assert ingest.app.tell_marketplaces() == (1, 0)
    assert ingest.app.tell_marketplaces() == (0, 0)  # nothing new

    [(seller_id, sku, marketplace_ids, body)] = client.patches
    assert (seller_id, sku, marketplace_ids) == ("A2SELLER", "AMZ-1", ["A1RKKUPIHCS9HS"])
    [patch] = body["patches"]
    assert (patch["op"], patch["path"]) == ("replace", "/attributes/fulfillment_availability")
    assert patch["value"] == [{"fulfillment_channel_code": "DEFAULT", "quantity": 4}]
    [synced] = ingest.published(StockSyncedToMarketplace)
    assert (synced.sku, synced.marketplace_sku, synced.available) == ("SKU-1", "AMZ-1", D(4))


def test_a_failed_stock_sync_is_tried_again(
    ingest: ServiceInMemory, client: RecordingClient
) -> None:
    ingest.deliver(level("SKU-1", 5))
    client.failing = True
    assert ingest.app.tell_marketplaces() == (0, 0)
    client.failing = False
    ingest.deliver(level("SKU-1", 2))

    assert ingest.app.tell_marketplaces() == (1, 0)
    assert [body["patches"][0]["value"][0]["quantity"] for *_, body in client.patches] == [2]


def imported_order(app: MarketplaceIngestApplication) -> MarketplaceOrder:
    """An Amazon order of 3 x SKU-1 (item ``item-1``), as an import stores it."""
    order = MarketplaceOrder(
        connection_id=the_connection(app),
        marketplace="amazon",
        marketplace_id="A1RKKUPIHCS9HS",
        external_order_id="171-0000001-0000001",
        customer_id="c-amazon",
        purchased_at="2026-11-02T10:00:00Z",
        currency="EUR",
        lines=[
            {
                "line_no": 1,
                "sku": "SKU-1",
                "marketplace_sku": "AMZ-1",
                "quantity": D(3),
                "unit_price": D("12.50"),
                "order_item_id": "item-1",
            },
        ],
        buyer={},
        ship_to={},
        marketplace_status="UNSHIPPED",
        import_run_id="run-1",
    )
    app.save(order)
    return order


def goods_issued(order: MarketplaceOrder, goods_issue_id: str = "gi-1") -> GoodsIssued:
    return GoodsIssued(
        goods_issue_id=goods_issue_id,
        order_id=str(order.id),
        lines=[LotQuantity(sku="SKU-1", quantity=D(3), warehouse="MAD", lot="L1")],
    )


def shipment_created(
    order_id: str, goods_issue_id: str = "gi-1", tracking_number: str = "SEUR-000123"
) -> ShipmentCreated:
    """Inventory booked a courier for the goods issue (POST /goods-issues/{id}/shipment)."""
    return ShipmentCreated(
        shipment_id=f"shipment-{goods_issue_id}",
        goods_issue_id=goods_issue_id,
        order_id=order_id,
        carrier="SEUR",
        service="express",
        tracking_number=tracking_number,
        parcels=[Parcel(weight_kg=D("2.5"))],
    )


def test_goods_issued_for_an_imported_order_are_confirmed_once(
    ingest: ServiceInMemory, client: RecordingClient, clock: Clock
) -> None:
    app: MarketplaceIngestApplication = ingest.app
    order = imported_order(app)
    issued = goods_issued(order)

    ingest.deliver(issued)
    ingest.deliver(issued)  # published again
    ingest.deliver(GoodsIssued(goods_issue_id="gi-2", order_id="another-order", lines=[]))

    assert app.tell_marketplaces() == (0, 0)  # waiting for its waybill
    clock.advance(WAYBILL_WAIT - timedelta(seconds=1))
    assert app.tell_marketplaces() == (0, 0)
    clock.advance(timedelta(seconds=1))  # no waybill came: confirmed without one
    assert app.tell_marketplaces() == (0, 1)
    assert app.tell_marketplaces() == (0, 0)
    [(amazon_order_id, payload)] = client.confirmations
    assert amazon_order_id == "171-0000001-0000001"
    assert payload["marketplaceId"] == "A1RKKUPIHCS9HS"
    package = payload["packageDetail"]
    assert package["orderItems"] == [{"orderItemId": "item-1", "quantity": 3}]
    assert package == {
        "packageReferenceId": "gi-1",
        "carrierCode": "Other",
        "carrierName": "OMS",
        "trackingNumber": "gi-1",
        "shipDate": "2026-11-03T09:00:00Z",
        "orderItems": [{"orderItemId": "item-1", "quantity": 3}],
    }
    [confirmed] = ingest.published(ShipmentConfirmedToMarketplace)
    assert (confirmed.order_id, confirmed.goods_issue_id) == (str(order.id), "gi-1")


def test_a_waybill_makes_a_waiting_shipment_due_at_once_with_its_tracking_number(
    ingest: ServiceInMemory, client: RecordingClient, clock: Clock
) -> None:
    app: MarketplaceIngestApplication = ingest.app
    order = imported_order(app)
    ingest.deliver(goods_issued(order))
    assert app.tell_marketplaces() == (0, 0)  # waiting for its waybill
    clock.advance(timedelta(minutes=5))

    ingest.deliver(shipment_created(str(order.id)))

    assert app.tell_marketplaces() == (0, 1)
    [(amazon_order_id, payload)] = client.confirmations
    assert amazon_order_id == "171-0000001-0000001"
    assert payload["packageDetail"] == {
        "packageReferenceId": "gi-1",
        "carrierCode": "Other",  # SP-API's code for a carrier not in its list
        "carrierName": "SEUR",
        "shippingMethod": "express",
        "trackingNumber": "SEUR-000123",
        "shipDate": "2026-11-03T09:00:00Z",  # when the goods were issued
        "orderItems": [{"orderItemId": "item-1", "quantity": 3}],
    }
    stored = app.recorder.max_notification_id()
    ingest.deliver(shipment_created(str(order.id)))  # published again
    ingest.deliver(shipment_created(str(order.id), tracking_number="SEUR-999"))  # one only
    assert app.recorder.max_notification_id() == stored
    assert app.tell_marketplaces() == (0, 0)
    assert len(client.confirmations) == 1


def test_a_waybill_heard_before_its_goods_issue_is_kept_for_it(
    ingest: ServiceInMemory, client: RecordingClient
) -> None:
    app: MarketplaceIngestApplication = ingest.app
    order = imported_order(app)
    stored = app.recorder.max_notification_id()
    ingest.deliver(shipment_created("another-order", goods_issue_id="gi-9"))  # not ours
    assert app.recorder.max_notification_id() == stored

    ingest.deliver(shipment_created(str(order.id)))
    ingest.deliver(shipment_created(str(order.id)))  # published again
    assert app.tell_marketplaces() == (0, 0)  # no goods issue yet: nothing to confirm
    ingest.deliver(goods_issued(order))

    assert app.tell_marketplaces() == (0, 1)  # due at once: its waybill is known
    [(_, payload)] = client.confirmations
    package = payload["packageDetail"]
    assert (package["carrierName"], package["trackingNumber"]) == ("SEUR", "SEUR-000123")
    assert package["packageReferenceId"] == "gi-1"


def test_a_waybill_after_the_confirmation_sends_nothing_more(
    ingest: ServiceInMemory, client: RecordingClient, clock: Clock
) -> None:
    app: MarketplaceIngestApplication = ingest.app
    order = imported_order(app)
    ingest.deliver(goods_issued(order))
    clock.advance(WAYBILL_WAIT)
    assert app.tell_marketplaces() == (0, 1)

    ingest.deliver(shipment_created(str(order.id)))

    assert app.tell_marketplaces() == (0, 0)
    [(_, payload)] = client.confirmations
    assert payload["packageDetail"]["trackingNumber"] == "gi-1"


def test_with_no_wait_goods_are_confirmed_at_once_with_the_waybill_known_by_then(
    client: RecordingClient, clock: Clock
) -> None:
    ingest = connected(
        ServiceInMemory(bootstrap, dev_stack=True, clients=client, marketplace_waybill_wait_s=0),
        clock,
    )
    app: MarketplaceIngestApplication = ingest.app
    order = imported_order(app)
    ingest.deliver(goods_issued(order, "gi-1"))
    ingest.deliver(shipment_created(str(order.id), "gi-1"))  # before the pass
    ingest.deliver(goods_issued(order, "gi-2"))

    assert app.tell_marketplaces() == (0, 2)
    tracking = {
        payload["packageDetail"]["packageReferenceId"]: payload["packageDetail"]["trackingNumber"]
        for _, payload in client.confirmations
    }
    assert tracking == {"gi-1": "SEUR-000123", "gi-2": "gi-2"}


def test_a_pass_reads_what_is_new_not_the_whole_log(
    ingest: ServiceInMemory, client: RecordingClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app: MarketplaceIngestApplication = ingest.app
    for available in range(50):  # a long history: 50 levels noted and told
        ingest.deliver(level("SKU-1", available + 1))
        app.tell_marketplaces()
    read: list[int] = []
    select = app.recorder.select_notifications

    def counted(*args: Any, **kwargs: Any) -> Any:
        found = select(*args, **kwargs)
        read.append(len(found))
        return found

    monkeypatch.setattr(app.recorder, "select_notifications", counted)

    assert app.tell_marketplaces() == (0, 0)
    assert sum(read) == 0  # nothing new, nothing read
    ingest.deliver(level("SKU-1", 99))
    ingest.deliver(level("SKU-9", 5))  # unmapped: no listing to read
    assert app.tell_marketplaces() == (1, 0)
    assert sum(read) == 1  # the one level noted since
    assert client.patches[-1][3]["patches"][0]["value"][0]["quantity"] == 99


def test_a_remapped_sku_moves_its_listing(ingest: ServiceInMemory, client: RecordingClient) -> None:
    app: MarketplaceIngestApplication = ingest.app
    app.map_sku(the_connection(app), "AMZ-1", "SKU-2")
    app.map_sku(the_connection(app), "AMZ-3", "SKU-2")
    ingest.deliver(level("SKU-1", 4))  # no longer behind AMZ-1
    ingest.deliver(level("SKU-2", 6))

    assert app.tell_marketplaces() == (2, 0)
    told = [(sku, body["patches"][0]["value"][0]["quantity"]) for _, sku, _, body in client.patches]
    assert sorted(told) == [("AMZ-1", 6), ("AMZ-3", 6)]

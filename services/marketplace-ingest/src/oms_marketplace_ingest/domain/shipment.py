"""A shipment of an imported order to confirm to its marketplace: one per goods-issue
document of that order, confirmed once (retried until the marketplace accepts it).

The confirmation carries the courier's tracking number once inventory booked the goods
issue's waybill; without one, it waits a while for it and is then confirmed with the
goods-issue document as reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class MarketplaceShipment(Aggregate):
    class Recorded(Aggregate.Created):
        order_id: str
        connection_id: str
        marketplace: str
        marketplace_id: str
        external_order_id: str
        goods_issue_id: str
        #: [{order_item_id, sku, quantity}]: the marketplace's items the goods were for
        items: list[dict[str, Any]]
        issued_at: str

    class Confirmed(Aggregate.Event):
        order_id: str
        connection_id: str
        marketplace: str
        external_order_id: str
        goods_issue_id: str
        confirmed_at: str

    class WaybillRecorded(Aggregate.Event):
        """A courier took the goods: inventory's shipment and the waybill's tracking number."""

        shipment_id: str
        carrier: str
        service: str | None
        tracking_number: str

    #: The carrier code of Orders v0 for a courier outside Amazon's list of carriers (the
    #: local couriers' names are not among its codes), named then in ``carrierName``.
    OTHER_CARRIER = "Other"

    @staticmethod
    def create_id(goods_issue_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/marketplace/shipment/{goods_issue_id}")

    @classmethod
    def record(
        cls,
        *,
        order_id: str,
        connection_id: str,
        marketplace: str,
        marketplace_id: str,
        external_order_id: str,
        goods_issue_id: str,
        items: list[dict[str, Any]],
        issued_at: str,
    ) -> MarketplaceShipment:
        return cls._create(
            cls.Recorded,
            id=cls.create_id(goods_issue_id),
            order_id=order_id,
            connection_id=connection_id,
            marketplace=marketplace,
            marketplace_id=marketplace_id,
            external_order_id=external_order_id,
            goods_issue_id=goods_issue_id,
            items=items,
            issued_at=issued_at,
        )

    @event(Recorded)
    def __init__(
        self,
        order_id: str,
        connection_id: str,
        marketplace: str,
        marketplace_id: str,
        external_order_id: str,
        goods_issue_id: str,
        items: list[dict[str, Any]],
        issued_at: str,
    ) -> None:
        self.order_id = order_id
        self.connection_id = connection_id
        self.marketplace = marketplace
        self.marketplace_id = marketplace_id
        self.external_order_id = external_order_id
        self.goods_issue_id = goods_issue_id
        self.items = [dict(item) for item in items]
        self.issued_at = issued_at
        self.confirmed_at: str | None = None
        #: {shipment_id, carrier, service, tracking_number} once the courier is booked.
        self.waybill: dict[str, Any] | None = None

    @property
    def pending(self) -> bool:
        return self.confirmed_at is None

    def record_waybill(
        self, shipment_id: str, carrier: str, service: str | None, tracking_number: str
    ) -> bool:
        """The goods issue's waybill (one per goods issue: a repeat changes nothing); True
        when that is news. Recorded after the confirmation too, for the record."""
        if self.waybill is not None:
            return False
        self._waybill_recorded(
            shipment_id=shipment_id,
            carrier=carrier,
            service=service,
            tracking_number=tracking_number,
        )
        return True

    def due_at(self, waybill_wait: timedelta) -> datetime:
        """When to confirm it: at once with its waybill; without one, ``waybill_wait``
        after the goods were issued."""
        issued = datetime.fromisoformat(self.issued_at.replace("Z", "+00:00")).astimezone(UTC)
        return issued if self.waybill is not None else issued + waybill_wait

    def confirm(self, confirmed_at: str) -> None:
        if self.confirmed_at is None:
            self._confirmed(
                order_id=self.order_id,
                connection_id=self.connection_id,
                marketplace=self.marketplace,
                external_order_id=self.external_order_id,
                goods_issue_id=self.goods_issue_id,
                confirmed_at=confirmed_at,
            )

    def confirmation_request(self, carrier_name: str) -> dict[str, Any]:
        """The body of Orders v0 ``confirmShipment``: one package with the items issued,
        the goods-issue document its reference. With the waybill, its courier (carrier
        code "Other" and the courier's name; the courier's service as ``shippingMethod``)
        and tracking number; without one, ``carrier_name`` and the goods-issue document as
        tracking number."""
        package: dict[str, Any] = {
            "packageReferenceId": self.goods_issue_id,
            "carrierCode": self.OTHER_CARRIER,
            "carrierName": carrier_name,
            "trackingNumber": self.goods_issue_id,
        }
        if self.waybill is not None:
            package["carrierName"] = self.waybill["carrier"]
            package["trackingNumber"] = self.waybill["tracking_number"]
            if self.waybill["service"]:
                package["shippingMethod"] = self.waybill["service"]
        package["shipDate"] = self.issued_at
        package["orderItems"] = [
            {"orderItemId": item["order_item_id"], "quantity": int(item["quantity"])}
            for item in self.items
        ]
        return {"marketplaceId": self.marketplace_id, "packageDetail": package}

    @event(Confirmed)
    def _confirmed(
        self,
        order_id: str,
        connection_id: str,
        marketplace: str,
        external_order_id: str,
        goods_issue_id: str,
        confirmed_at: str,
    ) -> None:
        self.confirmed_at = confirmed_at

    @event(WaybillRecorded)
    def _waybill_recorded(
        self, shipment_id: str, carrier: str, service: str | None, tracking_number: str
    ) -> None:
        self.waybill = {
            "shipment_id": shipment_id,
            "carrier": carrier,
            "service": service,
            "tracking_number": tracking_number,
        }

"""A shipment of an imported order to confirm to its marketplace: one per goods-issue
document of that order, confirmed once (retried until the marketplace accepts it)."""

from __future__ import annotations

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

    @property
    def pending(self) -> bool:
        return self.confirmed_at is None

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
        """The body of Orders v0 ``confirmShipment``: one package with the items issued;
        the goods-issue document is the package's reference and tracking number."""
        return {
            "marketplaceId": self.marketplace_id,
            "packageDetail": {
                "packageReferenceId": self.goods_issue_id,
                "carrierCode": "Other",
                "carrierName": carrier_name,
                "trackingNumber": self.goods_issue_id,
                "shipDate": self.issued_at,
                "orderItems": [
                    {"orderItemId": item["order_item_id"], "quantity": int(item["quantity"])}
                    for item in self.items
                ],
            },
        }

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

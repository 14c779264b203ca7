"""An order imported from a marketplace: one per (marketplace, marketplace order id), so
overlapping windows and repeated runs find the same aggregate and import it only once.

Its id is also the id of the OMS sales order the orders service opens for it."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

IMPORTED = "imported"
CANCELLED = "cancelled"


class MarketplaceOrder(Aggregate):
    class Imported(Aggregate.Created):
        connection_id: str
        marketplace: str
        marketplace_id: str
        external_order_id: str
        customer_id: str
        purchased_at: str
        currency: str
        #: [{line_no, sku, marketplace_sku, quantity, unit_price}] (Decimal values)
        lines: list[dict[str, Any]]
        buyer: dict[str, Any]
        ship_to: dict[str, Any]
        marketplace_status: str
        import_run_id: str

    class StatusSeen(Aggregate.Event):
        marketplace_status: str
        import_run_id: str

    class Cancelled(Aggregate.Event):
        connection_id: str
        marketplace: str
        external_order_id: str
        reason: str
        import_run_id: str

    class GoodsIssued(Aggregate.Event):
        goods_issue_id: str

    class WaybillHeld(Aggregate.Event):
        """A goods issue's waybill heard before the goods issue itself: kept until its
        shipment is recorded."""

        goods_issue_id: str
        shipment_id: str
        carrier: str
        service: str | None
        tracking_number: str

    @staticmethod
    def create_id(marketplace: str, external_order_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/marketplace/{marketplace}/order/{external_order_id}")

    @event(Imported)
    def __init__(
        self,
        connection_id: str,
        marketplace: str,
        marketplace_id: str,
        external_order_id: str,
        customer_id: str,
        purchased_at: str,
        currency: str,
        lines: list[dict[str, Any]],
        buyer: dict[str, Any],
        ship_to: dict[str, Any],
        marketplace_status: str,
        import_run_id: str,
    ) -> None:
        self.connection_id = connection_id
        self.marketplace = marketplace
        self.marketplace_id = marketplace_id
        self.external_order_id = external_order_id
        self.customer_id = customer_id
        self.lines = lines
        self.marketplace_status = marketplace_status
        self.status = IMPORTED
        self.goods_issue_ids: list[str] = []
        #: goods issue id -> {shipment_id, carrier, service, tracking_number}: waybills
        #: heard before their goods issue.
        self.waybills_held: dict[str, dict[str, Any]] = {}

    @property
    def shipped(self) -> bool:
        return bool(self.goods_issue_ids)

    def see_status(self, marketplace_status: str, import_run_id: str) -> bool:
        """The marketplace shows the order in another status; True when that is news."""
        if marketplace_status == self.marketplace_status:
            return False
        self._status_seen(marketplace_status=marketplace_status, import_run_id=import_run_id)
        return True

    def cancel(self, reason: str, import_run_id: str) -> bool:
        """The buyer or the marketplace cancelled it; True when that is news."""
        if self.status == CANCELLED:
            return False
        self._cancelled(
            connection_id=self.connection_id,
            marketplace=self.marketplace,
            external_order_id=self.external_order_id,
            reason=reason,
            import_run_id=import_run_id,
        )
        return True

    def record_goods_issued(self, goods_issue_id: str) -> bool:
        if goods_issue_id in self.goods_issue_ids:
            return False
        self._goods_issued(goods_issue_id=goods_issue_id)
        return True

    def hold_waybill(
        self,
        goods_issue_id: str,
        shipment_id: str,
        carrier: str,
        service: str | None,
        tracking_number: str,
    ) -> bool:
        """Keep the waybill of a goods issue not heard yet; True when that is news."""
        if goods_issue_id in self.waybills_held:
            return False
        self._waybill_held(
            goods_issue_id=goods_issue_id,
            shipment_id=shipment_id,
            carrier=carrier,
            service=service,
            tracking_number=tracking_number,
        )
        return True

    @event(StatusSeen)
    def _status_seen(self, marketplace_status: str, import_run_id: str) -> None:
        self.marketplace_status = marketplace_status

    @event(Cancelled)
    def _cancelled(
        self,
        connection_id: str,
        marketplace: str,
        external_order_id: str,
        reason: str,
        import_run_id: str,
    ) -> None:
        self.status = CANCELLED

    @event(GoodsIssued)
    def _goods_issued(self, goods_issue_id: str) -> None:
        self.goods_issue_ids.append(goods_issue_id)

    @event(WaybillHeld)
    def _waybill_held(
        self,
        goods_issue_id: str,
        shipment_id: str,
        carrier: str,
        service: str | None,
        tracking_number: str,
    ) -> None:
        self.waybills_held[goods_issue_id] = {
            "shipment_id": shipment_id,
            "carrier": carrier,
            "service": service,
            "tracking_number": tracking_number,
        }

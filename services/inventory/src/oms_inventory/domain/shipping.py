"""Shipments: a goods issue handed to a courier, with its parcels and the tracking number
the carrier gave it (the waybill prints it as a barcode)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from oms_inventory.domain.errors import InvalidQuantity
from oms_inventory.domain.stock import ZERO, LotLine, from_dicts


def check_weights(weights: list[Decimal]) -> None:
    if not weights:
        raise InvalidQuantity("a shipment has at least one parcel", field="parcels")
    for number, weight in enumerate(weights):
        if not weight.is_finite() or weight <= ZERO:
            raise InvalidQuantity(
                "a parcel weighs more than zero", field=f"parcels.{number}.weight_kg"
            )


class Shipment(Aggregate):
    """One per goods issue (its id derives from the goods issue's)."""

    class Created(Aggregate.Created):
        goods_issue_id: str
        order_id: str
        carrier: str
        service: str | None
        parcels: list[dict[str, Any]]
        tracking_number: str
        lines: list[dict[str, Any]]

    @staticmethod
    def create_id(goods_issue_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/inventory/shipment/{goods_issue_id}")

    @event(Created)
    def __init__(
        self,
        goods_issue_id: str,
        order_id: str,
        carrier: str,
        service: str | None,
        parcels: list[dict[str, Any]],
        tracking_number: str,
        lines: list[dict[str, Any]],
    ) -> None:
        self.goods_issue_id = goods_issue_id
        self.order_id = order_id
        self.carrier = carrier
        self.service = service
        self.weights = [Decimal(parcel["weight_kg"]) for parcel in parcels]
        self.tracking_number = tracking_number
        self.lines: list[LotLine] = from_dicts(lines)

    @property
    def total_weight(self) -> Decimal:
        return sum(self.weights, ZERO)

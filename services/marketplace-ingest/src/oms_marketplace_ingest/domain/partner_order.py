"""An order a partner pushed: one per partner and ``Idempotency-Key``, bound to the hash of
the body it came with, so the same request again finds it (and answers the same) and the
same key with another body is refused.

Its id is also the id of the OMS sales order the orders service opens for it; its status
follows that order's, as orders publishes it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from oms_kit.domain import InvalidInput

#: Accepted here; orders has not placed it yet.
RECEIVED = "received"


@dataclass(frozen=True)
class PartnerLine:
    sku: str
    quantity: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {"sku": self.sku, "quantity": self.quantity}


class PartnerOrder(Aggregate):
    class Received(Aggregate.Created):
        partner_id: str
        body_hash: str
        external_order_id: str
        #: [{sku, quantity}] (quantities as Decimal), in the partner's order
        lines: list[dict[str, Any]]
        note: str | None

    class StatusChanged(Aggregate.Event):
        status: str

    @staticmethod
    def create_id(partner_id: str, idempotency_key: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/partner/{partner_id}/order/{idempotency_key}")

    @classmethod
    def receive(
        cls,
        *,
        partner_id: str,
        idempotency_key: str,
        body_hash: str,
        external_order_id: str,
        lines: list[dict[str, Any]],
        note: str | None,
    ) -> PartnerOrder:
        if not lines:
            raise InvalidInput("an order needs at least one line", field="lines")
        for index, line in enumerate(lines):
            if line["quantity"] <= 0:
                raise InvalidInput("quantity must be positive", field=f"lines.{index}.quantity")
        return cls._create(
            cls.Received,
            id=cls.create_id(partner_id, idempotency_key),
            partner_id=partner_id,
            body_hash=body_hash,
            external_order_id=external_order_id,
            lines=lines,
            note=note,
        )

    @event(Received)
    def __init__(
        self,
        partner_id: str,
        body_hash: str,
        external_order_id: str,
        lines: list[dict[str, Any]],
        note: str | None,
    ) -> None:
        self.partner_id = partner_id
        self.body_hash = body_hash
        self.external_order_id = external_order_id
        self.lines = [dict(line) for line in lines]
        self.note = note
        self.status = RECEIVED

    @property
    def order_id(self) -> str:
        return str(self.id)

    def check_same_request(self, body_hash: str) -> None:
        """The key was used before: only with the same body."""
        if body_hash != self.body_hash:
            raise InvalidInput(
                "Idempotency-Key was used with another body; use a new key for a new order",
                field="Idempotency-Key",
            )

    def follow(self, status: str) -> bool:
        """The OMS order is now in ``status``; True when that is news."""
        if status == self.status:
            return False
        self._status_changed(status=status)
        return True

    @event(StatusChanged)
    def _status_changed(self, status: str) -> None:
        self.status = status

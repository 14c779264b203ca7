"""The marketplace-ingest service's use cases: one Application method per command or
reaction. Commands save what they change; reactions return the changed aggregates unsaved."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal

from eventsourcing.persistence import RecordConflictError
from oms_kit.domain import NotFound
from oms_kit.eventstore import ServiceApplication

from oms_marketplace_ingest.domain.partner_order import PartnerLine, PartnerOrder


class MarketplaceIngestApplication(ServiceApplication):
    name = "marketplace_ingest"

    # Partner push (DESIGN section 13) ------------------------------------------------------

    def receive_partner_order(
        self,
        *,
        partner_id: str,
        idempotency_key: str,
        external_order_id: str,
        lines: Sequence[PartnerLine],
        note: str | None = None,
    ) -> tuple[PartnerOrder, bool]:
        """Accept a partner's order once per partner and ``Idempotency-Key``: the same
        request again returns the order accepted the first time (and False: nothing new);
        the same key with another body is refused (``InvalidInput`` naming the key)."""
        body_hash = request_hash(external_order_id, lines, note)
        earlier = self.find(PartnerOrder, PartnerOrder.create_id(partner_id, idempotency_key))
        if earlier is not None:
            earlier.check_same_request(body_hash)
            return earlier, False
        order = PartnerOrder.receive(
            partner_id=partner_id,
            idempotency_key=idempotency_key,
            body_hash=body_hash,
            external_order_id=external_order_id,
            lines=[line.as_dict() for line in lines],
            note=note,
        )
        try:
            self.save(order)
        except RecordConflictError:  # the same key, sent twice at the same moment
            earlier = self.find(PartnerOrder, order.id)
            if earlier is None:
                raise
            earlier.check_same_request(body_hash)
            return earlier, False
        return order, True

    def get_partner_order(self, order_id: str, partner_id: str | None) -> PartnerOrder:
        """The order a partner pushed; another partner's is not found (``partner_id``
        None: the staff, who see every partner's)."""
        order = self.find(PartnerOrder, order_id)
        if order is None or (partner_id is not None and order.partner_id != partner_id):
            raise NotFound(f"no partner order {order_id}", field="order_id")
        return order

    def follow_partner_order(self, order_id: str, status: str) -> PartnerOrder | None:
        """Orders published the OMS order's status: a partner's order follows it."""
        order = self.find(PartnerOrder, order_id)
        if order is None or not order.follow(status):
            return None
        return order


def request_hash(external_order_id: str, lines: Sequence[PartnerLine], note: str | None) -> str:
    """The hash a partner's request is known by: of its meaning, not its spelling (key
    order, spaces and ``2`` against ``2.0`` do not make another body)."""
    canonical = {
        "external_order_id": external_order_id,
        "lines": [[line.sku, _number(line.quantity)] for line in lines],
        "note": note,
    }
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")

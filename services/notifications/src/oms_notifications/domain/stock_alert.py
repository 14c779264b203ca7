"""A sales rep's request to be told when a product is in stock again: it fires once, the
first time the available quantity is above zero, and is then ``notified``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from eventsourcing.domain import Aggregate, event

WAITING = "waiting"
NOTIFIED = "notified"


class StockAlert(Aggregate):
    class Requested(Aggregate.Created):
        sku: str
        sales_rep_id: str
        requested_by: str
        requested_at: datetime

    class Fired(Aggregate.Event):
        available: Decimal
        fired_at: datetime

    @event(Requested)
    def __init__(
        self, sku: str, sales_rep_id: str, requested_by: str, requested_at: datetime
    ) -> None:
        self.sku = sku
        self.sales_rep_id = sales_rep_id
        self.requested_by = requested_by
        self.requested_at = requested_at
        self.status = WAITING
        self.available: Decimal | None = None
        self.fired_at: datetime | None = None

    def fire(self, available: Decimal, now: datetime) -> bool:
        """Available stock seen: fire, once."""
        if self.status != WAITING or available <= 0:
            return False
        self._fired(available, now)
        return True

    @event(Fired)
    def _fired(self, available: Decimal, fired_at: datetime) -> None:
        self.status = NOTIFIED
        self.available = available
        self.fired_at = fired_at

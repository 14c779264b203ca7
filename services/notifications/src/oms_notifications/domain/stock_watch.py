"""What the service knows of one product's stock: the alerts waiting for it and the last
level inventory published (StockLevelChanged, ordered by the stock record's version), with
the event that said it (an alert fires on it)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


@dataclass(frozen=True)
class Level:
    """An available quantity, and the contract event that told it (source, aggregate,
    version): a notification caused by it is keyed by that event."""

    available: Decimal
    source: str
    aggregate_id: str
    version: int


class StockWatch(Aggregate):
    class Opened(Aggregate.Created):
        sku: str

    class AlertAdded(Aggregate.Event):
        alert_id: str

    class AlertsFired(Aggregate.Event):
        alert_ids: list[str]

    class LevelSeen(Aggregate.Event):
        available: Decimal
        source: str
        aggregate_id: str
        version: int

    @staticmethod
    def create_id(sku: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/notifications/stock/{sku}")

    @event(Opened)
    def __init__(self, sku: str) -> None:
        self.sku = sku
        self.waiting: list[str] = []
        self.level: Level | None = None

    def add_alert(self, alert_id: str) -> None:
        self._alert_added(alert_id)

    @event(AlertAdded)
    def _alert_added(self, alert_id: str) -> None:
        self.waiting.append(alert_id)

    def see(self, level: Level) -> bool:
        """Take a level; False when it is older than (or the same as) the one known."""
        if (
            self.level is not None
            and self.level.aggregate_id == level.aggregate_id
            and self.level.version >= level.version
        ):
            return False
        self._level_seen(level.available, level.source, level.aggregate_id, level.version)
        return True

    @event(LevelSeen)
    def _level_seen(self, available: Decimal, source: str, aggregate_id: str, version: int) -> None:
        self.level = Level(available, source, aggregate_id, version)

    @property
    def in_stock(self) -> bool:
        return self.level is not None and self.level.available > 0

    def fire_all(self) -> list[str]:
        """The waiting alerts, now fired (none wait any more)."""
        fired = list(self.waiting)
        if fired:
            self._alerts_fired(fired)
        return fired

    @event(AlertsFired)
    def _alerts_fired(self, alert_ids: list[str]) -> None:
        self.waiting = [a for a in self.waiting if a not in alert_ids]

"""One import run: what it reads (a creation-date range, or orders updated after the
connection's cursor), each order's outcome, and its counts once completed.

A run interrupted (a worker killed) stays ``running`` and is simply run again: orders
already recorded keep their outcome, and the orders themselves are imported once."""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event

RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"

MANUAL = "manual"
AUTOMATIC = "automatic"

#: What happened to one order in a run.
OUTCOMES = ("imported", "updated", "cancelled", "unchanged", "skipped", "failed", "flagged")


class ImportRun(Aggregate):
    class Started(Aggregate.Created):
        connection_id: str
        kind: str
        created_from: str | None
        created_to: str | None
        last_updated_after: str | None
        started_at: str

    class OrderRecorded(Aggregate.Event):
        external_order_id: str
        order_id: str | None
        outcome: str
        reason: str | None

    class Completed(Aggregate.Event):
        connection_id: str
        kind: str
        imported: int
        updated: int
        skipped: int
        failed: int
        completed_at: str

    class Failed(Aggregate.Event):
        reason: str
        completed_at: str

    @event(Started)
    def __init__(
        self,
        connection_id: str,
        kind: str,
        created_from: str | None,
        created_to: str | None,
        last_updated_after: str | None,
        started_at: str,
    ) -> None:
        self.connection_id = connection_id
        self.kind = kind
        self.created_from = created_from
        self.created_to = created_to
        self.last_updated_after = last_updated_after
        self.started_at = started_at
        self.status = RUNNING
        #: external order id -> (order id, outcome, reason)
        self.outcomes: dict[str, tuple[str | None, str, str | None]] = {}

    def record(
        self, external_order_id: str, order_id: str | None, outcome: str, reason: str | None
    ) -> None:
        """One order's outcome; the same again (a run resumed) records nothing."""
        if self.outcomes.get(external_order_id) == (order_id, outcome, reason):
            return
        known = self.outcomes.get(external_order_id)
        # A resumed run sees an order it already imported as unchanged: keep "imported".
        if known is not None and known[1] != "failed" and outcome == "unchanged":
            return
        self._recorded(
            external_order_id=external_order_id, order_id=order_id, outcome=outcome, reason=reason
        )

    def count(self, *outcomes: str) -> int:
        return sum(1 for _, outcome, _ in self.outcomes.values() if outcome in outcomes)

    def complete(self, completed_at: str) -> None:
        if self.status != RUNNING:
            return
        self._completed(
            connection_id=self.connection_id,
            kind=self.kind,
            imported=self.count("imported"),
            updated=self.count("updated", "cancelled"),
            skipped=self.count("skipped", "unchanged"),
            failed=self.count("failed", "flagged"),
            completed_at=completed_at,
        )

    def fail(self, reason: str, completed_at: str) -> None:
        if self.status == RUNNING:
            self._failed(reason=reason, completed_at=completed_at)

    @event(OrderRecorded)
    def _recorded(
        self, external_order_id: str, order_id: str | None, outcome: str, reason: str | None
    ) -> None:
        self.outcomes[external_order_id] = (order_id, outcome, reason)

    @event(Completed)
    def _completed(
        self,
        connection_id: str,
        kind: str,
        imported: int,
        updated: int,
        skipped: int,
        failed: int,
        completed_at: str,
    ) -> None:
        self.status = COMPLETED

    @event(Failed)
    def _failed(self, reason: str, completed_at: str) -> None:
        self.status = FAILED

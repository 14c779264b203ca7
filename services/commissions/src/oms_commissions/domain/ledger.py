"""A sales rep's settlement ledger: what he earned (one entry per payment's share, and a
negative one per claw-back) and what was settled. One aggregate per rep: two settlements at
once conflict on its version, and the one that re-runs finds the entries settled already,
so nothing is settled twice."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from oms_commissions.domain.errors import NothingToSettle
from oms_commissions.domain.money import ZERO


class RepLedger(Aggregate):
    class Opened(Aggregate.Created):
        sales_rep_id: str

    class EntryRecorded(Aggregate.Event):
        entry_id: str
        invoice_id: str
        customer_id: str
        earned_on: str
        commission: Decimal

    class Settled(Aggregate.Event):
        settlement_id: str
        sales_rep_id: str
        until: str
        amount: Decimal
        settled_at: datetime
        #: entry_id, invoice_id, customer_id, earned_on, commission
        lines: list[dict[str, Any]]

    @staticmethod
    def create_id(sales_rep_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/commissions/ledger/{sales_rep_id}")

    @event(Opened)
    def __init__(self, sales_rep_id: str) -> None:
        self.sales_rep_id = sales_rep_id
        self.entries: dict[str, dict[str, Any]] = {}
        self.settled: set[str] = set()

    def record(
        self, entry_id: str, invoice_id: str, customer_id: str, earned_on: str, commission: Decimal
    ) -> bool:
        if entry_id in self.entries:
            return False
        self._entry_recorded(entry_id, invoice_id, customer_id, earned_on, commission)
        return True

    @event(EntryRecorded)
    def _entry_recorded(
        self, entry_id: str, invoice_id: str, customer_id: str, earned_on: str, commission: Decimal
    ) -> None:
        self.entries[entry_id] = {
            "entry_id": entry_id,
            "invoice_id": invoice_id,
            "customer_id": customer_id,
            "earned_on": earned_on,
            "commission": commission,
        }

    def unsettled(self, until: str) -> list[dict[str, Any]]:
        """The entries earned on or before ``until`` (ISO date) and not settled yet."""
        return [
            entry
            for entry_id, entry in self.entries.items()
            if entry_id not in self.settled and entry["earned_on"] <= until
        ]

    def settle(self, settlement_id: str, until: str, settled_at: datetime) -> None:
        """Settle what was earned up to ``until`` and not settled before."""
        lines = self.unsettled(until)
        if not lines:
            raise NothingToSettle(self.sales_rep_id, until)
        self._settled(
            settlement_id=settlement_id,
            sales_rep_id=self.sales_rep_id,
            until=until,
            amount=sum((Decimal(line["commission"]) for line in lines), ZERO),
            settled_at=settled_at,
            lines=[dict(line) for line in lines],
        )

    @event(Settled)
    def _settled(
        self,
        settlement_id: str,
        sales_rep_id: str,
        until: str,
        amount: Decimal,
        settled_at: datetime,
        lines: list[dict[str, Any]],
    ) -> None:
        self.settled.update(line["entry_id"] for line in lines)

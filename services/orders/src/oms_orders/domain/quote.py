"""Quotes (orcamento / cotizacion / oferta): drafted, revised, sent, then accepted (which
places an order), rejected or expired."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate, event
from oms_kit.domain import Conflict, InvalidInput

from oms_orders.domain.pricing import totals

DRAFT, SENT, ACCEPTED, REJECTED, EXPIRED = "draft", "sent", "accepted", "rejected", "expired"
#: States in which a quote can still change.
OPEN = frozenset({DRAFT, SENT})


class Quote(Aggregate):
    # Events (their names are part of the stored events' topics: never rename one) ------

    class QuoteCreated(Aggregate.Created):
        customer_id: str
        currency: str
        lines: list[dict[str, Any]]
        net_total: Decimal
        tax_total: Decimal
        total: Decimal
        valid_until: str | None
        duplicated_from: str | None = None

    class QuoteRevised(Aggregate.Event):
        revision: int
        lines: list[dict[str, Any]]
        net_total: Decimal
        tax_total: Decimal
        total: Decimal

    class QuoteSent(Aggregate.Event):
        customer_id: str
        email: str

    class QuoteAccepted(Aggregate.Event):
        order_id: str

    class QuoteRejected(Aggregate.Event):
        reason: str | None

    class QuoteExpired(Aggregate.Event):
        pass

    @event(QuoteCreated)
    def __init__(
        self,
        customer_id: str,
        currency: str,
        lines: list[dict[str, Any]],
        net_total: Decimal,
        tax_total: Decimal,
        total: Decimal,
        valid_until: str | None,
        duplicated_from: str | None = None,
    ) -> None:
        self.customer_id = customer_id
        self.currency = currency
        self.lines = [dict(line) for line in lines]
        self.net_total = net_total
        self.tax_total = tax_total
        self.total = total
        self.valid_until = valid_until
        self.duplicated_from = duplicated_from
        self.revision = 1
        self.status = DRAFT
        self.order_id: str | None = None
        self.status_reason: str | None = None

    @classmethod
    def draft(
        cls,
        customer_id: str,
        currency: str,
        lines: list[dict[str, Any]],
        valid_until: date | None,
        today: date,
        duplicated_from: str | None = None,
    ) -> Quote:
        if not lines:
            raise InvalidInput("a quote needs at least one line", field="lines")
        if valid_until is not None and valid_until < today:
            raise InvalidInput("valid_until is in the past", field="valid_until")
        amounts = totals(lines)
        return cls(
            customer_id=customer_id,
            currency=currency,
            lines=lines,
            net_total=amounts.net,
            tax_total=amounts.tax,
            total=amounts.total,
            valid_until=valid_until.isoformat() if valid_until else None,
            duplicated_from=duplicated_from,
        )

    @property
    def quote_id(self) -> str:
        return str(self.id)

    def is_past_validity(self, today: date) -> bool:
        return self.valid_until is not None and date.fromisoformat(self.valid_until) < today

    def _require_open(self, action: str) -> None:
        if self.status not in OPEN:
            raise Conflict(f"quote is {self.status} and cannot be {action}", field="status")

    def revise(self, lines: list[dict[str, Any]]) -> None:
        self._require_open("revised")
        if not lines:
            raise InvalidInput("a quote needs at least one line", field="lines")
        amounts = totals(lines)
        self._revise(
            revision=self.revision + 1,
            lines=lines,
            net_total=amounts.net,
            tax_total=amounts.tax,
            total=amounts.total,
        )

    def send(self, email: str) -> None:
        self._require_open("sent")
        self._send(customer_id=self.customer_id, email=email)

    def accept(self, order_id: str) -> None:
        self._require_open("accepted")
        self._accept(order_id=order_id)

    def reject(self, reason: str | None) -> None:
        self._require_open("rejected")
        self._reject(reason=reason)

    def expire(self) -> None:
        self._require_open("expired")
        self._expire()

    @event(QuoteRevised)
    def _revise(
        self,
        revision: int,
        lines: list[dict[str, Any]],
        net_total: Decimal,
        tax_total: Decimal,
        total: Decimal,
    ) -> None:
        self.revision = revision
        self.lines = [dict(line) for line in lines]
        self.net_total = net_total
        self.tax_total = tax_total
        self.total = total
        self.status = DRAFT

    @event(QuoteSent)
    def _send(self, customer_id: str, email: str) -> None:
        self.status = SENT

    @event(QuoteAccepted)
    def _accept(self, order_id: str) -> None:
        self.order_id = order_id
        self.status = ACCEPTED

    @event(QuoteRejected)
    def _reject(self, reason: str | None) -> None:
        self.status = REJECTED
        self.status_reason = reason

    @event(QuoteExpired)
    def _expire(self) -> None:
        self.status = EXPIRED

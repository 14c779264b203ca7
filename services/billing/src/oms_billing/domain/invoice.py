"""Invoices, their numbering series, stamping state and payments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from oms_billing.domain.errors import InvalidPaymentAmount, PaymentExceedsOpenAmount
from oms_billing.domain.money import ZERO


class InvoiceSeries(Aggregate):
    """The counter of one invoice series. It is saved with the invoice that uses a number,
    so a number is taken exactly when its invoice is stored: no gaps, no repeats (two
    issuers at once conflict on this aggregate's version and one of them re-runs)."""

    class Started(Aggregate.Created):
        series: str

    class NumberAssigned(Aggregate.Event):
        invoice_id: UUID
        sequence: int
        number: str

    @staticmethod
    def create_id(series: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/billing/invoice-series/{series}")

    @event(Started)
    def __init__(self, series: str) -> None:
        self.series = series
        self.last = 0

    def next_number(self, invoice_id: UUID) -> str:
        sequence = self.last + 1
        number = f"{self.series}-{sequence:06d}"
        self._number_assigned(invoice_id=invoice_id, sequence=sequence, number=number)
        return number

    @event(NumberAssigned)
    def _number_assigned(self, invoice_id: UUID, sequence: int, number: str) -> None:
        self.last = sequence


@dataclass(frozen=True)
class PaymentRecord:
    payment_id: UUID
    amount: Decimal
    open_after: Decimal
    received_at: datetime
    idempotency_key: str | None


class Invoice(Aggregate):
    """One invoice per goods issue. Lines are dicts: line_no, sku, quantity, unit_price,
    net_amount, tax_rate, tax_amount."""

    class Issued(Aggregate.Created):
        goods_issue_id: str
        number: str
        order_id: str
        customer_id: str
        currency: str
        lines: list[dict[str, Any]]
        net_total: Decimal
        tax_total: Decimal
        total: Decimal
        issued_at: datetime

    class Stamped(Aggregate.Event):
        order_id: str
        number: str
        stamp_uuid: str
        stamped_at: datetime
        provider: str
        signature: str
        xml: str

    class StampingFailed(Aggregate.Event):
        order_id: str
        reason: str
        attempt: int
        failed_at: datetime

    class PaymentRecorded(Aggregate.Event):
        payment_id: UUID
        order_id: str
        customer_id: str
        currency: str
        amount: Decimal
        open_after: Decimal
        received_at: datetime
        idempotency_key: str | None

    class Paid(Aggregate.Event):
        order_id: str
        customer_id: str

    @staticmethod
    def create_id(goods_issue_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/billing/invoice/{goods_issue_id}")

    @event(Issued)
    def __init__(
        self,
        goods_issue_id: str,
        number: str,
        order_id: str,
        customer_id: str,
        currency: str,
        lines: list[dict[str, Any]],
        net_total: Decimal,
        tax_total: Decimal,
        total: Decimal,
        issued_at: datetime,
    ) -> None:
        self.goods_issue_id = goods_issue_id
        self.number = number
        self.order_id = order_id
        self.customer_id = customer_id
        self.currency = currency
        self.lines = lines
        self.net_total = net_total
        self.tax_total = tax_total
        self.total = total
        self.issued_at = issued_at
        self.open_amount = total
        self.stamp: dict[str, Any] | None = None
        self.stamping_attempts = 0
        self.last_stamping_failure: datetime | None = None
        self.last_stamping_error: str | None = None
        self.payments: list[PaymentRecord] = []
        self.paid = False

    # --- stamping -------------------------------------------------------------------------

    @property
    def stamped(self) -> bool:
        return self.stamp is not None

    @property
    def status(self) -> str:
        if self.open_amount == 0 and self.payments:
            return "paid"
        if self.stamped:
            return "stamped"
        if self.stamping_attempts:
            return "stamping_failed"
        return "issued"

    def stamping_due(self, now: datetime, base_delay: float, max_delay: float) -> bool:
        """Whether a failed stamping should be tried again: the wait doubles per attempt."""
        if self.stamped:
            return False
        if self.last_stamping_failure is None:
            return True
        delay = min(base_delay * 2 ** max(self.stamping_attempts - 1, 0), max_delay)
        return now >= self.last_stamping_failure + timedelta(seconds=delay)

    def mark_stamped(
        self,
        stamp_uuid: str,
        stamped_at: datetime,
        provider: str,
        signature: str,
        xml: str,
    ) -> None:
        if self.stamped:
            return
        self._stamped(
            order_id=self.order_id,
            number=self.number,
            stamp_uuid=stamp_uuid,
            stamped_at=stamped_at,
            provider=provider,
            signature=signature,
            xml=xml,
        )

    def record_stamping_failure(self, reason: str, failed_at: datetime) -> None:
        if self.stamped:
            return
        self._stamping_failed(
            order_id=self.order_id,
            reason=reason,
            attempt=self.stamping_attempts + 1,
            failed_at=failed_at,
        )

    @event(Stamped)
    def _stamped(
        self,
        order_id: str,
        number: str,
        stamp_uuid: str,
        stamped_at: datetime,
        provider: str,
        signature: str,
        xml: str,
    ) -> None:
        self.stamp = {
            "uuid": stamp_uuid,
            "stamped_at": stamped_at,
            "provider": provider,
            "signature": signature,
            "xml": xml,
        }

    @event(StampingFailed)
    def _stamping_failed(
        self, order_id: str, reason: str, attempt: int, failed_at: datetime
    ) -> None:
        self.stamping_attempts = attempt
        self.last_stamping_failure = failed_at
        self.last_stamping_error = reason

    # --- payments -------------------------------------------------------------------------

    def payment_for_key(self, idempotency_key: str | None) -> PaymentRecord | None:
        if idempotency_key is None:
            return None
        for payment in self.payments:
            if payment.idempotency_key == idempotency_key:
                return payment
        return None

    def record_payment(
        self,
        payment_id: UUID,
        amount: Decimal,
        received_at: datetime,
        idempotency_key: str | None = None,
    ) -> PaymentRecord:
        if not amount.is_finite() or amount <= 0:
            raise InvalidPaymentAmount("amount must be greater than zero")
        if amount != amount.quantize(Decimal("0.01")):
            raise InvalidPaymentAmount("amount must have at most two decimals")
        if amount > self.open_amount:
            raise PaymentExceedsOpenAmount(
                f"amount {amount} exceeds the open amount {self.open_amount} "
                f"of invoice {self.number}"
            )
        self._payment_recorded(
            payment_id=payment_id,
            order_id=self.order_id,
            customer_id=self.customer_id,
            currency=self.currency,
            amount=amount,
            open_after=self.open_amount - amount,
            received_at=received_at,
            idempotency_key=idempotency_key,
        )
        if self.open_amount == ZERO:
            self._paid(order_id=self.order_id, customer_id=self.customer_id)
        return self.payments[-1]

    @event(PaymentRecorded)
    def _payment_recorded(
        self,
        payment_id: UUID,
        order_id: str,
        customer_id: str,
        currency: str,
        amount: Decimal,
        open_after: Decimal,
        received_at: datetime,
        idempotency_key: str | None,
    ) -> None:
        self.open_amount = open_after
        self.payments.append(
            PaymentRecord(payment_id, amount, open_after, received_at, idempotency_key)
        )

    @event(Paid)
    def _paid(self, order_id: str, customer_id: str) -> None:
        self.paid = True

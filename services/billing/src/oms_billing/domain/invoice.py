"""Invoices, their numbering series, stamping state and payments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from oms_kit.domain import Conflict

from oms_billing.domain.errors import (
    InvalidCredit,
    InvalidPaymentAmount,
    InvoiceNotCancellable,
    InvoiceNotCreditable,
    PaymentExceedsOpenAmount,
    UnknownInstallment,
)
from oms_billing.domain.money import CENT, ZERO, cents, tax_on


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
class CreditDraft:
    """What a credit note takes off an invoice, before it gets a number: the lines
    credited (sku, quantity, amount with tax, and line_no, net, tax), net, tax, total."""

    lines: list[dict[str, Any]]
    net_amount: Decimal
    tax_amount: Decimal
    total: Decimal


@dataclass(frozen=True)
class CreditNoteRecord:
    credit_note_id: UUID
    number: str
    reason: str
    total: Decimal
    net_amount: Decimal
    issued_at: datetime


def allocate(
    amount: Decimal, open_by_number: dict[int, Decimal], *, latest_first: bool = False
) -> list[dict[str, Any]]:
    """``amount`` spread over installments' open amounts: the oldest first (a payment), or
    the latest first (a credit note); [{number, amount}] of those it touches."""
    allocation: list[dict[str, Any]] = []
    rest = amount
    for number in sorted(open_by_number, reverse=latest_first):
        take = min(open_by_number[number], rest)
        if take > 0:
            allocation.append({"number": number, "amount": take})
            rest -= take
    return allocation


@dataclass(frozen=True)
class PaymentRecord:
    payment_id: UUID
    amount: Decimal
    open_after: Decimal
    received_at: datetime
    idempotency_key: str | None


class Invoice(Aggregate):
    """One invoice per goods issue (or, on demand, per order of the chosen goods issues).
    Lines are dicts: line_no, sku, quantity, unit_price,
    net_amount, tax_rate, tax_amount."""

    class Issued(Aggregate.Created):
        goods_issue_id: str
        #: Every goods issue it invoices (several when invoiced on demand); absent on
        #: invoices from before: their goods_issue_id alone.
        goods_issue_ids: list[str]
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
        #: The installments it settles: [{number, amount}] (absent on earlier payments,
        #: which settled the oldest open installments).
        installments: list[dict[str, Any]]

    class Paid(Aggregate.Event):
        order_id: str
        customer_id: str

    class Cancelled(Aggregate.Event):
        order_id: str
        customer_id: str
        number: str
        reason: str
        total: Decimal
        currency: str
        cancelled_at: datetime

    class Credited(Aggregate.Event):
        """A credit note against the invoice, numbered in the credit notes' series."""

        credit_note_id: UUID
        number: str
        order_id: str
        customer_id: str
        currency: str
        reason: str
        #: [{line_no, sku, quantity, net_amount, tax_amount, amount}]; empty by amount.
        lines: list[dict[str, Any]]
        net_amount: Decimal
        tax_amount: Decimal
        total: Decimal
        open_after: Decimal
        issued_at: datetime
        returned_goods: bool
        idempotency_key: str | None
        #: The installments it reduces, the latest first: [{number, amount}].
        installments: list[dict[str, Any]]

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
        goods_issue_ids: list[str] | None = None,
    ) -> None:
        self.goods_issue_id = goods_issue_id
        self.goods_issue_ids = goods_issue_ids or [goods_issue_id]
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
        #: Per installment number, what payments and credit notes took off it.
        self.settled: dict[int, Decimal] = {}
        #: What earlier payments (before installments were tracked) paid, oldest first.
        self.unallocated = ZERO
        self.cancelled = False
        self.cancel_reason: str | None = None
        self.credit_notes: list[CreditNoteRecord] = []
        self.credit_note_keys: dict[str, UUID] = {}
        self.credited_net = ZERO
        self.credited_tax = ZERO
        #: Per invoice line_no: the quantity, net and tax credited so far.
        self.credited_lines: dict[int, dict[str, Decimal]] = {}

    # --- stamping -------------------------------------------------------------------------

    @property
    def stamped(self) -> bool:
        return self.stamp is not None

    @property
    def status(self) -> str:
        if self.cancelled:
            return "cancelled"
        if self.credit_notes and self.creditable == 0:
            return "credited"
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

    def installments_open(self, installments: list[dict[str, Any]]) -> dict[int, Decimal]:
        """What is open of each of the receivable's ``installments`` (number -> amount):
        its amount less what payments and credit notes took off it."""
        spill = self.unallocated
        open_by_number: dict[int, Decimal] = {}
        for installment in sorted(installments, key=lambda i: int(i["number"])):
            number = int(installment["number"])
            left = Decimal(installment["amount"]) - self.settled.get(number, ZERO)
            take = min(max(left, ZERO), spill)
            spill -= take
            open_by_number[number] = left - take
        return open_by_number

    def record_payment(
        self,
        payment_id: UUID,
        amount: Decimal,
        received_at: datetime,
        idempotency_key: str | None = None,
        *,
        installments: list[dict[str, Any]] | None = None,
        installment: int | None = None,
    ) -> PaymentRecord:
        """Record a payment of ``installment`` (its number, 1-based) of the receivable's
        ``installments``, or of the oldest open ones when none is named."""
        if self.cancelled:
            raise Conflict(f"invoice {self.number} is cancelled", field="invoice_id")
        if not amount.is_finite() or amount <= 0:
            raise InvalidPaymentAmount("amount must be greater than zero")
        if amount != amount.quantize(Decimal("0.01")):
            raise InvalidPaymentAmount("amount must have at most two decimals")
        if amount > self.open_amount:
            raise PaymentExceedsOpenAmount(
                f"amount {amount} exceeds the open amount {self.open_amount} "
                f"of invoice {self.number}"
            )
        open_by_number = self.installments_open(installments or [])
        if installment is not None:
            if installment not in open_by_number:
                raise UnknownInstallment(f"invoice {self.number} has no installment {installment}")
            if amount > open_by_number[installment]:
                raise PaymentExceedsOpenAmount(
                    f"amount {amount} exceeds the open amount {open_by_number[installment]} "
                    f"of installment {installment} of invoice {self.number}"
                )
            allocation = [{"number": installment, "amount": amount}]
        else:
            allocation = allocate(amount, open_by_number)
        self._payment_recorded(
            payment_id=payment_id,
            order_id=self.order_id,
            customer_id=self.customer_id,
            currency=self.currency,
            amount=amount,
            open_after=self.open_amount - amount,
            received_at=received_at,
            idempotency_key=idempotency_key,
            installments=allocation,
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
        installments: list[dict[str, Any]] | None = None,
    ) -> None:
        self.open_amount = open_after
        self.payments.append(
            PaymentRecord(payment_id, amount, open_after, received_at, idempotency_key)
        )
        if installments is None:
            self.unallocated += amount
        for share in installments or []:
            number = int(share["number"])
            self.settled[number] = self.settled.get(number, ZERO) + Decimal(share["amount"])

    @event(Paid)
    def _paid(self, order_id: str, customer_id: str) -> None:
        self.paid = True

    # --- cancellation and credit notes ----------------------------------------------------

    def cancel(self, reason: str, cancelled_at: datetime) -> bool:
        """Cancel the invoice while nothing is paid or credited on it; False when it is
        cancelled already (a repeat changes nothing)."""
        if self.cancelled:
            return False
        if self.payments:
            raise InvoiceNotCancellable(
                f"invoice {self.number} has payments: issue a credit note instead"
            )
        if self.credit_notes:
            raise InvoiceNotCancellable(f"invoice {self.number} has credit notes")
        self._cancelled(
            order_id=self.order_id,
            customer_id=self.customer_id,
            number=self.number,
            reason=reason,
            total=self.total,
            currency=self.currency,
            cancelled_at=cancelled_at,
        )
        return True

    @property
    def creditable(self) -> Decimal:
        """What credit notes may still take off the invoice, tax included."""
        if self.cancelled:
            return ZERO
        return self.total - self.credited_net - self.credited_tax

    def credit_note_for_key(self, idempotency_key: str | None) -> CreditNoteRecord | None:
        if idempotency_key is None or idempotency_key not in self.credit_note_keys:
            return None
        wanted = self.credit_note_keys[idempotency_key]
        return next(note for note in self.credit_notes if note.credit_note_id == wanted)

    def draft_credit(
        self, lines: list[tuple[str, Decimal]] | None, amount: Decimal | None
    ) -> CreditDraft:
        """What a credit note takes off: the ``lines`` given (sku, quantity), or an
        ``amount`` with tax, or (neither) all that is still creditable. Never more than
        what remains: ``InvalidCredit`` naming lines or amount."""
        if self.cancelled:
            raise InvoiceNotCreditable(f"invoice {self.number} is cancelled")
        remaining = self.creditable
        if remaining <= 0:
            raise InvoiceNotCreditable(f"invoice {self.number} is credited in full already")
        if lines is not None and amount is not None:
            raise InvalidCredit("give lines or amount, not both", field="amount")
        if amount is not None:
            return self._draft_by_amount(amount, remaining)
        if lines is None:
            # In full: the goods left on it, unless credits by amount took part of their
            # value already; then what remains, by amount.
            left = [(line["sku"], self._line_left(line)["quantity"]) for line in self.lines]
            left = [(sku, quantity) for sku, quantity in left if quantity > 0]
            goods_value = sum(
                (
                    self._line_left(line)["net"] + self._line_left(line)["tax"]
                    for line in self.lines
                ),
                ZERO,
            )
            if left and goods_value == remaining:
                return self._draft_by_lines(left)
            return self._draft_by_amount(remaining, remaining)
        return self._draft_by_lines(lines)

    def _line_left(self, line: dict[str, Any]) -> dict[str, Decimal]:
        done = self.credited_lines.get(int(line["line_no"]), {})
        return {
            "quantity": Decimal(line["quantity"]) - done.get("quantity", ZERO),
            "net": Decimal(line["net_amount"]) - done.get("net", ZERO),
            "tax": Decimal(line["tax_amount"]) - done.get("tax", ZERO),
        }

    def _draft_by_amount(self, amount: Decimal, remaining: Decimal) -> CreditDraft:
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
            raise InvalidCredit(
                "amount must be greater than zero with at most two decimals", field="amount"
            )
        if amount > remaining:
            raise InvalidCredit(
                f"amount {amount} exceeds what remains creditable ({remaining}) "
                f"of invoice {self.number}",
                field="amount",
            )
        net_left = self.net_total - self.credited_net
        net = net_left if amount == remaining else cents(amount * net_left / remaining)
        return CreditDraft(lines=[], net_amount=net, tax_amount=amount - net, total=amount)

    def _draft_by_lines(self, wanted: list[tuple[str, Decimal]]) -> CreditDraft:
        if not wanted:
            raise InvalidCredit("lines must name at least one line", field="lines")
        by_sku: dict[str, Decimal] = {}
        for sku, quantity in wanted:
            if not quantity.is_finite() or quantity <= 0:
                raise InvalidCredit(f"sku {sku}: quantity must be positive", field="lines")
            by_sku[sku] = by_sku.get(sku, ZERO) + quantity
        credited: list[dict[str, Any]] = []
        for sku, quantity in by_sku.items():
            rest = quantity
            on_invoice = [line for line in self.lines if line["sku"] == sku]
            if not on_invoice:
                raise InvalidCredit(f"sku {sku} is not on invoice {self.number}", field="lines")
            for line in on_invoice:
                left = self._line_left(line)
                take = min(left["quantity"], rest)
                if take <= 0:
                    continue
                rest -= take
                if take == left["quantity"]:
                    net, tax = left["net"], left["tax"]
                else:
                    net = cents(Decimal(line["net_amount"]) * take / Decimal(line["quantity"]))
                    tax = min(tax_on(net, Decimal(line["tax_rate"])), left["tax"])
                credited.append(
                    {
                        "line_no": int(line["line_no"]),
                        "sku": sku,
                        "quantity": take,
                        "net_amount": net,
                        "tax_amount": tax,
                        "amount": net + tax,
                    }
                )
            if rest > 0:
                raise InvalidCredit(
                    f"sku {sku}: {rest} more than remains creditable on invoice {self.number}",
                    field="lines",
                )
        net_total = sum((li["net_amount"] for li in credited), ZERO)
        tax_total = sum((li["tax_amount"] for li in credited), ZERO)
        total = net_total + tax_total
        if total > self.creditable:  # amounts credited before: never more than remains
            raise InvalidCredit(
                f"the lines come to {total}, more than remains creditable "
                f"({self.creditable}) of invoice {self.number}",
                field="lines",
            )
        return CreditDraft(lines=credited, net_amount=net_total, tax_amount=tax_total, total=total)

    def credit(
        self,
        credit_note_id: UUID,
        number: str,
        reason: str,
        draft: CreditDraft,
        issued_at: datetime,
        *,
        installments: list[dict[str, Any]] | None = None,
        returned_goods: bool = False,
        idempotency_key: str | None = None,
    ) -> CreditNoteRecord:
        """Record the credit note ``draft`` (see :meth:`draft_credit`): what is open falls
        by its total (never below zero), the latest installments first."""
        reduces = min(draft.total, self.open_amount)
        allocation = allocate(
            reduces, self.installments_open(installments or []), latest_first=True
        )
        self._credited(
            credit_note_id=credit_note_id,
            number=number,
            order_id=self.order_id,
            customer_id=self.customer_id,
            currency=self.currency,
            reason=reason,
            lines=draft.lines,
            net_amount=draft.net_amount,
            tax_amount=draft.tax_amount,
            total=draft.total,
            open_after=self.open_amount - reduces,
            issued_at=issued_at,
            returned_goods=returned_goods and bool(draft.lines),
            idempotency_key=idempotency_key,
            installments=allocation,
        )
        return self.credit_notes[-1]

    @event(Cancelled)
    def _cancelled(
        self,
        order_id: str,
        customer_id: str,
        number: str,
        reason: str,
        total: Decimal,
        currency: str,
        cancelled_at: datetime,
    ) -> None:
        self.cancelled = True
        self.cancel_reason = reason
        self.open_amount = ZERO

    @event(Credited)
    def _credited(
        self,
        credit_note_id: UUID,
        number: str,
        order_id: str,
        customer_id: str,
        currency: str,
        reason: str,
        lines: list[dict[str, Any]],
        net_amount: Decimal,
        tax_amount: Decimal,
        total: Decimal,
        open_after: Decimal,
        issued_at: datetime,
        returned_goods: bool,
        idempotency_key: str | None,
        installments: list[dict[str, Any]],
    ) -> None:
        self.open_amount = open_after
        self.credited_net += net_amount
        self.credited_tax += tax_amount
        for line in lines:
            done = self.credited_lines.setdefault(
                int(line["line_no"]), {"quantity": ZERO, "net": ZERO, "tax": ZERO}
            )
            done["quantity"] += Decimal(line["quantity"])
            done["net"] += Decimal(line["net_amount"])
            done["tax"] += Decimal(line["tax_amount"])
        for share in installments:
            number_ = int(share["number"])
            self.settled[number_] = self.settled.get(number_, ZERO) + Decimal(share["amount"])
        self.credit_notes.append(
            CreditNoteRecord(credit_note_id, number, reason, total, net_amount, issued_at)
        )
        if idempotency_key is not None:
            self.credit_note_keys[idempotency_key] = credit_note_id

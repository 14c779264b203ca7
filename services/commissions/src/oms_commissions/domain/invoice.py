"""An invoice's commission: its share of the order's commission once priced (the
"invoiced" position), and what each payment earns of it (the "paid" position).

A payment earns the paid share of each invoice line: ``cents(line * paid / invoice
total)``; the payment that settles the invoice takes what is left of every line, so the
payments of an invoice add up to its commission. Payments seen before the invoice could be
priced (its order's confirmation not seen yet) are held and earned when it is.

Cancelling an invoice reverses its commission (and claws back what its payments earned):
billing does not publish cancellations yet, so only :meth:`reverse` leads there for now."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from oms_commissions.domain.money import ZERO, share_of


def _sum(lines: list[dict[str, Any]], key: str) -> Decimal:
    return sum((Decimal(line[key]) for line in lines), ZERO)


class InvoiceCommission(Aggregate):
    class Received(Aggregate.Created):
        invoice_id: str
        number: str
        order_id: str
        customer_id: str
        currency: str
        total: Decimal
        issued_on: str
        #: sku, quantity, net_amount, tax_amount: as billing issued them
        lines: list[dict[str, Any]]

    class Priced(Aggregate.Event):
        invoice_id: str
        number: str
        order_id: str
        sales_rep_id: str
        customer_id: str
        currency: str
        issued_on: str
        #: line_no, sku, quantity, rate_percent, base, titles, commission
        lines: list[dict[str, Any]]
        titles_total: Decimal
        base: Decimal
        commission: Decimal

    class PaymentHeld(Aggregate.Event):
        payment_id: str
        amount: Decimal
        open_after: Decimal
        received_on: str

    class Earned(Aggregate.Event):
        payment_id: str
        invoice_id: str
        order_id: str
        sales_rep_id: str
        customer_id: str
        currency: str
        earned_on: str
        amount_paid: Decimal
        #: line_no, sku, rate_percent, base, commission
        lines: list[dict[str, Any]]
        base: Decimal
        commission: Decimal

    class Reversed(Aggregate.Event):
        invoice_id: str
        sales_rep_id: str
        customer_id: str
        reversed_on: str
        reason: str
        #: The invoiced commission reversed, and what its payments had earned (clawed back).
        titles_total: Decimal
        base: Decimal
        commission: Decimal
        earned_amount: Decimal
        earned_base: Decimal
        earned_commission: Decimal

    @staticmethod
    def create_id(invoice_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/commissions/invoice/{invoice_id}")

    @event(Received)
    def __init__(
        self,
        invoice_id: str,
        number: str,
        order_id: str,
        customer_id: str,
        currency: str,
        total: Decimal,
        issued_on: str,
        lines: list[dict[str, Any]],
    ) -> None:
        self.invoice_id = invoice_id
        self.issued_lines = [dict(line) for line in lines]
        self.number = number
        self.order_id = order_id
        self.customer_id = customer_id
        self.currency = currency
        self.total = total
        self.issued_on = issued_on
        self.sales_rep_id: str | None = None
        self.lines: list[dict[str, Any]] = []
        self.held_payments: list[dict[str, Any]] = []
        self.payments: set[str] = set()
        self.paid = ZERO
        self.reversed = False

    @property
    def priced(self) -> bool:
        return self.sales_rep_id is not None

    def price(self, sales_rep_id: str, lines: list[dict[str, Any]]) -> None:
        """Take the invoice's commission lines (from its order's accrual)."""
        if self.priced:
            return
        self._priced(
            invoice_id=self.invoice_id,
            number=self.number,
            order_id=self.order_id,
            sales_rep_id=sales_rep_id,
            customer_id=self.customer_id,
            currency=self.currency,
            issued_on=self.issued_on,
            lines=lines,
            titles_total=self.total,
            base=_sum(lines, "base"),
            commission=_sum(lines, "commission"),
        )
        for held in list(self.held_payments):
            self.record_payment(
                held["payment_id"], held["amount"], held["open_after"], held["received_on"]
            )

    @event(Priced)
    def _priced(
        self,
        invoice_id: str,
        number: str,
        order_id: str,
        sales_rep_id: str,
        customer_id: str,
        currency: str,
        issued_on: str,
        lines: list[dict[str, Any]],
        titles_total: Decimal,
        base: Decimal,
        commission: Decimal,
    ) -> None:
        self.sales_rep_id = sales_rep_id
        self.lines = [{**line, "earned_base": ZERO, "earned_commission": ZERO} for line in lines]

    def record_payment(
        self, payment_id: str, amount: Decimal, open_after: Decimal, received_on: str
    ) -> dict[str, Any] | None:
        """Earn the payment's share of the commission; the earned entry, or None (held
        until the invoice is priced, or a payment seen already)."""
        if payment_id in self.payments or self.reversed:
            return None
        if not self.priced:
            if all(held["payment_id"] != payment_id for held in self.held_payments):
                self._payment_held(payment_id, amount, open_after, received_on)
            return None
        settles = open_after <= 0 or self.paid + amount >= self.total
        earned = []
        for line in self.lines:
            if settles:
                base = line["base"] - line["earned_base"]
                commission = line["commission"] - line["earned_commission"]
            else:
                base = share_of(line["base"], amount, self.total)
                commission = share_of(line["commission"], amount, self.total)
            earned.append(
                {
                    "line_no": line["line_no"],
                    "sku": line["sku"],
                    "rate_percent": line["rate_percent"],
                    "base": base,
                    "commission": commission,
                }
            )
        assert self.sales_rep_id is not None
        self._earned(
            payment_id=payment_id,
            invoice_id=self.invoice_id,
            order_id=self.order_id,
            sales_rep_id=self.sales_rep_id,
            customer_id=self.customer_id,
            currency=self.currency,
            earned_on=received_on,
            amount_paid=amount,
            lines=earned,
            base=_sum(earned, "base"),
            commission=_sum(earned, "commission"),
        )
        return {
            "entry_id": payment_id,
            "invoice_id": self.invoice_id,
            "customer_id": self.customer_id,
            "earned_on": received_on,
            "commission": _sum(earned, "commission"),
        }

    @event(PaymentHeld)
    def _payment_held(
        self, payment_id: str, amount: Decimal, open_after: Decimal, received_on: str
    ) -> None:
        self.held_payments.append(
            {
                "payment_id": payment_id,
                "amount": amount,
                "open_after": open_after,
                "received_on": received_on,
            }
        )

    @event(Earned)
    def _earned(
        self,
        payment_id: str,
        invoice_id: str,
        order_id: str,
        sales_rep_id: str,
        customer_id: str,
        currency: str,
        earned_on: str,
        amount_paid: Decimal,
        lines: list[dict[str, Any]],
        base: Decimal,
        commission: Decimal,
    ) -> None:
        self.payments.add(payment_id)
        self.held_payments = [h for h in self.held_payments if h["payment_id"] != payment_id]
        self.paid += amount_paid
        by_line = {line["line_no"]: line for line in self.lines}
        for part in lines:
            by_line[part["line_no"]]["earned_base"] += part["base"]
            by_line[part["line_no"]]["earned_commission"] += part["commission"]

    # --- reversal (waits for billing to publish invoice cancellations) -----------------------

    def reverse(self, reason: str, reversed_on: str) -> dict[str, Any] | None:
        """Reverse the invoice's commission and claw back what its payments earned; the
        ledger entry of the claw-back (negative), or None (nothing earned, or reversed
        already, or never priced)."""
        if self.reversed or self.sales_rep_id is None:
            return None
        earned_commission = _sum(self.lines, "earned_commission")
        self._reversed(
            invoice_id=self.invoice_id,
            sales_rep_id=self.sales_rep_id,
            customer_id=self.customer_id,
            reversed_on=reversed_on,
            reason=reason,
            titles_total=self.total,
            base=_sum(self.lines, "base"),
            commission=_sum(self.lines, "commission"),
            earned_amount=self.paid,
            earned_base=_sum(self.lines, "earned_base"),
            earned_commission=earned_commission,
        )
        if earned_commission == 0:
            return None
        return {
            "entry_id": f"reversal:{self.invoice_id}",
            "invoice_id": self.invoice_id,
            "customer_id": self.customer_id,
            "earned_on": reversed_on,
            "commission": -earned_commission,
        }

    @event(Reversed)
    def _reversed(
        self,
        invoice_id: str,
        sales_rep_id: str,
        customer_id: str,
        reversed_on: str,
        reason: str,
        titles_total: Decimal,
        base: Decimal,
        commission: Decimal,
        earned_amount: Decimal,
        earned_base: Decimal,
        earned_commission: Decimal,
    ) -> None:
        self.reversed = True

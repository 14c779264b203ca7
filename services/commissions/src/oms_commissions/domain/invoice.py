"""An invoice's commission: its share of the order's commission once priced (the
"invoiced" position), and what each payment earns of it (the "paid" position).

A payment earns the paid share of each invoice line: ``cents(line * paid / invoice
total)``; the payment that settles the invoice takes what is left of every line, so the
payments of an invoice add up to its commission. Payments seen before the invoice could be
priced (its order's confirmation not seen yet) are held and earned when it is.

Cancelling an invoice reverses its commission (and claws back what its payments earned).
A credit note reverses the credited share of it, ``cents(line * credited net / invoice
net)`` per line (the note that credits what is left takes all that is left), and claws back
what payments had earned beyond what each line keeps; later payments earn their share of
what is left, against the invoice's total less what was credited."""

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

    class CreditHeld(Aggregate.Event):
        credit_note_id: str
        amount: Decimal
        net_amount: Decimal
        credited_on: str
        reason: str

    class Credited(Aggregate.Event):
        credit_note_id: str
        invoice_id: str
        sales_rep_id: str
        customer_id: str
        credited_on: str
        reason: str
        #: What the note credits, with tax and without.
        amount: Decimal
        net_amount: Decimal
        #: line_no, sku, base, commission (reversed), earned_base, earned_commission
        #: (clawed back)
        lines: list[dict[str, Any]]
        base: Decimal
        commission: Decimal
        earned_base: Decimal
        earned_commission: Decimal

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
        self.net_total = _sum(self.issued_lines, "net_amount")
        self.credits: set[str] = set()
        self.held_credits: list[dict[str, Any]] = []
        self.credited_total = ZERO
        self.credited_net = ZERO

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
        for credit in list(self.held_credits):
            self.credit(**credit)

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
        self.lines = [
            {
                **line,
                "earned_base": ZERO,
                "earned_commission": ZERO,
                "credited_base": ZERO,
                "credited_commission": ZERO,
            }
            for line in lines
        ]

    @property
    def open_total(self) -> Decimal:
        """The invoice's total less what credit notes took off it."""
        return self.total - self.credited_total

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
        settles = open_after <= 0 or self.paid + amount >= self.open_total
        earned = []
        for line in self.lines:
            kept_base = line["base"] - line["credited_base"]
            kept_commission = line["commission"] - line["credited_commission"]
            if settles:
                base = kept_base - line["earned_base"]
                commission = kept_commission - line["earned_commission"]
            else:
                base = share_of(kept_base, amount, self.open_total)
                commission = share_of(kept_commission, amount, self.open_total)
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

    # --- credit notes -------------------------------------------------------------------------

    def credit(
        self,
        credit_note_id: str,
        amount: Decimal,
        net_amount: Decimal,
        credited_on: str,
        reason: str,
    ) -> dict[str, Any] | None:
        """Reverse the credited share of the commission (``net_amount`` of the invoice's
        net) and claw back what payments earned beyond what each line keeps; the ledger
        entry of the claw-back (negative), or None (nothing to claw back, a note seen
        already, a reversed invoice, or held until the invoice is priced)."""
        if credit_note_id in self.credits or self.reversed:
            return None
        if not self.priced:
            if all(held["credit_note_id"] != credit_note_id for held in self.held_credits):
                self._credit_held(
                    credit_note_id=credit_note_id,
                    amount=amount,
                    net_amount=net_amount,
                    credited_on=credited_on,
                    reason=reason,
                )
            return None
        takes_the_rest = self.credited_net + net_amount >= self.net_total
        parts = []
        for line in self.lines:
            if takes_the_rest:
                base = line["base"] - line["credited_base"]
                commission = line["commission"] - line["credited_commission"]
            else:
                base = share_of(line["base"], net_amount, self.net_total)
                commission = share_of(line["commission"], net_amount, self.net_total)
            kept_base = line["base"] - line["credited_base"] - base
            kept_commission = line["commission"] - line["credited_commission"] - commission
            parts.append(
                {
                    "line_no": line["line_no"],
                    "sku": line["sku"],
                    "base": base,
                    "commission": commission,
                    "earned_base": max(line["earned_base"] - kept_base, ZERO),
                    "earned_commission": max(line["earned_commission"] - kept_commission, ZERO),
                }
            )
        assert self.sales_rep_id is not None
        clawed = _sum(parts, "earned_commission")
        self._credited(
            credit_note_id=credit_note_id,
            invoice_id=self.invoice_id,
            sales_rep_id=self.sales_rep_id,
            customer_id=self.customer_id,
            credited_on=credited_on,
            reason=reason,
            amount=amount,
            net_amount=net_amount,
            lines=parts,
            base=_sum(parts, "base"),
            commission=_sum(parts, "commission"),
            earned_base=_sum(parts, "earned_base"),
            earned_commission=clawed,
        )
        if clawed == 0:
            return None
        return {
            "entry_id": f"credit:{credit_note_id}",
            "invoice_id": self.invoice_id,
            "customer_id": self.customer_id,
            "earned_on": credited_on,
            "commission": -clawed,
        }

    @event(CreditHeld)
    def _credit_held(
        self,
        credit_note_id: str,
        amount: Decimal,
        net_amount: Decimal,
        credited_on: str,
        reason: str,
    ) -> None:
        self.held_credits.append(
            {
                "credit_note_id": credit_note_id,
                "amount": amount,
                "net_amount": net_amount,
                "credited_on": credited_on,
                "reason": reason,
            }
        )

    @event(Credited)
    def _credited(
        self,
        credit_note_id: str,
        invoice_id: str,
        sales_rep_id: str,
        customer_id: str,
        credited_on: str,
        reason: str,
        amount: Decimal,
        net_amount: Decimal,
        lines: list[dict[str, Any]],
        base: Decimal,
        commission: Decimal,
        earned_base: Decimal,
        earned_commission: Decimal,
    ) -> None:
        self.credits.add(credit_note_id)
        self.held_credits = [h for h in self.held_credits if h["credit_note_id"] != credit_note_id]
        self.credited_total += amount
        self.credited_net += net_amount
        by_line = {line["line_no"]: line for line in self.lines}
        for part in lines:
            line = by_line[part["line_no"]]
            line["credited_base"] += part["base"]
            line["credited_commission"] += part["commission"]
            line["earned_base"] -= part["earned_base"]
            line["earned_commission"] -= part["earned_commission"]

    # --- reversal: the invoice was cancelled ----------------------------------------------------

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
            titles_total=self.open_total,
            base=_sum(self.lines, "base") - _sum(self.lines, "credited_base"),
            commission=_sum(self.lines, "commission") - _sum(self.lines, "credited_commission"),
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

"""Accounts receivable (installments, "duplicatas") and the journal entry of an invoice."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from oms_billing.domain.errors import UnbalancedJournalEntry
from oms_billing.domain.money import ZERO, split_evenly

RECEIVABLES = "receivables"
REVENUE = "revenue"
TAX_PAYABLE = "tax_payable"
CASH = "cash"


def installments(amount: Decimal, issued_on: date, terms_days: list[int]) -> list[dict[str, Any]]:
    """One installment per payment-terms day count, due that many days after the invoice
    date; the amount split evenly to the cent, the last taking the rest. No terms: one
    installment due on the invoice date."""
    days = sorted(terms_days) or [0]
    return [
        {"number": n, "due_on": issued_on + timedelta(days=d), "amount": share}
        for n, (d, share) in enumerate(zip(days, split_evenly(amount, len(days)), strict=True), 1)
    ]


class Receivable(Aggregate):
    """What the customer owes for one invoice, in installments."""

    class Opened(Aggregate.Created):
        invoice_id: UUID
        order_id: str
        customer_id: str
        currency: str
        amount: Decimal
        installments: list[dict[str, Any]]

    @staticmethod
    def create_id(invoice_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/billing/receivable/{invoice_id}")

    @classmethod
    def open(
        cls,
        invoice_id: UUID,
        order_id: str,
        customer_id: str,
        currency: str,
        amount: Decimal,
        issued_on: date,
        terms_days: list[int],
    ) -> Receivable:
        return cls(
            invoice_id=invoice_id,
            order_id=order_id,
            customer_id=customer_id,
            currency=currency,
            amount=amount,
            installments=installments(amount, issued_on, terms_days),
        )

    @event(Opened)
    def __init__(
        self,
        invoice_id: UUID,
        order_id: str,
        customer_id: str,
        currency: str,
        amount: Decimal,
        installments: list[dict[str, Any]],
    ) -> None:
        self.invoice_id = invoice_id
        self.order_id = order_id
        self.customer_id = customer_id
        self.currency = currency
        self.amount = amount
        self.installments = installments


class JournalEntry(Aggregate):
    """A balanced accounting entry: debits equal credits."""

    class Posted(Aggregate.Created):
        invoice_id: UUID
        currency: str
        lines: list[dict[str, Any]]
        #: What of the invoice it books: "" its issue, "payment/<id>", "cancellation",
        #: "credit-note/<id>".
        key: str

    @staticmethod
    def create_id(invoice_id: UUID, key: str = "") -> UUID:
        suffix = f"/{key}" if key else ""
        return uuid5(NAMESPACE_URL, f"oms/billing/journal-entry/{invoice_id}{suffix}")

    @classmethod
    def for_invoice(
        cls, invoice_id: UUID, currency: str, net: Decimal, tax: Decimal, total: Decimal
    ) -> JournalEntry:
        """Debit receivables with the total, credit revenue with the net and tax payable
        with the tax."""
        lines = [
            {"account": RECEIVABLES, "debit": total, "credit": ZERO},
            {"account": REVENUE, "debit": ZERO, "credit": net},
        ]
        if tax:
            lines.append({"account": TAX_PAYABLE, "debit": ZERO, "credit": tax})
        return cls.post(invoice_id, currency, lines)

    @classmethod
    def for_payment(
        cls, invoice_id: UUID, payment_id: UUID, currency: str, amount: Decimal
    ) -> JournalEntry:
        """Debit cash with the amount received, credit receivables with it."""
        lines = [
            {"account": CASH, "debit": amount, "credit": ZERO},
            {"account": RECEIVABLES, "debit": ZERO, "credit": amount},
        ]
        return cls.post(invoice_id, currency, lines, key=f"payment/{payment_id}")

    @classmethod
    def reversal(
        cls, invoice_id: UUID, key: str, currency: str, net: Decimal, tax: Decimal, total: Decimal
    ) -> JournalEntry:
        """The invoice's entry reversed for ``total`` (a cancellation or a credit note):
        debit revenue with the net and tax payable with the tax, credit receivables."""
        lines = [{"account": REVENUE, "debit": net, "credit": ZERO}]
        if tax:
            lines.append({"account": TAX_PAYABLE, "debit": tax, "credit": ZERO})
        lines.append({"account": RECEIVABLES, "debit": ZERO, "credit": total})
        return cls.post(invoice_id, currency, lines, key=key)

    @classmethod
    def post(
        cls, invoice_id: UUID, currency: str, lines: list[dict[str, Any]], key: str = ""
    ) -> JournalEntry:
        debit = sum((Decimal(li["debit"]) for li in lines), ZERO)
        credit = sum((Decimal(li["credit"]) for li in lines), ZERO)
        if debit != credit:
            raise UnbalancedJournalEntry(f"debits {debit} != credits {credit}")
        return cls(invoice_id=invoice_id, currency=currency, lines=lines, key=key)

    @event(Posted)
    def __init__(
        self, invoice_id: UUID, currency: str, lines: list[dict[str, Any]], key: str = ""
    ) -> None:
        self.invoice_id = invoice_id
        self.currency = currency
        self.lines = lines
        self.key = key

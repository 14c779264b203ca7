"""Public events of the commissions service: the commission ledger of each sales rep on each
customer (accrued on confirmed orders, invoiced, earned on payments) and its settlements.

Amounts are in the order's currency, to the cent. Each line carries the rate that applied to
it, so a rate changed later does not rewrite what was accrued."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from oms_contracts.base import ContractEvent, Day, DecimalStr, Quantity, UtcDatetime


class _Commissions(ContractEvent):
    source = "commissions"


class CommissionLine(BaseModel):
    """One line's commission: its base (net of discounts, without tax), the rate that
    applied (percent) and the commission, ROUND_HALF_UP to the cent."""

    model_config = ConfigDict(frozen=True)

    sku: str
    quantity: Quantity | None = None
    base: DecimalStr
    rate_percent: DecimalStr
    commission: DecimalStr


class CommissionAccrued(_Commissions):
    """A confirmed order's commission on what it has to invoice, dated by its expected
    delivery date (or the day it was confirmed)."""

    order_id: str
    sales_rep_id: str
    customer_id: str
    currency: str
    accrued_on: Day
    lines: list[CommissionLine]
    titles_total: DecimalStr
    base: DecimalStr
    commission: DecimalStr


class CommissionInvoiced(_Commissions):
    """An invoice's share of its order's commission."""

    invoice_id: str
    number: str
    order_id: str
    sales_rep_id: str
    customer_id: str
    currency: str
    invoiced_on: Day
    lines: list[CommissionLine]
    titles_total: DecimalStr
    base: DecimalStr
    commission: DecimalStr


class CommissionEarned(_Commissions):
    """A payment's share of its invoice's commission: what the rep has earned."""

    payment_id: str
    invoice_id: str
    order_id: str
    sales_rep_id: str
    customer_id: str
    currency: str
    earned_on: Day
    amount_paid: DecimalStr
    lines: list[CommissionLine]
    base: DecimalStr
    commission: DecimalStr


class SettledEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    entry_id: str
    invoice_id: str
    customer_id: str
    earned_on: Day
    commission: DecimalStr


class CommissionSettled(_Commissions):
    """What a rep was paid: the earned commission not settled before, up to ``until``."""

    settlement_id: str
    sales_rep_id: str
    until: Day
    amount: DecimalStr
    settled_at: UtcDatetime
    lines: list[SettledEntry]


class CommissionReversed(_Commissions):
    """An invoice's commission reversed: in full when the invoice was cancelled, the
    credited share when a credit note (``credit_note_id``) was issued against it.
    ``base`` and ``commission`` are what left the invoiced position; ``clawed_back`` what
    its payments had earned and the rep gives back (a negative ledger entry)."""

    invoice_id: str
    sales_rep_id: str
    customer_id: str
    credit_note_id: str | None = None
    reversed_on: Day
    reason: str
    titles_total: DecimalStr
    base: DecimalStr
    commission: DecimalStr
    clawed_back: DecimalStr

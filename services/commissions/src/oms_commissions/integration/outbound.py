"""Private domain events of the commissions service -> public contract events, one mapping
each; the rest (plans, customer names, held invoices and payments, removals of what an
order had to invoice, ledger entries) stay private.

An invoice cancelled and a credit note are both CommissionReversed (the note's names it)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from oms_contracts.commissions import (
    CommissionAccrued,
    CommissionEarned,
    CommissionInvoiced,
    CommissionLine,
    CommissionReversed,
    CommissionSettled,
    SettledEntry,
)
from oms_kit.service import Outbound

from oms_commissions.domain.invoice import InvoiceCommission
from oms_commissions.domain.ledger import RepLedger
from oms_commissions.domain.order import OrderCommission

outbound = Outbound()


def _lines(lines: list[dict[str, Any]]) -> list[CommissionLine]:
    return [
        CommissionLine(
            sku=line["sku"],
            quantity=Decimal(line["quantity"]) if line.get("quantity") is not None else None,
            base=line["base"],
            rate_percent=line["rate_percent"],
            commission=line["commission"],
        )
        for line in lines
    ]


@outbound.maps(OrderCommission.Accrued)
def commission_accrued(accrued: OrderCommission.Accrued) -> CommissionAccrued:
    return CommissionAccrued(
        order_id=accrued.order_id,
        sales_rep_id=accrued.sales_rep_id,
        customer_id=accrued.customer_id,
        currency=accrued.currency,
        accrued_on=date.fromisoformat(accrued.accrued_on),
        lines=_lines(accrued.lines),
        titles_total=accrued.titles_total,
        base=accrued.base,
        commission=accrued.commission,
    )


@outbound.maps(InvoiceCommission.Priced)
def commission_invoiced(priced: InvoiceCommission.Priced) -> CommissionInvoiced:
    return CommissionInvoiced(
        invoice_id=priced.invoice_id,
        number=priced.number,
        order_id=priced.order_id,
        sales_rep_id=priced.sales_rep_id,
        customer_id=priced.customer_id,
        currency=priced.currency,
        invoiced_on=date.fromisoformat(priced.issued_on),
        lines=_lines(priced.lines),
        titles_total=priced.titles_total,
        base=priced.base,
        commission=priced.commission,
    )


@outbound.maps(InvoiceCommission.Earned)
def commission_earned(earned: InvoiceCommission.Earned) -> CommissionEarned:
    return CommissionEarned(
        payment_id=earned.payment_id,
        invoice_id=earned.invoice_id,
        order_id=earned.order_id,
        sales_rep_id=earned.sales_rep_id,
        customer_id=earned.customer_id,
        currency=earned.currency,
        earned_on=date.fromisoformat(earned.earned_on),
        amount_paid=earned.amount_paid,
        lines=_lines(earned.lines),
        base=earned.base,
        commission=earned.commission,
    )


@outbound.maps(InvoiceCommission.Reversed)
def commission_reversed(reversed_: InvoiceCommission.Reversed) -> CommissionReversed:
    return CommissionReversed(
        invoice_id=reversed_.invoice_id,
        sales_rep_id=reversed_.sales_rep_id,
        customer_id=reversed_.customer_id,
        reversed_on=date.fromisoformat(reversed_.reversed_on),
        reason=reversed_.reason,
        titles_total=reversed_.titles_total,
        base=reversed_.base,
        commission=reversed_.commission,
        clawed_back=reversed_.earned_commission,
    )


@outbound.maps(InvoiceCommission.Credited)
def commission_credited(credited: InvoiceCommission.Credited) -> CommissionReversed:
    return CommissionReversed(
        invoice_id=credited.invoice_id,
        sales_rep_id=credited.sales_rep_id,
        customer_id=credited.customer_id,
        credit_note_id=credited.credit_note_id,
        reversed_on=date.fromisoformat(credited.credited_on),
        reason=credited.reason,
        titles_total=credited.amount,
        base=credited.base,
        commission=credited.commission,
        clawed_back=credited.earned_commission,
    )


@outbound.maps(RepLedger.Settled)
def commission_settled(settled: RepLedger.Settled) -> CommissionSettled:
    return CommissionSettled(
        settlement_id=settled.settlement_id,
        sales_rep_id=settled.sales_rep_id,
        until=date.fromisoformat(settled.until),
        amount=settled.amount,
        settled_at=settled.settled_at,
        lines=[
            SettledEntry(
                entry_id=line["entry_id"],
                invoice_id=line["invoice_id"],
                customer_id=line["customer_id"],
                earned_on=date.fromisoformat(line["earned_on"]),
                commission=line["commission"],
            )
            for line in settled.lines
        ],
    )

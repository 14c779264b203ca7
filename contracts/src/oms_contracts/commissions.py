"""Public events of the commissions service: the ledger per sales rep and client."""

from __future__ import annotations

from oms_contracts.base import ContractEvent, DecimalStr


class _Commissions(ContractEvent):
    source = "commissions"


class CommissionAccrued(_Commissions):
    """On an order still to invoice."""

    sales_rep_id: str
    customer_id: str
    order_id: str
    base: DecimalStr
    amount: DecimalStr
    currency: str


class CommissionInvoiced(_Commissions):
    sales_rep_id: str
    customer_id: str
    invoice_id: str
    base: DecimalStr
    amount: DecimalStr
    currency: str


class CommissionEarned(_Commissions):
    """On a payment received."""

    sales_rep_id: str
    customer_id: str
    payment_id: str
    base: DecimalStr
    amount: DecimalStr
    currency: str

"""The billing service's own errors. Those with a ``field`` name the offending input."""

from __future__ import annotations


class BillingError(Exception):
    """Base of every billing domain error."""

    field: str | None = None


class InvoiceNotFound(BillingError):
    def __init__(self, invoice_id: object) -> None:
        super().__init__(f"invoice {invoice_id} not found")


class StatementNotFound(BillingError):
    def __init__(self, customer_id: str) -> None:
        super().__init__(f"customer {customer_id} has no billing entries")


class InvalidPaymentAmount(BillingError):
    field = "amount"


class PaymentExceedsOpenAmount(BillingError):
    field = "amount"


class GoodsIssueNotInvoiceable(BillingError):
    """A goods issue that does not match what the order still has to invoice."""


class UnbalancedJournalEntry(BillingError):
    pass

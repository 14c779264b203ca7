"""The billing service's errors: each is one of the kit's domain errors (which carry the
HTTP status) and names the offending input where there is one."""

from __future__ import annotations

from oms_kit.domain import Conflict, InvalidInput, NotFound


class InvoiceNotFound(NotFound):
    """No such invoice, or one the caller may not see (the same answer: DESIGN section 9)."""

    def __init__(self, invoice_id: object) -> None:
        super().__init__(f"no invoice {invoice_id}", field="invoice_id")


class StatementNotFound(NotFound):
    """No entries for the customer, or a customer the caller may not see."""

    def __init__(self, customer_id: str) -> None:
        super().__init__(f"customer {customer_id} has no billing entries", field="customer_id")


class InvalidPaymentAmount(InvalidInput):
    def __init__(self, message: str) -> None:
        super().__init__(message, field="amount")


class PaymentExceedsOpenAmount(InvalidInput):
    def __init__(self, message: str) -> None:
        super().__init__(message, field="amount")


class GoodsIssueNotInvoiceable(Conflict):
    """A goods issue that does not match what the order still has to invoice."""


class UnbalancedJournalEntry(Conflict):
    """Debits and credits of a journal entry differ."""


class InvoiceNotStamped(Conflict):
    """The invoice's fiscal document exists once the provider has stamped it."""

    def __init__(self, number: str) -> None:
        super().__init__(f"invoice {number} is not stamped yet", field="stamp")


class UnknownInstallment(InvalidInput):
    def __init__(self, message: str) -> None:
        super().__init__(message, field="installment")


class InvoiceNotCancellable(Conflict):
    """A paid or credited invoice is not cancelled: a credit note reverses it."""


class InvoiceNotCreditable(Conflict):
    """A cancelled invoice, or one credited in full already."""


class InvalidCredit(InvalidInput):
    """A credit note's lines or amount that do not fit what remains creditable."""


class CancellationRefused(Conflict):
    """The fiscal provider refused to cancel the stamped document."""


class GoodsIssueNotAwaiting(InvalidInput):
    """A goods issue chosen for invoicing on demand that is not waiting for it."""

    def __init__(self, goods_issue_id: str) -> None:
        super().__init__(
            f"goods issue {goods_issue_id} is not waiting to be invoiced",
            field="goods_issue_ids",
        )


class GoodsIssueInvoiced(Conflict):
    """A goods issue chosen for invoicing on demand that is on another invoice already."""

    def __init__(self, goods_issue_id: str) -> None:
        super().__init__(
            f"goods issue {goods_issue_id} is invoiced already", field="goods_issue_ids"
        )

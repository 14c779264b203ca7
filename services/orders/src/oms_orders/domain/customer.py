"""Customers: their terms, credit limit, and the open balance learnt from billing."""

from __future__ import annotations

from decimal import Decimal

from eventsourcing.domain import Aggregate, event

from oms_orders.domain.pricing import ZERO, cents

#: The languages a customer is served in (documents, messages).
LANGUAGES = ("pt", "es", "pl", "en", "de")
#: How a customer is invoiced: one invoice per goods issue, or on demand from the goods
#: issues the back office chooses (DESIGN section 15).
INVOICING = ("per_goods_issue", "on_demand")
DEFAULT_INVOICING = "per_goods_issue"


class Customer(Aggregate):
    # Events (their names are part of the stored events' topics: never rename one) ------

    class CustomerRegistered(Aggregate.Created):
        name: str
        tax_id: str
        email: str
        credit_limit: Decimal
        currency: str
        payment_terms_days: list[int]
        sales_rep_id: str | None
        language: str | None
        #: A Mexican company's customer (his ``tax_id`` is his RFC): c_RegimenFiscal, his
        #: fiscal address's postal code and c_UsoCFDI (DESIGN section 10).
        fiscal_regime: str | None = None
        postal_code: str | None = None
        cfdi_use: str | None = None
        invoicing: str = DEFAULT_INVOICING

    class CustomerUpdated(Aggregate.Event):
        """The fields that changed; the others are None."""

        name: str | None
        email: str | None
        credit_limit: Decimal | None
        payment_terms_days: list[int] | None
        sales_rep_id: str | None
        language: str | None
        tax_id: str | None = None
        fiscal_regime: str | None = None
        postal_code: str | None = None
        cfdi_use: str | None = None
        invoicing: str | None = None

    class ReceivableRecorded(Aggregate.Event):
        receivable_id: str
        amount: Decimal

    class PaymentRecorded(Aggregate.Event):
        payment_id: str
        amount: Decimal

    @event(CustomerRegistered)
    def __init__(
        self,
        name: str,
        tax_id: str,
        email: str,
        credit_limit: Decimal,
        currency: str,
        payment_terms_days: list[int],
        sales_rep_id: str | None,
        language: str | None,
        fiscal_regime: str | None = None,
        postal_code: str | None = None,
        cfdi_use: str | None = None,
        invoicing: str = DEFAULT_INVOICING,
    ) -> None:
        self.name = name
        self.tax_id = tax_id
        self.email = email
        self.credit_limit = credit_limit
        self.currency = currency
        self.payment_terms_days = list(payment_terms_days)
        self.sales_rep_id = sales_rep_id
        self.language = language
        self.fiscal_regime = fiscal_regime
        self.postal_code = postal_code
        self.cfdi_use = cfdi_use
        self.invoicing = invoicing
        self.open_balance = ZERO

    @property
    def customer_id(self) -> str:
        return str(self.id)

    @event(CustomerUpdated)
    def update(
        self,
        name: str | None = None,
        email: str | None = None,
        credit_limit: Decimal | None = None,
        payment_terms_days: list[int] | None = None,
        sales_rep_id: str | None = None,
        language: str | None = None,
        tax_id: str | None = None,
        fiscal_regime: str | None = None,
        postal_code: str | None = None,
        cfdi_use: str | None = None,
        invoicing: str | None = None,
    ) -> None:
        if name is not None:
            self.name = name
        if email is not None:
            self.email = email
        if credit_limit is not None:
            self.credit_limit = credit_limit
        if payment_terms_days is not None:
            self.payment_terms_days = list(payment_terms_days)
        if sales_rep_id is not None:
            self.sales_rep_id = sales_rep_id
        if language is not None:
            self.language = language
        if tax_id is not None:
            self.tax_id = tax_id
        if fiscal_regime is not None:
            self.fiscal_regime = fiscal_regime
        if postal_code is not None:
            self.postal_code = postal_code
        if cfdi_use is not None:
            self.cfdi_use = cfdi_use
        if invoicing is not None:
            self.invoicing = invoicing

    @event(ReceivableRecorded)
    def record_receivable(self, receivable_id: str, amount: Decimal) -> None:
        """Billing opened a receivable: the open balance goes up."""
        self.open_balance = cents(self.open_balance + amount)

    @event(PaymentRecorded)
    def record_payment(self, payment_id: str, amount: Decimal) -> None:
        """Billing received a payment: the open balance goes down."""
        self.open_balance = cents(self.open_balance - amount)

    def credit_problem(self, amount: Decimal) -> str | None:
        """Why ``amount`` more would pass the credit limit, or None when it fits."""
        if self.open_balance + amount <= self.credit_limit:
            return None
        return (
            f"credit limit exceeded: open balance {self.open_balance} + order {amount} "
            f"> limit {self.credit_limit}"
        )

"""Customers: their terms, credit limit, the open balance learnt from billing, and the
orders that passed the credit check and are not invoiced yet (DESIGN section 15).

The credit a customer uses is his open receivables plus those unbilled orders. Every
placement or release that passes the check records its amount here, so two placements at
the same moment change the same customer: optimistic concurrency on his version lets one
save and makes the other run again on the fresh balance."""

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
        #: The price list his lines are priced by when entered without a price.
        price_list_id: str | None = None

    class ReceivableRecorded(Aggregate.Event):
        receivable_id: str
        amount: Decimal
        #: The invoiced order: what is invoiced of it no longer counts as unbilled.
        order_id: str | None = None

    class CreditCommitted(Aggregate.Event):
        """An order passed the credit check: its amount counts until it is invoiced."""

        order_id: str
        amount: Decimal

    class CreditReleased(Aggregate.Event):
        """An order was cancelled: what was unbilled of it no longer counts."""

        order_id: str

    class PaymentRecorded(Aggregate.Event):
        payment_id: str
        amount: Decimal

    class ReceivableReduced(Aggregate.Event):
        """Billing cancelled an invoice or issued a credit note (``reference``: the one or
        the other): ``amount`` is no longer owed."""

        reference: str
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
        self.price_list_id: str | None = None
        self.open_balance = ZERO
        #: Orders that passed the credit check, by id: the amount not invoiced yet.
        self.unbilled: dict[str, Decimal] = {}

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
        price_list_id: str | None = None,
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
        if price_list_id is not None:
            self.price_list_id = price_list_id

    @event(ReceivableRecorded)
    def record_receivable(
        self, receivable_id: str, amount: Decimal, order_id: str | None = None
    ) -> None:
        """Billing opened a receivable: the open balance goes up, and what was unbilled of
        its order goes down by as much (one move: the amount is never counted twice)."""
        self.open_balance = cents(self.open_balance + amount)
        if order_id is not None and order_id in self.unbilled:
            left = cents(self.unbilled[order_id] - amount)
            if left > 0:
                self.unbilled[order_id] = left
            else:
                del self.unbilled[order_id]

    @event(PaymentRecorded)
    def record_payment(self, payment_id: str, amount: Decimal) -> None:
        """Billing received a payment: the open balance goes down."""
        self.open_balance = cents(self.open_balance - amount)

    @event(ReceivableReduced)
    def reduce_receivable(self, reference: str, amount: Decimal) -> None:
        """An invoice cancelled or credited: the open balance goes down by what it took off."""
        self.open_balance = cents(self.open_balance - amount)

    def commit_credit(self, order_id: str, amount: Decimal) -> None:
        """The order passed the credit check: ``amount`` counts until invoiced."""
        if self.unbilled.get(order_id) != amount:
            self._commit_credit(order_id=order_id, amount=amount)

    def release_credit(self, order_id: str) -> None:
        """The order was cancelled: what was unbilled of it counts no more."""
        if order_id in self.unbilled:
            self._release_credit(order_id=order_id)

    @event(CreditCommitted)
    def _commit_credit(self, order_id: str, amount: Decimal) -> None:
        self.unbilled[order_id] = amount

    @event(CreditReleased)
    def _release_credit(self, order_id: str) -> None:
        self.unbilled.pop(order_id, None)

    @property
    def unbilled_orders(self) -> Decimal:
        """The amount of the orders that passed the credit check, not invoiced yet."""
        return cents(sum(self.unbilled.values(), ZERO))

    def credit_problem(self, amount: Decimal, order_id: str | None = None) -> str | None:
        """Why ``amount`` more would pass the credit limit, or None when it fits: the
        open balance plus the unbilled orders (but ``order_id``'s own, when it is that
        order's amount being checked again) plus ``amount``."""
        unbilled = cents(sum((v for k, v in self.unbilled.items() if k != order_id), ZERO))
        if self.open_balance + unbilled + amount <= self.credit_limit:
            return None
        orders = f" + unbilled orders {unbilled}" if unbilled else ""
        return (
            f"credit limit exceeded: open balance {self.open_balance}{orders} + order {amount} "
            f"> limit {self.credit_limit}"
        )

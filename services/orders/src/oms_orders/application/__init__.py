"""The orders service's use cases: one Application method per command."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import RecordConflictError
from oms_kit.commands import retry_on_conflict
from oms_kit.eventstore import ServiceApplication

from oms_orders.domain.customer import Customer
from oms_orders.domain.errors import AlreadyExists, Conflict, InvalidInput, NotFound
from oms_orders.domain.order import Order
from oms_orders.domain.pricing import LineRequest, cents, price_line
from oms_orders.domain.product import Product
from oms_orders.domain.quote import Quote

T = TypeVar("T", bound=Aggregate)

#: Namespace of the ids of orders placed with an ``Idempotency-Key``.
IDEMPOTENT_ORDERS = UUID("0b5e8f8e-7a39-4c55-9d0c-5f3f6f1d2a71")


def parse_id(value: str) -> UUID | None:
    """The UUID in ``value``, or None when it is not one (then nothing has that id)."""
    try:
        return UUID(value)
    except (ValueError, TypeError, AttributeError):
        return None


class OrdersApplication(ServiceApplication):
    name = "orders"

    # Loading ------------------------------------------------------------------------------

    def find(self, cls: type[T], aggregate_id: str | UUID) -> T | None:
        """The aggregate of type ``cls`` with that id, or None."""
        uid = aggregate_id if isinstance(aggregate_id, UUID) else parse_id(aggregate_id)
        if uid is None:
            return None
        try:
            aggregate: Aggregate = self.repository.get(uid)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def get_customer(self, customer_id: str) -> Customer:
        customer = self.find(Customer, customer_id)
        if customer is None:
            raise NotFound(f"no customer {customer_id}", field="customer_id")
        return customer

    def get_product(self, sku: str) -> Product:
        product = self.find(Product, Product.create_id(sku))
        if product is None:
            raise NotFound(f"no product {sku}", field="sku")
        return product

    def get_order(self, order_id: str) -> Order:
        order = self.find(Order, order_id)
        if order is None:
            raise NotFound(f"no order {order_id}", field="order_id")
        return order

    # Customers and products ---------------------------------------------------------------

    def register_customer(
        self,
        *,
        name: str,
        tax_id: str,
        email: str,
        credit_limit: Decimal,
        payment_terms_days: Sequence[int],
        currency: str = "EUR",
        sales_rep_id: str | None = None,
        language: str | None = None,
    ) -> Customer:
        if not name.strip():
            raise InvalidInput("name must not be empty", field="name")
        if not tax_id.strip():
            raise InvalidInput("tax_id must not be empty", field="tax_id")
        if credit_limit < 0:
            raise InvalidInput("credit_limit must not be negative", field="credit_limit")
        if any(days <= 0 for days in payment_terms_days):
            raise InvalidInput("payment terms must be positive", field="payment_terms_days")
        customer = Customer(
            name=name.strip(),
            tax_id=tax_id.strip(),
            email=email,
            credit_limit=cents(credit_limit),
            currency=currency,
            payment_terms_days=list(payment_terms_days),
            sales_rep_id=sales_rep_id,
            language=language,
        )
        self.save(customer)
        return customer

    @retry_on_conflict
    def update_customer(self, customer_id: str, **changes: Any) -> Customer:
        customer = self.get_customer(customer_id)
        changes = {k: v for k, v in changes.items() if v is not None}
        if "credit_limit" in changes:
            if changes["credit_limit"] < 0:
                raise InvalidInput("credit_limit must not be negative", field="credit_limit")
            changes["credit_limit"] = cents(changes["credit_limit"])
        if any(days <= 0 for days in changes.get("payment_terms_days", [])):
            raise InvalidInput("payment terms must be positive", field="payment_terms_days")
        if changes:
            customer.update(**changes)
            self.save(customer)
        return customer

    def define_product(
        self, *, sku: str, name: str, unit_price: Decimal, currency: str, tax_rate: Decimal
    ) -> Product:
        if self.find(Product, Product.create_id(sku)) is not None:
            raise AlreadyExists(f"product {sku} exists already", field="sku")
        product = Product(
            sku=sku, name=name, unit_price=unit_price, currency=currency, tax_rate=tax_rate
        )
        self.save(product)
        return product

    # Orders -------------------------------------------------------------------------------

    def price_lines(self, customer: Customer, lines: Sequence[LineRequest]) -> list[dict[str, Any]]:
        """Priced lines in the customer's currency; unknown skus name their line."""
        priced = []
        for index, request in enumerate(lines):
            product = self.find(Product, Product.create_id(request.sku))
            if product is None:
                raise InvalidInput(f"unknown sku {request.sku}", field=f"lines.{index}.sku")
            priced.append(price_line(index, request, product.catalogue_entry(), customer.currency))
        return priced

    def place_order(
        self,
        *,
        customer_id: str,
        lines: Sequence[LineRequest],
        origin: str = "backoffice",
        quote_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Order:
        """Place an order. With an ``idempotency_key`` the order's id derives from it, so
        the same request again (a client retrying after a lost response) returns the
        order placed the first time and places nothing."""
        order_id = uuid5(IDEMPOTENT_ORDERS, idempotency_key) if idempotency_key else None
        if idempotency_key and (earlier := self.idempotent_order(idempotency_key)) is not None:
            return earlier
        customer = self.find(Customer, customer_id)
        if customer is None:
            raise InvalidInput(f"unknown customer {customer_id}", field="customer_id")
        order = Order.place(
            customer, self.price_lines(customer, lines), origin, quote_id, order_id=order_id
        )
        try:
            self.save(order)
        except RecordConflictError:
            if order_id is None or (earlier := self.find(Order, order_id)) is None:
                raise
            return earlier  # the same request, placed concurrently
        return order

    def idempotent_order(self, idempotency_key: str) -> Order | None:
        """The order placed earlier with this ``Idempotency-Key``, if any."""
        return self.find(Order, uuid5(IDEMPOTENT_ORDERS, idempotency_key))

    @retry_on_conflict
    def approve_order(self, order_id: str, approved_by: str | None = None) -> Order:
        order = self.get_order(order_id)
        order.approve(self.get_customer(order.customer_id), approved_by)
        self.save(order)
        return order

    @retry_on_conflict
    def cancel_order(self, order_id: str, reason: str) -> Order:
        order = self.get_order(order_id)
        order.cancel(reason)
        self.save(order)
        return order

    # Quotes -------------------------------------------------------------------------------

    def get_quote(self, quote_id: str) -> Quote:
        quote = self.find(Quote, quote_id)
        if quote is None:
            raise NotFound(f"no quote {quote_id}", field="quote_id")
        return quote

    def create_quote(
        self,
        *,
        customer_id: str,
        lines: Sequence[LineRequest],
        valid_until: date | None = None,
        today: date | None = None,
    ) -> Quote:
        customer = self.find(Customer, customer_id)
        if customer is None:
            raise InvalidInput(f"unknown customer {customer_id}", field="customer_id")
        quote = Quote.draft(
            customer.customer_id,
            customer.currency,
            self.price_lines(customer, lines),
            valid_until,
            today or _today(),
        )
        self.save(quote)
        return quote

    @retry_on_conflict
    def revise_quote(self, quote_id: str, lines: Sequence[LineRequest]) -> Quote:
        quote = self.get_quote(quote_id)
        quote.revise(self.price_lines(self.get_customer(quote.customer_id), lines))
        self.save(quote)
        return quote

    def duplicate_quote(self, quote_id: str, today: date | None = None) -> Quote:
        """A new draft with the same customer and lines (and no validity date)."""
        source = self.get_quote(quote_id)
        quote = Quote.draft(
            source.customer_id,
            source.currency,
            source.lines,
            None,
            today or _today(),
            duplicated_from=source.quote_id,
        )
        self.save(quote)
        return quote

    @retry_on_conflict
    def send_quote(self, quote_id: str, today: date | None = None) -> Quote:
        quote = self._valid_quote(quote_id, today)
        quote.send(self.get_customer(quote.customer_id).email)
        self.save(quote)
        return quote

    @retry_on_conflict
    def accept_quote(self, quote_id: str, today: date | None = None) -> tuple[Quote, Order]:
        """Accept the quote and place its order (origin "quote"), saved together."""
        quote = self._valid_quote(quote_id, today)
        customer = self.get_customer(quote.customer_id)
        order = Order.place(customer, quote.lines, origin="quote", quote_id=quote.quote_id)
        quote.accept(order.order_id)
        self.save(quote, order)
        return quote, order

    @retry_on_conflict
    def reject_quote(self, quote_id: str, reason: str | None) -> Quote:
        quote = self.get_quote(quote_id)
        quote.reject(reason)
        self.save(quote)
        return quote

    @retry_on_conflict
    def expire_quote(self, quote_id: str) -> Quote:
        quote = self.get_quote(quote_id)
        quote.expire()
        self.save(quote)
        return quote

    def _valid_quote(self, quote_id: str, today: date | None) -> Quote:
        """The quote; one whose validity has passed is expired (and saved) and refused."""
        quote = self.get_quote(quote_id)
        if quote.status in ("draft", "sent") and quote.is_past_validity(today or _today()):
            quote.expire()
            self.save(quote)
            raise Conflict(f"quote expired on {quote.valid_until}", field="valid_until")
        return quote

    # History ------------------------------------------------------------------------------

    def order_history(self, order_id: str) -> list[HistoryEntry]:
        """Every change of the order, oldest first, with who made it."""
        order = self.get_order(order_id)
        entries = []
        for stored in self.recorder.select_events(order.id):
            domain_event: Any = self.mapper.to_domain_event(stored)
            meta = self.metadata_mapper.metadata(stored)
            data = {
                key: plain(value)
                for key, value in vars(domain_event).items()
                if key not in HIDDEN_EVENT_FIELDS
            }
            entries.append(
                HistoryEntry(
                    event_type=type(domain_event).__name__,
                    occurred_at=domain_event.timestamp,
                    actor=meta.get("actor"),
                    data=data,
                )
            )
        return entries


HIDDEN_EVENT_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic"}
)


@dataclass(frozen=True)
class HistoryEntry:
    event_type: str
    occurred_at: datetime
    actor: str | None
    data: dict[str, Any]


def plain(value: Any) -> Any:
    """``value`` as JSON values: decimals as strings, times in ISO 8601."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _today() -> date:
    return datetime.now(UTC).date()

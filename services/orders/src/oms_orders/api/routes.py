"""Routes of the orders service: each reads a view or an aggregate, or calls one
Application command. Errors are the kit's domain errors (its one error map answers).

Every route allows the roles ``api/scope.py`` lists (403 for the others) and reaches
records through the caller's ``Reach`` (404 outside it); every list query takes the
caller's scope."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from oms_kit.auth import Caller, CurrentUser, Scope, allow
from oms_kit.http import Paging

from oms_orders.api.models import (
    CreditNotePublic,
    CustomerCreate,
    CustomerPublic,
    CustomerUpdate,
    HistoryItemPublic,
    HistoryPublic,
    InstallmentPublic,
    InvoicePublic,
    LineCreate,
    LinePublic,
    OrderCancel,
    OrderCreate,
    OrderListPublic,
    OrderPublic,
    OrderStatusPublic,
    OrderSummaryPublic,
    ProductCreate,
    ProductPublic,
    QuoteAcceptedPublic,
    QuoteCreate,
    QuoteListPublic,
    QuotePublic,
    QuoteReject,
    QuoteRevise,
    QuoteSummaryPublic,
    ShipmentPublic,
    StatusTotalPublic,
)
from oms_orders.api.params import parse_when
from oms_orders.api.scope import (
    BACK_OFFICE_ONLY,
    QUOTE_WRITERS,
    SELLERS_AND_BUYERS,
    Reach,
)
from oms_orders.application import OrdersApplication
from oms_orders.domain.customer import Customer
from oms_orders.domain.order import Order
from oms_orders.domain.pricing import LineRequest
from oms_orders.domain.product import Product
from oms_orders.domain.quote import Quote
from oms_orders.projections.order_list import OrderFilter, OrderListView
from oms_orders.projections.quote_list import QuoteFilter, QuoteListView


def customer_public(customer: Customer) -> CustomerPublic:
    return CustomerPublic(
        customer_id=customer.customer_id,
        name=customer.name,
        tax_id=customer.tax_id,
        email=customer.email,
        credit_limit=customer.credit_limit,
        currency=customer.currency,
        payment_terms_days=customer.payment_terms_days,
        sales_rep_id=customer.sales_rep_id,
        language=customer.language,
        open_balance=customer.open_balance,
        unbilled_orders=customer.unbilled_orders,
        fiscal_regime=customer.fiscal_regime,
        postal_code=customer.postal_code,
        cfdi_use=customer.cfdi_use,
        invoicing=customer.invoicing,
        price_list_id=customer.price_list_id,
    )


def product_public(product: Product) -> ProductPublic:
    return ProductPublic(
        sku=product.sku,
        name=product.name,
        unit_price=product.unit_price,
        currency=product.currency,
        tax_rate=product.tax_rate,
        sat_product_key=product.sat_product_key,
        sat_unit_key=product.sat_unit_key,
    )


def order_public(order: Order) -> OrderPublic:
    return OrderPublic(
        order_id=order.order_id,
        customer_id=order.customer_id,
        status=order.status,
        status_reason=order.status_reason,
        stock_status=order.stock_status,
        origin=order.origin,
        external_order_id=order.external_order_id,
        currency=order.currency,
        quote_id=order.quote_id,
        issued_at=order.created_on,
        lines=[LinePublic.model_validate(line) for line in order.lines],
        net_total=order.net_total,
        tax_total=order.tax_total,
        total=order.total,
        invoiced_amount=order.invoiced_amount,
        paid_amount=order.paid_amount,
        invoices=[InvoicePublic.model_validate(i) for i in order.invoices],
        credited_amount=order.credited_amount,
        credit_notes=[CreditNotePublic.model_validate(n) for n in order.credit_notes],
        shipments=[ShipmentPublic.model_validate(s) for s in order.shipments_with_tracking()],
        installments=[InstallmentPublic.model_validate(i) for i in order.installments],
        channel=order.channel,
        buyer=order.buyer,
        ship_to=order.ship_to,
        note=order.note,
    )


def order_status(order: Order) -> OrderStatusPublic:
    return OrderStatusPublic(
        order_id=order.order_id, status=order.status, status_reason=order.status_reason
    )


def quote_public(quote: Quote) -> QuotePublic:
    return QuotePublic(
        quote_id=quote.quote_id,
        customer_id=quote.customer_id,
        status=quote.status,
        status_reason=quote.status_reason,
        revision=quote.revision,
        currency=quote.currency,
        valid_until=quote.valid_until,
        lines=[LinePublic.model_validate(line) for line in quote.lines],
        net_total=quote.net_total,
        tax_total=quote.tax_total,
        total=quote.total,
        order_id=quote.order_id,
        duplicated_from=quote.duplicated_from,
    )


def status_totals(totals: Mapping[str, Any]) -> dict[str, StatusTotalPublic]:
    """A list's ``totals_by_status`` (the kit's ``totals_by_status`` of its view)."""
    return {status: StatusTotalPublic.model_validate(total) for status, total in totals.items()}


def line_requests(lines: list[LineCreate]) -> list[LineRequest]:
    return [LineRequest(**line.model_dump()) for line in lines]


#: The ``Idempotency-Key`` header of a POST that makes something (DESIGN section 5).
IdempotencyKey = Annotated[str | None, Header(min_length=1, max_length=200)]


def callers_key(caller: Caller, idempotency_key: str | None) -> str | None:
    """A key is the caller's own: another caller's same key is another request."""
    return f"{caller.subject}\n{idempotency_key}" if idempotency_key else None


def build_router(
    app: OrdersApplication, order_list: OrderListView, quote_list: QuoteListView
) -> APIRouter:
    """The routes, bound to the service's Application and read models."""
    router = APIRouter(tags=["orders"])

    back_office_only = [allow(*BACK_OFFICE_ONLY)]
    sellers_and_buyers = [allow(*SELLERS_AND_BUYERS)]
    quote_writers = [allow(*QUOTE_WRITERS)]

    # Customers and products ---------------------------------------------------------------

    @router.post("/customers", status_code=201, dependencies=back_office_only)
    def register_customer(body: CustomerCreate) -> CustomerPublic:
        customer = app.register_customer(**body.model_dump())
        return customer_public(customer)

    @router.get("/customers/{customer_id}", dependencies=sellers_and_buyers)
    def get_customer(customer_id: str, caller: CurrentUser) -> CustomerPublic:
        return customer_public(Reach(app, caller).customer(customer_id))

    @router.patch("/customers/{customer_id}", dependencies=back_office_only)
    def update_customer(customer_id: str, body: CustomerUpdate) -> CustomerPublic:
        customer = app.update_customer(customer_id, **body.model_dump(exclude_unset=True))
        return customer_public(customer)

    @router.post("/products", status_code=201, dependencies=back_office_only)
    def define_product(body: ProductCreate) -> ProductPublic:
        return product_public(app.define_product(**body.model_dump()))

    # GET /products and /products/{sku}: api/catalogue.py

    # Orders -------------------------------------------------------------------------------

    @router.post("/orders", status_code=201, dependencies=sellers_and_buyers)
    def place_order(
        body: OrderCreate,
        response: Response,
        caller: CurrentUser,
        idempotency_key: IdempotencyKey = None,
    ) -> OrderPublic:
        """Place an order for a customer within reach; its origin follows the caller (a
        rep's "rep", a customer's "portal", both waiting for approval). The same
        ``Idempotency-Key`` from the same caller again returns the order placed the first
        time (header ``idempotent-replay: true``) and places nothing."""
        reach = Reach(app, caller)
        origin = reach.origin(body.origin)
        reach.named_customer(body.customer_id)
        key = callers_key(caller, idempotency_key)
        earlier = app.idempotent_order(key) if key else None
        if earlier is not None:
            response.headers["idempotent-replay"] = "true"
            return order_public(reach.order(earlier.order_id))
        order = app.place_order(
            customer_id=body.customer_id,
            lines=line_requests(body.lines),
            origin=origin,
            expected_delivery_date=body.expected_delivery_date,
            idempotency_key=key,
        )
        return order_public(order)

    @router.get("/orders", dependencies=sellers_and_buyers)
    def list_orders(
        caller: CurrentUser,
        paging: Paging,
        status: str | None = None,
        customer_id: str | None = None,
        origin: str | None = None,
        external_order_id: str | None = None,
        issued_from: str | None = None,
        issued_to: str | None = None,
        invoice_number: str | None = None,
        due_from: date | None = None,
        due_to: date | None = None,
    ) -> OrderListPublic:
        """Newest first, with totals per status over the whole filtered list (both
        within reach). ``due_from``/``due_to``: an installment of the order's receivables
        falls due between them (both days in)."""
        order_filter = OrderFilter(
            status=status,
            customer_id=customer_id,
            origin=origin,
            external_order_id=external_order_id,
            issued_from=parse_when(issued_from, "issued_from", end=False),
            issued_before=parse_when(issued_to, "issued_to", end=True),
            invoice_number=invoice_number,
            due_from=due_from,
            due_to=due_to,
        )
        page = order_list.list_orders(order_filter, paging, Scope.of(caller))
        return OrderListPublic(
            items=[OrderSummaryPublic.model_validate(item) for item in page.items],
            totals_by_status=status_totals(page.totals),
            next_cursor=page.next_cursor,
        )

    @router.get("/orders/{order_id}", dependencies=sellers_and_buyers)
    def get_order(order_id: str, caller: CurrentUser) -> OrderPublic:
        return order_public(Reach(app, caller).order(order_id))

    @router.get("/orders/{order_id}/history", dependencies=sellers_and_buyers)
    def get_order_history(order_id: str, caller: CurrentUser) -> HistoryPublic:
        """Every change, oldest first; ``actor`` is the subject of the token that made it,
        or ``service:<name>`` for what another service's event changed."""
        Reach(app, caller).order(order_id)
        return HistoryPublic(
            items=[
                HistoryItemPublic(
                    event_type=e.event_type, occurred_at=e.occurred_at, actor=e.actor, data=e.data
                )
                for e in app.order_history(order_id)
            ]
        )

    @router.post("/orders/{order_id}/approve", dependencies=back_office_only)
    def approve_order(order_id: str, caller: CurrentUser) -> OrderStatusPublic:
        return order_status(app.approve_order(order_id, approved_by=caller.subject))

    @router.post("/orders/{order_id}/cancel", dependencies=back_office_only)
    def cancel_order(order_id: str, body: OrderCancel | None = None) -> OrderStatusPublic:
        reason = (body or OrderCancel()).reason
        return order_status(app.cancel_order(order_id, reason))

    # Quotes -------------------------------------------------------------------------------

    @router.post("/quotes", status_code=201, dependencies=quote_writers)
    def create_quote(
        body: QuoteCreate,
        response: Response,
        caller: CurrentUser,
        idempotency_key: IdempotencyKey = None,
    ) -> QuotePublic:
        """Draft a quote for a customer within reach. The same ``Idempotency-Key`` from the
        same caller again returns the quote drafted the first time (header
        ``idempotent-replay: true``) and drafts nothing, as ``POST /orders`` does."""
        reach = Reach(app, caller)
        reach.named_customer(body.customer_id)
        key = callers_key(caller, idempotency_key)
        earlier = app.idempotent_quote(key) if key else None
        if earlier is not None:
            response.headers["idempotent-replay"] = "true"
            return quote_public(reach.quote(earlier.quote_id))
        quote = app.create_quote(
            customer_id=body.customer_id,
            lines=line_requests(body.lines),
            valid_until=body.valid_until,
            idempotency_key=key,
        )
        return quote_public(quote)

    @router.get("/quotes", dependencies=sellers_and_buyers)
    def list_quotes(
        caller: CurrentUser,
        paging: Paging,
        status: str | None = None,
        customer_id: str | None = None,
        issued_from: str | None = None,
        issued_to: str | None = None,
    ) -> QuoteListPublic:
        """Newest first, with totals per status over the whole filtered list (both
        within reach), as ``GET /orders``."""
        quote_filter = QuoteFilter(
            status=status,
            customer_id=customer_id,
            issued_from=parse_when(issued_from, "issued_from", end=False),
            issued_before=parse_when(issued_to, "issued_to", end=True),
        )
        page = quote_list.list_quotes(quote_filter, paging, Scope.of(caller))
        return QuoteListPublic(
            items=[QuoteSummaryPublic.model_validate(item) for item in page.items],
            totals_by_status=status_totals(page.totals),
            next_cursor=page.next_cursor,
        )

    @router.get("/quotes/{quote_id}", dependencies=sellers_and_buyers)
    def get_quote(quote_id: str, caller: CurrentUser) -> QuotePublic:
        return quote_public(Reach(app, caller).quote(quote_id))

    @router.post("/quotes/{quote_id}/revise", dependencies=quote_writers)
    def revise_quote(quote_id: str, body: QuoteRevise, caller: CurrentUser) -> QuotePublic:
        Reach(app, caller).quote(quote_id)
        return quote_public(app.revise_quote(quote_id, line_requests(body.lines)))

    @router.post("/quotes/{quote_id}/duplicate", status_code=201, dependencies=quote_writers)
    def duplicate_quote(quote_id: str, caller: CurrentUser) -> QuotePublic:
        Reach(app, caller).quote(quote_id)
        return quote_public(app.duplicate_quote(quote_id))

    @router.post("/quotes/{quote_id}/send", dependencies=quote_writers)
    def send_quote(quote_id: str, caller: CurrentUser) -> QuotePublic:
        Reach(app, caller).quote(quote_id)
        return quote_public(app.send_quote(quote_id))

    @router.post("/quotes/{quote_id}/accept", dependencies=back_office_only)
    def accept_quote(quote_id: str) -> QuoteAcceptedPublic:
        quote, order = app.accept_quote(quote_id)
        return QuoteAcceptedPublic(
            quote_id=quote.quote_id,
            status=quote.status,
            order_id=order.order_id,
            order_status=order.status,
        )

    @router.post("/quotes/{quote_id}/reject", dependencies=back_office_only)
    def reject_quote(quote_id: str, body: QuoteReject | None = None) -> QuotePublic:
        return quote_public(app.reject_quote(quote_id, (body or QuoteReject()).reason))

    @router.post("/quotes/{quote_id}/expire", dependencies=back_office_only)
    def expire_quote(quote_id: str) -> QuotePublic:
        return quote_public(app.expire_quote(quote_id))

    return router

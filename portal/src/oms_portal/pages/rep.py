"""The sales rep area (seed 000): his customers (search, paging, each with its open
balance from billing's statement), a customer's page with his statement, orders and
proposals; a new proposal or order for one of them with the stock available on each
line, placed with an Idempotency-Key (a second click makes nothing more), then sent; his
stock alerts (an e-mail when a product is back); his orders with their approval, invoice
and payment; his commissions in the three views.

Every call carries the rep's own token: the services keep him to his portfolio (another
rep's customer, proposal or order answers 404, and so does the portal)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from oms_portal.clients import JSON, NotFound, Refused
from oms_portal.pages import RepSession, portal, redirect, render
from oms_portal.pages.customer import (
    ORDER_STATUSES,
    a_date,
    optional,
    page_url,
    pager_of,
    product_names,
)

router = APIRouter(prefix="/rep")

#: Orders and proposals on a customer's page.
LATEST = 5
#: Line rows of the new proposal or order form (blank rows to fill; at most this many).
BLANK_ROWS = 3
MAX_ROWS = 10
KINDS = ("quote", "order")
COMMISSION_VIEWS = ("to_invoice", "invoiced", "paid")
ZERO = Decimal(0)
#: What a form's redirect may report on the page it lands on (by name, never free text).
NOTICES = {
    "quote_created": "rep_quote.created",
    "quote_sent": "rep_quote.sent_notice",
    "order_placed": "rep_order.placed",
    "alert_requested": "rep_alerts.requested",
}
PROBLEMS = {
    "refused": "error.refused",
    "sku_missing": "rep_alerts.sku_missing",
    "unknown_sku": "rep_alerts.unknown_sku",
}


# --- customers ------------------------------------------------------------------------------


async def balance_of(request: Request, token: str, customer: JSON) -> Decimal:
    """The customer's open balance (billing's statement); a customer without invoices yet
    has no statement: nothing open."""
    statement = await optional(
        portal(request).clients.billing.statement(token, customer["customer_id"])
    )
    return Decimal(str(statement["balance"])) if statement else ZERO


@router.get("")
async def home(session: RepSession) -> Response:
    return redirect("/rep/customers")


@router.get("/customers")
async def list_customers(
    request: Request, session: RepSession, q: str | None = None, cursor: str | None = None
) -> Response:
    clients = portal(request).clients
    token = session.token or ""
    search = (q or "").strip()[:100] or None
    try:
        page = await clients.orders.customers(
            token, q=search, limit=portal(request).settings.page_size, cursor=cursor
        )
    except Refused:  # a cursor of another list, or out of date: the first page
        return redirect(page_url("/rep/customers", q=search))
    customers: list[JSON] = page["items"]
    balances = await asyncio.gather(*(balance_of(request, token, c) for c in customers))
    return render(
        request,
        "rep/customers.html",
        nav="customers",
        customers=[
            {**customer, "balance": balance}
            for customer, balance in zip(customers, balances, strict=True)
        ],
        q=search,
        **pager_of("/rep/customers", cursor, page, q=search),
    )


@router.get("/customers/{customer_id}")
async def show_customer(request: Request, session: RepSession, customer_id: str) -> Response:
    clients = portal(request).clients
    token = session.token or ""
    customer = await clients.orders.customer(token, customer_id)
    found_id = customer["customer_id"]
    statement, orders, quotes = await asyncio.gather(
        optional(clients.billing.statement(token, found_id)),
        clients.orders.orders(token, customer_id=found_id, limit=LATEST),
        clients.orders.quotes(token, customer_id=found_id, limit=LATEST),
    )
    return render(
        request,
        "rep/customer.html",
        nav="customers",
        customer=customer,
        statement=statement,
        orders=orders["items"],
        quotes=quotes["items"],
    )


# --- a new proposal or order ----------------------------------------------------------------


@dataclass
class LineInput:
    """One row of the form, as typed (kept to show it again), and what the portal found
    of it: the product's name and the stock available."""

    sku: str = ""
    quantity: str = ""
    discount: str = ""
    note: str = ""
    name: str | None = None
    available: Decimal | None = None
    unknown: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def blank(self) -> bool:
        return not (self.sku or self.quantity or self.discount or self.note)

    @property
    def short(self) -> bool:
        """Less stock available than asked for."""
        wanted = _decimal(self.quantity)
        return self.available is not None and wanted is not None and wanted > self.available

    def body(self) -> JSON:
        line: JSON = {"sku": self.sku, "quantity": _number(self.quantity)}
        if self.discount:
            line["discount_percent"] = self.discount
        if self.note:
            line["note"] = self.note
        return line


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _number(text: str) -> str:
    value = _decimal(text)
    return str(value) if value is not None else text


def read_lines(form: FormData) -> list[LineInput]:
    lines = []
    for row in range(MAX_ROWS):
        line = LineInput(
            sku=str(form.get(f"sku_{row}") or "").strip()[:64],
            quantity=str(form.get(f"quantity_{row}") or "").strip()[:20],
            discount=str(form.get(f"discount_{row}") or "").strip()[:10],
            note=str(form.get(f"note_{row}") or "").strip()[:500],
        )
        if not line.blank:
            lines.append(line)
    return lines


def check_line(line: LineInput) -> None:
    """What the portal can tell before the service does (the service checks again)."""
    if not line.sku:
        line.problems.append("rep_new.sku_required")
    quantity = _decimal(line.quantity)
    if quantity is None or quantity <= 0:
        line.problems.append("rep_new.quantity_invalid")
    if line.discount:
        discount = _decimal(line.discount)
        if discount is None or not ZERO <= discount <= 100:
            line.problems.append("rep_new.discount_invalid")
        else:
            line.discount = str(discount)


async def look_up(request: Request, token: str, lines: list[LineInput]) -> None:
    """Each line's product name and the stock available now (none received: 0)."""
    clients = portal(request).clients
    skus = sorted({line.sku for line in lines if line.sku})
    names = await product_names(request, token, skus)
    stocks = await asyncio.gather(*(optional(clients.inventory.stock(token, sku)) for sku in skus))
    available = {
        sku: Decimal(str(stock["available"])) if stock else ZERO
        for sku, stock in zip(skus, stocks, strict=True)
    }
    for line in lines:
        if not line.sku:
            continue
        line.name = names.get(line.sku)
        line.unknown = line.name is None
        line.available = available.get(line.sku)
        if line.unknown:
            line.problems.append("rep_new.unknown_sku")


def new_form(
    request: Request,
    customer: JSON,
    kind: str,
    submission: str,
    lines: list[LineInput],
    checked: bool,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    rows = lines + [LineInput() for _ in range(max(0, min(BLANK_ROWS, MAX_ROWS - len(lines))))]
    return render(
        request,
        "rep/new.html",
        status_code=status_code,
        nav="customers",
        customer=customer,
        kind=kind,
        submission=submission,
        rows=rows,
        checked=checked,
        problem=problem,
    )


@router.get("/customers/{customer_id}/new")
async def new_quote_or_order(
    request: Request, session: RepSession, customer_id: str, kind: str = "quote"
) -> Response:
    customer = await portal(request).clients.orders.customer(session.token or "", customer_id)
    return new_form(
        request,
        customer,
        kind if kind in KINDS else "quote",
        submission=uuid.uuid4().hex,
        lines=[],
        checked=False,
    )


@router.post("/customers/{customer_id}/new")
async def check_or_create(request: Request, session: RepSession, customer_id: str) -> Response:
    """``action=check`` shows the form again with each line's product and availability;
    ``action=create`` makes the proposal or places the order. The form's ``submission``
    is the Idempotency-Key: the same form sent twice makes one."""
    clients = portal(request).clients
    token = session.token or ""
    form = await request.form()
    customer = await clients.orders.customer(token, customer_id)
    kind = str(form.get("kind") or "")
    kind = kind if kind in KINDS else "quote"
    submission = str(form.get("submission") or "")[:64] or uuid.uuid4().hex
    lines = read_lines(form)
    for line in lines:
        check_line(line)
    await look_up(request, token, lines)
    creating = form.get("action") == "create"
    if not creating or not lines or any(line.problems for line in lines):
        problem = None
        if creating:
            problem = "rep_new.no_lines" if not lines else "rep_new.fix_lines"
        return new_form(
            request,
            customer,
            kind,
            submission,
            lines,
            checked=True,
            problem=problem,
            status_code=422 if problem else 200,
        )
    body: JSON = {"customer_id": customer["customer_id"], "lines": [line.body() for line in lines]}
    try:
        if kind == "order":
            order = await clients.orders.place_order(
                token, {**body, "origin": "rep"}, idempotency_key=submission
            )
            return redirect(page_url(f"/rep/orders/{order['order_id']}", done="order_placed"))
        quote = await clients.orders.create_quote(token, body, idempotency_key=submission)
    except Refused:
        return new_form(
            request,
            customer,
            kind,
            submission,
            lines,
            checked=True,
            problem="error.refused",
            status_code=422,
        )
    return redirect(page_url(f"/rep/quotes/{quote['quote_id']}", done="quote_created"))


# --- proposals and orders -------------------------------------------------------------------


async def availability(request: Request, token: str, skus: list[str]) -> dict[str, Decimal]:
    inventory = portal(request).clients.inventory
    stocks = await asyncio.gather(*(optional(inventory.stock(token, sku)) for sku in skus))
    return {
        sku: Decimal(str(stock["available"])) if stock else ZERO
        for sku, stock in zip(skus, stocks, strict=True)
    }


@router.get("/quotes/{quote_id}")
async def show_quote(
    request: Request, session: RepSession, quote_id: str, done: str | None = None
) -> Response:
    orders = portal(request).clients.orders
    token = session.token or ""
    quote = await orders.quote(token, quote_id)
    skus = sorted({line["sku"] for line in quote["lines"]})
    customer, names, available = await asyncio.gather(
        orders.customer(token, quote["customer_id"]),
        product_names(request, token, skus),
        availability(request, token, skus),
    )
    return render(
        request,
        "rep/quote.html",
        nav="customers",
        quote=quote,
        customer=customer,
        names=names,
        available=available,
        can_send=quote["status"] == "draft",
        notice=NOTICES.get(done or ""),
    )


@router.post("/quotes/{quote_id}/send")
async def send_quote(request: Request, session: RepSession, quote_id: str) -> Response:
    orders = portal(request).clients.orders
    token = session.token or ""
    try:
        await orders.send_quote(token, quote_id)
    except Refused:
        # Sent already (a second click, another tab): the proposal as it stands.
        quote = await orders.quote(token, quote_id)
        if quote["status"] != "sent":
            return redirect(f"/rep/quotes/{quote_id}")
    return redirect(page_url(f"/rep/quotes/{quote_id}", done="quote_sent"))


def approval_of(order: JSON) -> str:
    """Where the order stands with its approval."""
    status = str(order["status"])
    if status in ("pending_approval", "on_hold", "cancelled"):
        return status
    return "approved"


def payment_of(invoices: list[JSON]) -> str:
    """Where the order's invoices stand with their payment (a cancelled invoice is owed no
    more and counts as none)."""
    invoices = [i for i in invoices if i.get("status") != "cancelled"]
    if not invoices:
        return "not_invoiced"
    total = sum((Decimal(str(i["total"])) for i in invoices), ZERO)
    open_amount = sum((Decimal(str(i["open_amount"])) for i in invoices), ZERO)
    if open_amount <= 0:
        return "paid"
    if open_amount < total:
        return "partly_paid"
    return "unpaid"


async def invoices_of(request: Request, token: str, orders: list[JSON]) -> dict[str, list[JSON]]:
    """Billing's invoices of each order (only those orders knows to be invoiced)."""
    billing = portal(request).clients.billing
    invoiced = [order["order_id"] for order in orders if order.get("invoice_numbers")]
    found = await asyncio.gather(
        *(optional(billing.invoices(token, order_id=order_id)) for order_id in invoiced)
    )
    return {
        order_id: (listed or {}).get("items", [])
        for order_id, listed in zip(invoiced, found, strict=True)
    }


@router.get("/orders")
async def list_orders(
    request: Request,
    session: RepSession,
    status: str | None = None,
    customer_id: str | None = None,
    issued_from: str | None = None,
    issued_to: str | None = None,
    cursor: str | None = None,
) -> Response:
    clients = portal(request).clients
    token = session.token or ""
    customer = await clients.orders.customer(token, customer_id) if customer_id else None
    filters = {
        "status": status if status in ORDER_STATUSES else None,
        "customer_id": customer["customer_id"] if customer else None,
        "issued_from": a_date(issued_from),
        "issued_to": a_date(issued_to),
    }
    try:
        page = await clients.orders.orders(
            token, limit=portal(request).settings.page_size, cursor=cursor, **filters
        )
    except Refused:
        return redirect(page_url("/rep/orders", **filters))
    orders: list[JSON] = page["items"]
    customer_ids = sorted({order["customer_id"] for order in orders})
    customers, invoices = await asyncio.gather(
        asyncio.gather(*(optional(clients.orders.customer(token, c)) for c in customer_ids)),
        invoices_of(request, token, orders),
    )
    names = {c["customer_id"]: c["name"] for c in customers if c is not None}
    rows = [
        {
            **order,
            "customer_name": names.get(order["customer_id"], ""),
            "approval": approval_of(order),
            "payment": payment_of(invoices.get(order["order_id"], [])),
            "invoices": invoices.get(order["order_id"], []),
        }
        for order in orders
    ]
    return render(
        request,
        "rep/orders.html",
        nav="orders",
        orders=rows,
        customer=customer,
        filters=filters,
        statuses=ORDER_STATUSES,
        **pager_of("/rep/orders", cursor, page, **filters),
    )


@router.get("/orders/{order_id}")
async def show_order(
    request: Request, session: RepSession, order_id: str, done: str | None = None
) -> Response:
    clients = portal(request).clients
    token = session.token or ""
    order = await clients.orders.order(token, order_id)
    skus = sorted({line["sku"] for line in order["lines"]})
    customer, names, listed = await asyncio.gather(
        clients.orders.customer(token, order["customer_id"]),
        product_names(request, token, skus),
        optional(clients.billing.invoices(token, order_id=order["order_id"])),
    )
    invoices: list[JSON] = (listed or {}).get("items", [])
    return render(
        request,
        "rep/order.html",
        nav="orders",
        order=order,
        customer=customer,
        names=names,
        invoices=invoices,
        approval=approval_of(order),
        payment=payment_of(invoices),
        notice=NOTICES.get(done or ""),
    )


# --- stock alerts ---------------------------------------------------------------------------


@router.get("/alerts")
async def list_alerts(
    request: Request,
    session: RepSession,
    sku: str | None = None,
    done: str | None = None,
    problem: str | None = None,
    cursor: str | None = None,
) -> Response:
    token = session.token or ""
    try:
        page = await portal(request).clients.notifications.stock_alerts(
            token, limit=portal(request).settings.page_size, cursor=cursor
        )
    except Refused:
        return redirect("/rep/alerts")
    alerts: list[JSON] = page["items"]
    names = await product_names(request, token, sorted({alert["sku"] for alert in alerts}))
    return render(
        request,
        "rep/alerts.html",
        nav="alerts",
        alerts=alerts,
        names=names,
        sku=(sku or "").strip()[:64],
        notice=NOTICES.get(done or ""),
        problem=PROBLEMS.get(problem or ""),
        **pager_of("/rep/alerts", cursor, page),
    )


@router.post("/alerts")
async def request_alert(request: Request, session: RepSession) -> Response:
    clients = portal(request).clients
    token = session.token or ""
    form = await request.form()
    sku = str(form.get("sku") or "").strip()[:64]
    if not sku:
        return redirect(page_url("/rep/alerts", problem="sku_missing"))
    try:
        await clients.orders.product(token, sku)
    except NotFound:
        return redirect(page_url("/rep/alerts", sku=sku, problem="unknown_sku"))
    try:
        await clients.notifications.request_stock_alert(token, sku)
    except Refused:
        return redirect(page_url("/rep/alerts", sku=sku, problem="refused"))
    return redirect(page_url("/rep/alerts", done="alert_requested"))


# --- commissions ----------------------------------------------------------------------------


@router.get("/commissions")
async def list_commissions(
    request: Request,
    session: RepSession,
    view: str = "to_invoice",
    date_from: str | None = None,
    date_to: str | None = None,
    cursor: str | None = None,
) -> Response:
    chosen = view if view in COMMISSION_VIEWS else "to_invoice"
    filters: dict[str, Any] = {"from": a_date(date_from), "to": a_date(date_to)}
    here = {"view": chosen, "date_from": filters["from"], "date_to": filters["to"]}
    try:
        page = await portal(request).clients.commissions.commissions(
            session.token or "",
            view=chosen,
            limit=portal(request).settings.page_size,
            cursor=cursor,
            **filters,
        )
    except Refused:
        return redirect(page_url("/rep/commissions", **here))
    return render(
        request,
        "rep/commissions.html",
        nav="commissions",
        view=chosen,
        views=COMMISSION_VIEWS,
        items=page["items"],
        totals=page.get("totals"),
        filters=here,
        currency=portal(request).settings.company_currency,
        view_urls={
            name: page_url(
                "/rep/commissions", view=name, date_from=here["date_from"], date_to=here["date_to"]
            )
            for name in COMMISSION_VIEWS
        },
        **pager_of("/rep/commissions", cursor, page, **here),
    )

"""The customer area (seed 001): a dashboard with the latest orders (status, total,
installments), the orders and proposals with filters and paging, an order, and a
proposal with its items and notes, payment terms, installments, totals and attachments,
where the customer uploads the signed contract and approves.

Every call carries the customer's own token: the services decide what is his (another
customer's order or proposal answers 404, and so does the portal)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from oms_portal.clients import JSON, Download, NotFound, Refused, Unavailable
from oms_portal.pages import CustomerSession, portal, redirect, render, translator

router = APIRouter(prefix="/customer")

T = TypeVar("T")

#: Orders on the dashboard, and proposals awaiting approval there.
LATEST = 5
CENT = Decimal("0.01")
ORDER_STATUSES = (
    "pending_approval",
    "awaiting_invoicing",
    "confirmed",
    "on_hold",
    "partially_shipped",
    "shipped",
    "partially_invoiced",
    "invoiced",
    "paid",
    "completed",
    "cancelled",
)
QUOTE_STATUSES = ("sent", "accepted", "rejected", "expired")
#: What a form's redirect may report on the page it lands on (by name, never free text).
NOTICES = {
    "uploaded": "proposal.uploaded_notice",
    "approved": "order.approved",
}
PROBLEMS = {
    "file_missing": "error.file_missing",
    "file_too_large": "error.file_too_large",
    "file_refused": "error.file_refused",
    "needs_contract": "proposal.needs_contract",
    "refused": "error.refused",
}


async def optional(call: Awaitable[T]) -> T | None:
    """What a page can do without: None when the record is missing or its service is
    down (the page says nothing of it rather than failing whole)."""
    try:
        return await call
    except (NotFound, Unavailable):
        return None


def planned_installments(total: Decimal, terms_days: list[int]) -> list[tuple[int, Decimal]]:
    """The total split over the payment terms (days after the invoice), as the proposal
    PDF shows it: equal parts to the cent, the last taking what the rounding left."""
    if not terms_days:
        return []
    part = (total / len(terms_days)).quantize(CENT, rounding=ROUND_DOWN)
    amounts = [part] * (len(terms_days) - 1) + [total - part * (len(terms_days) - 1)]
    return list(zip(terms_days, amounts, strict=True))


async def product_names(request: Request, token: str, skus: list[str]) -> dict[str, str]:
    """The catalogue's name of each product (none for one it no longer has)."""
    orders = portal(request).clients.orders
    products = await asyncio.gather(*(optional(orders.product(token, sku)) for sku in skus))
    return {
        sku: str(product["name"])
        for sku, product in zip(skus, products, strict=True)
        if product is not None
    }


def a_date(value: str | None) -> str | None:
    """A date filter as the services take it (YYYY-MM-DD), or None when it is not one."""
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def page_url(path: str, **params: str | None) -> str:
    query = urlencode({name: value for name, value in params.items() if value})
    return f"{path}?{query}" if query else path


def pager_of(path: str, cursor: str | None, page: JSON, **query: str | None) -> dict[str, Any]:
    """A listed page's pager (the ``pager`` macro's): whether this is past the first
    page, the first page's address and the next one's (None on the last page), each with
    the list's ``query``."""
    next_cursor = page.get("next_cursor")
    return {
        "paged": cursor is not None,
        "first_url": page_url(path, **query),
        "next_url": page_url(path, **query, cursor=next_cursor) if next_cursor else None,
    }


def installments_of(order: JSON, invoices: list[JSON], terms_days: list[int]) -> list[JSON]:
    """An order's installments: those of its invoices (billing), else the payment terms
    split over its total (what invoicing will make)."""
    if invoices:
        return [
            {
                "invoice": invoice.get("number"),
                "due_on": installment["due_on"],
                "amount": installment["amount"],
                "currency": invoice.get("currency") or order["currency"],
            }
            for invoice in invoices
            for installment in invoice.get("installments", [])
        ]
    return [
        {"days": days, "amount": amount, "currency": order["currency"]}
        for days, amount in planned_installments(Decimal(order["total"]), terms_days)
    ]


@router.get("")
async def dashboard(request: Request, session: CustomerSession) -> Response:
    clients = portal(request).clients
    token, customer_id = session.token or "", session.customer_id or ""
    latest, customer, waiting, statement = await asyncio.gather(
        clients.orders.orders(token, limit=LATEST),
        clients.orders.customer(token, customer_id),
        clients.orders.quotes(token, status="sent", limit=LATEST),
        optional(clients.billing.statement(token, customer_id)),
    )
    orders: list[JSON] = latest["items"]
    invoiced = [order for order in orders if order.get("invoice_numbers")]
    invoice_lists = await asyncio.gather(
        *(optional(clients.billing.invoices(token, order_id=o["order_id"])) for o in invoiced)
    )
    summaries = [
        invoice for listed in invoice_lists if listed for invoice in listed.get("items", [])
    ]
    details = await asyncio.gather(
        *(optional(clients.billing.invoice(token, s["invoice_id"])) for s in summaries)
    )
    by_order: dict[str, list[JSON]] = {}
    for detail in details:
        if detail is not None:
            by_order.setdefault(detail["order_id"], []).append(detail)
    terms = customer.get("payment_terms_days") or []
    rows = [
        {
            **order,
            "installments": installments_of(order, by_order.get(order["order_id"], []), terms),
        }
        for order in orders
    ]
    return render(
        request,
        "customer/dashboard.html",
        nav="dashboard",
        customer=customer,
        orders=rows,
        waiting=waiting["items"],
        statement=statement,
    )


@router.get("/orders")
async def list_orders(
    request: Request,
    session: CustomerSession,
    status: str | None = None,
    issued_from: str | None = None,
    issued_to: str | None = None,
    invoice_number: str | None = None,
    cursor: str | None = None,
) -> Response:
    settings = portal(request).settings
    filters = {
        "status": status if status in ORDER_STATUSES else None,
        "issued_from": a_date(issued_from),
        "issued_to": a_date(issued_to),
        "invoice_number": (invoice_number or "").strip()[:100] or None,
    }
    try:
        page = await portal(request).clients.orders.orders(
            session.token or "", limit=settings.page_size, cursor=cursor, **filters
        )
    except Refused:  # a cursor of another list, or out of date: the first page
        return redirect(page_url("/customer/orders", **filters))
    return render(
        request,
        "customer/orders.html",
        nav="orders",
        orders=page["items"],
        totals=page.get("totals_by_status") or {},
        filters=filters,
        statuses=ORDER_STATUSES,
        **pager_of("/customer/orders", cursor, page, **filters),
    )


@router.get("/orders/{order_id}")
async def show_order(
    request: Request, session: CustomerSession, order_id: str, done: str | None = None
) -> Response:
    clients = portal(request).clients
    token = session.token or ""
    order = await clients.orders.order(token, order_id)
    skus = sorted({line["sku"] for line in order["lines"]})
    attachments, customer, names, invoices = await asyncio.gather(
        optional(clients.orders.order_attachments(token, order["order_id"])),
        clients.orders.customer(token, order["customer_id"]),
        product_names(request, token, skus),
        asyncio.gather(
            *(optional(clients.billing.invoice(token, i["invoice_id"])) for i in order["invoices"])
        ),
    )
    found = [invoice for invoice in invoices if invoice is not None]
    terms = customer.get("payment_terms_days") or []
    return render(
        request,
        "customer/order.html",
        nav="orders",
        order=order,
        names=names,
        invoices=found,
        planned=[] if found else installments_of(order, [], terms),
        attachments=(attachments or {}).get("items", []),
        notice=NOTICES.get(done or ""),
    )


@router.get("/proposals")
async def list_proposals(
    request: Request,
    session: CustomerSession,
    status: str | None = None,
    cursor: str | None = None,
) -> Response:
    settings = portal(request).settings
    filters = {"status": status if status in QUOTE_STATUSES else None}
    try:
        page = await portal(request).clients.orders.quotes(
            session.token or "", limit=settings.page_size, cursor=cursor, **filters
        )
    except Refused:
        return redirect(page_url("/customer/proposals", **filters))
    return render(
        request,
        "customer/proposals.html",
        nav="proposals",
        proposals=page["items"],
        filters=filters,
        statuses=QUOTE_STATUSES,
        **pager_of("/customer/proposals", cursor, page, **filters),
    )


@router.get("/proposals/{quote_id}")
async def show_proposal(
    request: Request,
    session: CustomerSession,
    quote_id: str,
    done: str | None = None,
    problem: str | None = None,
) -> Response:
    settings = portal(request).settings
    orders = portal(request).clients.orders
    token = session.token or ""
    quote = await orders.quote(token, quote_id)
    skus = sorted({line["sku"] for line in quote["lines"]})
    attachments, customer, names = await asyncio.gather(
        orders.quote_attachments(token, quote["quote_id"]),
        orders.customer(token, quote["customer_id"]),
        product_names(request, token, skus),
    )
    files: list[JSON] = attachments["items"]
    kinds = {attachment["kind"] for attachment in files}
    contract_required = "contract" in kinds
    contract_signed = "signed_contract" in kinds
    is_open = quote["status"] == "sent"
    terms = customer.get("payment_terms_days") or []
    t = translator(request)
    return render(
        request,
        "customer/proposal.html",
        nav="proposals",
        quote=quote,
        names=names,
        terms=terms,
        installments=planned_installments(Decimal(quote["total"]), terms),
        attachments=files,
        contract_required=contract_required,
        contract_signed=contract_signed,
        can_upload=is_open and contract_required,
        can_approve=is_open and (contract_signed or not contract_required),
        is_open=is_open,
        notice=NOTICES.get(done or ""),
        problem=t(PROBLEMS[problem], size=t.size(settings.upload_max_bytes))
        if problem in PROBLEMS
        else None,
    )


@router.post("/proposals/{quote_id}/signed-contract")
async def upload_signed_contract(
    request: Request, session: CustomerSession, quote_id: str
) -> Response:
    settings = portal(request).settings
    here = f"/customer/proposals/{quote_id}"
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return redirect(page_url(here, problem="file_missing") + "#contract")
    data = await upload.read(settings.upload_max_bytes + 1)
    if not data:
        return redirect(page_url(here, problem="file_missing") + "#contract")
    if len(data) > settings.upload_max_bytes:
        return redirect(page_url(here, problem="file_too_large") + "#contract")
    try:
        await portal(request).clients.orders.sign_contract(
            session.token or "",
            quote_id,
            name=upload.filename,
            data=data,
            content_type=upload.content_type or "application/octet-stream",
        )
    except Refused as refused:
        problem = {413: "file_too_large", 422: "file_refused"}.get(refused.status or 0, "refused")
        return redirect(page_url(here, problem=problem) + "#contract")
    return redirect(page_url(here, done="uploaded") + "#approval")


@router.post("/proposals/{quote_id}/approve")
async def approve_proposal(request: Request, session: CustomerSession, quote_id: str) -> Response:
    orders = portal(request).clients.orders
    token = session.token or ""
    here = f"/customer/proposals/{quote_id}"
    try:
        approved = await orders.approve_quote(token, quote_id)
    except Refused as refused:
        # Approved already (a second click, another tab): show the order it became.
        quote = await orders.quote(token, quote_id)
        if quote["status"] == "accepted" and quote.get("order_id"):
            return redirect(f"/customer/orders/{quote['order_id']}")
        problem = "needs_contract" if refused.field == "signed_contract" else "refused"
        return redirect(page_url(here, problem=problem) + "#approval")
    return redirect(page_url(f"/customer/orders/{approved['order_id']}", done="approved"))


@router.get("/attachments/{attachment_id}")
async def download_attachment(
    request: Request, session: CustomerSession, attachment_id: str
) -> Response:
    """A proposal's or order's file (the proposal PDF, the contract, the signed copy)."""
    download = await portal(request).clients.orders.attachment(session.token or "", attachment_id)
    return file_response(download)


@router.get("/invoices/{invoice_id}/pdf")
async def download_invoice(request: Request, session: CustomerSession, invoice_id: str) -> Response:
    download = await portal(request).clients.billing.invoice_pdf(session.token or "", invoice_id)
    return file_response(download)


def file_response(download: Download) -> Response:
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if download.disposition:
        headers["Content-Disposition"] = download.disposition
    return Response(download.content, media_type=download.content_type, headers=headers)

"""B2B ordering in the customer area (seed 003): the catalogue's search with photos and
availability, a product with its associated products ("towary skojarzone"), and the cart
with its saved-for-later list, suggestions, a note to the seller and "Place order".

The cart is the orders service's (one per customer user, the same on every device); the
portal keeps nothing of it. Every call carries the person's own token. The checkout form
carries an Idempotency-Key made when the cart page was shown, so a double click or the
form sent again places one order."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response

from oms_portal.clients import JSON, NotFound, Refused
from oms_portal.pages import CustomerSession, local_path, portal, redirect, render
from oms_portal.pages.customer import optional, page_url, pager_of

router = APIRouter(prefix="/customer")

CATALOGUE = "/customer/catalogue"
CART = "/customer/cart"
#: Longest search and note the pages send on (the service refuses a longer note).
MAX_SEARCH = 100
MAX_NOTE = 2000
#: What a form's redirect may report on the page it lands on (by name, never free text).
NOTICES = {
    "added": "catalogue.added",
    "updated": "cart.updated",
    "removed": "cart.removed",
    "saved": "cart.saved_notice",
    "moved": "cart.moved",
}
PROBLEMS = {
    "quantity": "catalogue.quantity_invalid",
    "cart_quantity": "cart.quantity_invalid",
    "empty": "cart.empty_problem",
    "note": "cart.note_too_long",
    "refused": "error.refused",
}
LINE_ACTIONS = ("update", "remove", "save")


def photo_url(item: JSON) -> str | None:
    """The portal's own address of a product's photo (the browser never calls orders):
    None for a product without one (the page shows the placeholder)."""
    if not item.get("image_url"):
        return None
    return f"{CATALOGUE}/{quote(str(item['sku']), safe='')}/image"


def with_params(url: str, **params: str) -> str:
    """``url`` with ``params`` set (replacing a notice of an earlier form)."""
    parts = urlsplit(url)
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query)
        if name not in params and name not in ("done", "problem")
    ]
    query += list(params.items())
    return urlunsplit(("", "", parts.path, urlencode(query), parts.fragment))


def a_quantity(value: object, allow_zero: bool = False) -> Decimal | None:
    """A quantity typed in a form, or None when it is not one."""
    try:
        quantity = Decimal(str(value or "").strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not quantity.is_finite() or quantity < 0 or (quantity == 0 and not allow_zero):
        return None
    return quantity


def plain(quantity: object) -> str:
    """A quantity as a number field takes it (``3``, ``2.5``: no grouping, no zeros)."""
    number = Decimal(str(quantity))
    return format(
        number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize(), "f"
    )


# --- the catalogue --------------------------------------------------------------------------


@router.get("/catalogue")
async def search_catalogue(
    request: Request,
    session: CustomerSession,
    q: str | None = None,
    cursor: str | None = None,
    done: str | None = None,
    problem: str | None = None,
) -> Response:
    settings = portal(request).settings
    search = (q or "").strip()[:MAX_SEARCH] or None
    try:
        page = await portal(request).clients.orders.products(
            session.token or "", q=search, limit=settings.page_size, cursor=cursor
        )
    except Refused:  # a cursor of another search, or out of date: the first page
        return redirect(page_url(CATALOGUE, q=search))
    return render(
        request,
        "customer/catalogue.html",
        nav="catalogue",
        products=[{**item, "photo": photo_url(item)} for item in page["items"]],
        q=search,
        here=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        **pager_of(CATALOGUE, cursor, page, q=search),
        notice=NOTICES.get(done or ""),
        problem=PROBLEMS.get(problem or ""),
    )


@router.get("/catalogue/{sku}")
async def show_product(
    request: Request,
    session: CustomerSession,
    sku: str,
    done: str | None = None,
    problem: str | None = None,
) -> Response:
    orders = portal(request).clients.orders
    token = session.token or ""
    product, associated = await asyncio.gather(
        orders.product(token, sku), optional(orders.associated_products(token, sku))
    )
    return render(
        request,
        "customer/product.html",
        nav="catalogue",
        product={**product, "photo": photo_url(product)},
        associated=(associated or {}).get("items", []),
        here=f"{CATALOGUE}/{quote(str(product['sku']), safe='')}",
        notice=NOTICES.get(done or ""),
        problem=PROBLEMS.get(problem or ""),
    )


@router.get("/catalogue/{sku}/image")
async def product_photo(request: Request, session: CustomerSession, sku: str) -> Response:
    """The photo's bytes as orders keeps them, fetched with the person's token. A photo
    is no one's private data: the browser may keep it a few minutes."""
    photo = await portal(request).clients.orders.product_image(session.token or "", sku)
    return Response(
        photo.content,
        media_type=photo.content_type,
        headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


# --- the cart -------------------------------------------------------------------------------


@router.post("/cart/add")
async def add_to_cart(request: Request, session: CustomerSession) -> Response:
    """Add a quantity of a product to what the cart already has of it, then back to the
    page the form was on."""
    orders = portal(request).clients.orders
    token = session.token or ""
    form = await request.form()
    back = local_path(str(form.get("back") or ""), CART)
    sku = str(form.get("sku") or "").strip()
    quantity = a_quantity(form.get("quantity"))
    if not sku or quantity is None:
        return redirect(with_params(back, problem="quantity"))
    cart = await orders.cart(token)
    already = sum(
        (Decimal(str(line["quantity"])) for line in cart["lines"] if line["sku"] == sku),
        Decimal(0),
    )
    try:
        await orders.set_cart_line(token, sku, str(already + quantity))
    except Refused:
        return redirect(with_params(back, problem="quantity"))
    return redirect(with_params(back, done="added"))


@router.get("/cart")
async def show_cart(
    request: Request,
    session: CustomerSession,
    done: str | None = None,
    problem: str | None = None,
) -> Response:
    cart = await portal(request).clients.orders.cart(session.token or "")
    lines = [{**line, "quantity_input": plain(line["quantity"])} for line in cart["lines"]]
    return render(
        request,
        "customer/cart.html",
        nav="cart",
        cart={**cart, "lines": lines},
        # The checkout's Idempotency-Key: made once per showing of the cart, so the form
        # sent twice (a double click, a re-post) places one order.
        submission=uuid.uuid4().hex,
        max_note=MAX_NOTE,
        notice=NOTICES.get(done or ""),
        problem=PROBLEMS.get(problem or ""),
    )


@router.post("/cart/lines/{sku}")
async def change_cart_line(request: Request, session: CustomerSession, sku: str) -> Response:
    """``action=update`` puts the quantity typed (0 removes the line), ``remove`` takes the
    line out, ``save`` moves it to the saved-for-later list."""
    orders = portal(request).clients.orders
    token = session.token or ""
    form = await request.form()
    action = str(form.get("action") or "update")
    action = action if action in LINE_ACTIONS else "update"
    try:
        if action == "save":
            await orders.save_for_later(token, sku)
            return redirect(page_url(CART, done="saved") + "#saved")
        if action == "remove":
            await orders.set_cart_line(token, sku, "0")
            return redirect(page_url(CART, done="removed"))
        quantity = a_quantity(form.get("quantity"), allow_zero=True)
        if quantity is None:
            return redirect(page_url(CART, problem="cart_quantity"))
        await orders.set_cart_line(token, sku, str(quantity))
    except Refused:
        return redirect(page_url(CART, problem="cart_quantity"))
    except NotFound:  # gone already (another tab, another device): the cart as it is
        return redirect(page_url(CART, problem="refused"))
    return redirect(page_url(CART, done="removed" if quantity == 0 else "updated"))


@router.post("/cart/saved/{sku}/move-to-cart")
async def move_to_cart(request: Request, session: CustomerSession, sku: str) -> Response:
    try:
        await portal(request).clients.orders.move_to_cart(session.token or "", sku)
    except NotFound:  # moved already (another tab, another device)
        return redirect(page_url(CART, problem="refused"))
    return redirect(page_url(CART, done="moved"))


@router.post("/cart/checkout")
async def check_out(request: Request, session: CustomerSession) -> Response:
    form = await request.form()
    note = str(form.get("note") or "").strip()
    if len(note) > MAX_NOTE:
        return redirect(page_url(CART, problem="note") + "#checkout")
    submission = str(form.get("submission") or "")[:64] or uuid.uuid4().hex
    try:
        placed = await portal(request).clients.orders.check_out(
            session.token or "", note or None, idempotency_key=submission
        )
    except Refused as refused:
        problem = "empty" if refused.field == "lines" else "refused"
        return redirect(page_url(CART, problem=problem) + "#checkout")
    return redirect(f"{CART}/placed/{placed['order_id']}")


@router.get("/cart/placed/{order_id}")
async def order_placed(request: Request, session: CustomerSession, order_id: str) -> Response:
    """The order the checkout placed (another customer's is the 404 page, as ever)."""
    order = await portal(request).clients.orders.order(session.token or "", order_id)
    return render(request, "customer/placed.html", nav="cart", order=order)

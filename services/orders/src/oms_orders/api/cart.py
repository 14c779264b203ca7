"""Routes of a customer user's cart and saved-for-later list (seed 003, DESIGN section
14): his own only, whoever else calls gets 403 (the admin too: a cart is a customer
user's, and the admin has none). Names, prices and availability are the catalogue's now;
the checkout places the customer's order (origin "portal", waiting for approval) with an
``Idempotency-Key`` (required), so a double click places one order."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Header, Response
from oms_kit.auth import CurrentUser, allow
from oms_kit.domain import InvalidInput

from oms_orders.api.catalogue import associated_public
from oms_orders.api.models import (
    AssociatedProductPublic,
    CartLinePublic,
    CartLineUpdate,
    CartPublic,
    CheckoutCreate,
    CheckoutPublic,
    SavedItemPublic,
)
from oms_orders.api.scope import CART_OWNERS, cart_owner
from oms_orders.application import OrdersApplication
from oms_orders.domain.cart import Cart
from oms_orders.domain.customer import Customer
from oms_orders.domain.pricing import ZERO, cents
from oms_orders.domain.product import Product


def cart_public(app: OrdersApplication, cart: Cart, customer_id: str) -> CartPublic:
    """The cart as the catalogue prices it now (in the customer's currency; what the
    order placed now would come to)."""
    customer = app.get(Customer, customer_id, field="customer_id")
    lines: list[CartLinePublic] = []
    net_total = tax_total = ZERO
    for sku, quantity in cart.lines.items():
        product = app.get_product(sku)
        net = cents(quantity * product.unit_price)
        net_total += net
        tax_total += cents(net * product.tax_rate)
        level = app.stock_level(sku)
        lines.append(
            CartLinePublic(
                sku=sku,
                name=product.name,
                quantity=quantity,
                unit_price=product.unit_price,
                net_amount=net,
                available=level.available if level is not None else None,
            )
        )
    saved = [
        SavedItemPublic(sku=sku, name=product.name if product else sku)
        for sku in cart.saved
        for product in [app.find(Product, Product.create_id(sku))]
    ]
    suggestions: dict[str, AssociatedProductPublic] = {}
    for sku in cart.lines:
        for associated in app.associated_products(sku):
            if associated.sku not in cart.lines and associated.sku not in suggestions:
                suggestions[associated.sku] = associated_public(associated)
    return CartPublic(
        lines=lines,
        saved=saved,
        net_total=net_total,
        tax_total=tax_total,
        total=net_total + tax_total,
        currency=customer.currency,
        suggestions=list(suggestions.values()),
    )


def build_cart_router(app: OrdersApplication) -> APIRouter:
    router = APIRouter(tags=["cart"], dependencies=[allow(*CART_OWNERS)])

    @router.get("/cart")
    def get_cart(caller: CurrentUser) -> CartPublic:
        user, customer_id = cart_owner(caller)
        return cart_public(app, app.cart(user), customer_id)

    @router.put("/cart/lines/{sku}")
    def set_cart_line(sku: str, body: CartLineUpdate, caller: CurrentUser) -> CartPublic:
        """Put the quantity of ``sku`` in the cart (0 removes it; 404 naming ``sku`` for a
        product not in the catalogue)."""
        user, customer_id = cart_owner(caller)
        return cart_public(app, app.set_cart_line(user, sku, Decimal(body.quantity)), customer_id)

    @router.post("/cart/lines/{sku}/save-for-later")
    def save_for_later(sku: str, caller: CurrentUser) -> CartPublic:
        """The line moves to the saved-for-later list (404 naming ``sku`` without it)."""
        user, customer_id = cart_owner(caller)
        return cart_public(app, app.save_for_later(user, sku), customer_id)

    @router.post("/cart/saved/{sku}/move-to-cart")
    def move_to_cart(sku: str, caller: CurrentUser) -> CartPublic:
        """A saved product back into the cart with its quantity (404 naming ``sku`` when
        it is not saved)."""
        user, customer_id = cart_owner(caller)
        return cart_public(app, app.move_to_cart(user, sku), customer_id)

    @router.post("/cart/checkout", status_code=201)
    def check_out(
        caller: CurrentUser,
        response: Response,
        body: CheckoutCreate | None = None,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> CheckoutPublic:
        """Place the cart as the customer's order, with the note to the seller, and empty
        the cart. ``Idempotency-Key`` is required (422 naming it): the same key again
        answers the order placed the first time (header ``idempotent-replay: true``) and
        places nothing; an empty cart is 409."""
        user, customer_id = cart_owner(caller)
        if not idempotency_key or not idempotency_key.strip():
            raise InvalidInput("the Idempotency-Key header is required", field="Idempotency-Key")
        # A key is the user's own: another user's same key is another request.
        key = f"{user.strip().lower()}\n{idempotency_key}"
        earlier = app.idempotent_checkout(key)
        note = (body.note or None) if body is not None else None
        order = earlier or app.check_out(user, customer_id, idempotency_key=key, note=note)
        if earlier is not None:
            response.headers["idempotent-replay"] = "true"
        return CheckoutPublic(
            order_id=order.order_id, status=order.status, total=order.total, currency=order.currency
        )

    return router

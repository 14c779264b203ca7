"""The orders service's use cases, one Application method each:

- a command (called by a route) checks, changes and saves, and returns what the route
  answers with;
- a reaction to another service's event (called by ``integration/inbound.py``) returns the
  aggregates it changed, unsaved: the kit records them with the event's tracking record
  in one transaction, exactly once. A reaction about an order or customer this service
  does not know changes nothing (None)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import RecordConflictError
from oms_kit.commands import retry_on_conflict
from oms_kit.domain import AlreadyExists, Conflict, InvalidInput, NotFound
from oms_kit.eventstore import ServiceApplication

from oms_orders.documents.attachments import AttachmentStore, StoredFile, checked_upload
from oms_orders.domain.cart import Cart
from oms_orders.domain.customer import DEFAULT_INVOICING, INVOICING, LANGUAGES, Customer
from oms_orders.domain.fiscal import mexican_customer, sat_keys
from oms_orders.domain.order import Order
from oms_orders.domain.partner import Partner
from oms_orders.domain.price_list import (
    CATALOGUE,
    MANUAL,
    PRICE_LIST,
    PriceList,
    PriceListItem,
)
from oms_orders.domain.pricing import LineRequest, cents, price_line
from oms_orders.domain.product import Product
from oms_orders.domain.quote import Quote, signed_contract_name
from oms_orders.domain.sales_rep import SalesRep
from oms_orders.domain.stock import StockLevel
from oms_orders.domain.user import ADMIN, PARTNER, USERNAME, User, username_key
from oms_orders.identity.keys import SigningKeys
from oms_orders.identity.passwords import Passwords
from oms_orders.identity.service_clients import SERVICE, ServiceClients, subject_of
from oms_orders.identity.throttle import SignInThrottle
from oms_orders.identity.tokens import AccessToken, InvalidClient, InvalidGrant, TokenSigner

#: Namespace of the ids of orders (and quotes) made with an ``Idempotency-Key``.
IDEMPOTENT_ORDERS = UUID("0b5e8f8e-7a39-4c55-9d0c-5f3f6f1d2a71")
#: A checkout's key is apart from ``POST /orders``' keys (the same key is another request).
CHECKOUT_KEY_PREFIX = "checkout\n"
#: So is a quote's (``POST /quotes``): its id is never an order's.
QUOTE_KEY_PREFIX = "quote\n"
#: The attachments store keeps a product's photo as the file of ``product:<sku>``.
PRODUCT_FILE_PREFIX = "product:"

A = TypeVar("A", bound=Aggregate)


def idempotent_id(idempotency_key: str, prefix: str = "") -> UUID:
    """The id of what the request with this ``Idempotency-Key`` makes: the same key again
    names it, so the request is found done (``prefix``: the kind of request)."""
    return uuid5(IDEMPOTENT_ORDERS, f"{prefix}{idempotency_key}")


class OrdersApplication(ServiceApplication):
    name = "orders"
    #: A new customer's currency and language when none is given: the company's (bootstrap
    #: sets them from settings).
    company_currency: str = "BRL"
    company_language: str = "pt"
    #: The company's fiscal country (bootstrap sets it from settings): for "MX" customers
    #: and products carry what a CFDI 4.0 needs, checked when they are made or changed.
    fiscal_country: str = "none"

    # Customers and products ---------------------------------------------------------------

    def register_customer(
        self,
        *,
        name: str,
        tax_id: str,
        email: str,
        credit_limit: Decimal,
        payment_terms_days: Sequence[int],
        currency: str | None = None,
        sales_rep_id: str | None = None,
        language: str | None = None,
        fiscal_regime: str | None = None,
        postal_code: str | None = None,
        cfdi_use: str | None = None,
        invoicing: str = DEFAULT_INVOICING,
    ) -> Customer:
        """Register a customer; without a currency or language, the company's. For a
        Mexican company his fiscal data must make a valid CFDI (InvalidInput naming the
        field): ``tax_id`` is his RFC, ``cfdi_use`` G03 unless given."""
        if not name.strip():
            raise InvalidInput("name must not be empty", field="name")
        if not tax_id.strip():
            raise InvalidInput("tax_id must not be empty", field="tax_id")
        if credit_limit < 0:
            raise InvalidInput("credit_limit must not be negative", field="credit_limit")
        if any(days <= 0 for days in payment_terms_days):
            raise InvalidInput("payment terms must be positive", field="payment_terms_days")
        _check_language(language)
        _check_invoicing(invoicing)
        tax_id = tax_id.strip()
        if self.fiscal_country == "MX":
            fiscal = mexican_customer(tax_id, fiscal_regime, postal_code, cfdi_use)
            tax_id, cfdi_use = fiscal.rfc, fiscal.cfdi_use
        customer = Customer(
            name=name.strip(),
            tax_id=tax_id,
            email=email,
            credit_limit=cents(credit_limit),
            currency=currency or self.company_currency,
            payment_terms_days=list(payment_terms_days),
            sales_rep_id=sales_rep_id,
            language=language or self.company_language,
            fiscal_regime=fiscal_regime,
            postal_code=postal_code,
            cfdi_use=cfdi_use,
            invoicing=invoicing,
        )
        self.save(customer)
        return customer

    @retry_on_conflict
    def update_customer(
        self,
        customer_id: str,
        *,
        name: str | None = None,
        email: str | None = None,
        credit_limit: Decimal | None = None,
        payment_terms_days: Sequence[int] | None = None,
        sales_rep_id: str | None = None,
        language: str | None = None,
        tax_id: str | None = None,
        fiscal_regime: str | None = None,
        postal_code: str | None = None,
        cfdi_use: str | None = None,
        invoicing: str | None = None,
        price_list_id: str | None = None,
    ) -> Customer:
        """Change the given fields (None: unchanged). For a Mexican company, changed
        fiscal data must still make a valid CFDI with the rest (InvalidInput naming the
        field). A price list must exist and be in the customer's currency."""
        customer = self.get(Customer, customer_id, field="customer_id")
        if name is not None and not name.strip():
            raise InvalidInput("name must not be empty", field="name")
        if credit_limit is not None and credit_limit < 0:
            raise InvalidInput("credit_limit must not be negative", field="credit_limit")
        if payment_terms_days is not None and any(days <= 0 for days in payment_terms_days):
            raise InvalidInput("payment terms must be positive", field="payment_terms_days")
        _check_language(language)
        if invoicing is not None:
            _check_invoicing(invoicing)
        if price_list_id is not None:
            self._check_price_list(customer, price_list_id)
        if tax_id is not None and not tax_id.strip():
            raise InvalidInput("tax_id must not be empty", field="tax_id")
        tax_id = tax_id.strip() if tax_id is not None else None
        fiscal_changed = any(v is not None for v in (tax_id, fiscal_regime, postal_code, cfdi_use))
        if self.fiscal_country == "MX" and fiscal_changed:
            fiscal = mexican_customer(
                tax_id if tax_id is not None else customer.tax_id,
                fiscal_regime if fiscal_regime is not None else customer.fiscal_regime,
                postal_code if postal_code is not None else customer.postal_code,
                cfdi_use if cfdi_use is not None else customer.cfdi_use,
            )
            tax_id = fiscal.rfc if tax_id is not None else None
            cfdi_use = fiscal.cfdi_use if cfdi_use is not None or not customer.cfdi_use else None
        changes: dict[str, Any] = {
            "name": name.strip() if name is not None else None,
            "email": email,
            "credit_limit": cents(credit_limit) if credit_limit is not None else None,
            "payment_terms_days": list(payment_terms_days) if payment_terms_days else None,
            "sales_rep_id": sales_rep_id,
            "language": language,
            "tax_id": tax_id,
            "fiscal_regime": fiscal_regime,
            "postal_code": postal_code,
            "cfdi_use": cfdi_use,
            "invoicing": invoicing if invoicing != customer.invoicing else None,
            "price_list_id": price_list_id if price_list_id != customer.price_list_id else None,
        }
        changes = {key: value for key, value in changes.items() if value is not None}
        if changes:
            customer.update(**changes)
            self.save(customer)
        return customer

    def _check_price_list(self, customer: Customer, price_list_id: str) -> None:
        price_list = self.find(PriceList, price_list_id)
        if price_list is None:
            raise InvalidInput(f"unknown price list {price_list_id}", field="price_list_id")
        if price_list.currency != customer.currency:
            raise InvalidInput(
                f"price list {price_list_id} is in {price_list.currency}, "
                f"the customer buys in {customer.currency}",
                field="price_list_id",
            )

    # Price lists (DESIGN section 15) ---------------------------------------------------------

    def create_price_list(
        self,
        *,
        name: str,
        currency: str,
        items: Sequence[PriceListItem],
        valid_from: date | None = None,
        valid_to: date | None = None,
    ) -> PriceList:
        """A price list; each item's sku must be in the catalogue, priced in the list's
        currency (InvalidInput naming ``items.<index>.sku``)."""
        for index, item in enumerate(items):
            product = self.find(Product, Product.create_id(item.sku))
            if product is None:
                raise InvalidInput(f"unknown sku {item.sku}", field=f"items.{index}.sku")
            if product.currency != currency:
                raise InvalidInput(
                    f"sku {item.sku} is priced in {product.currency}, the list in {currency}",
                    field=f"items.{index}.sku",
                )
        price_list = PriceList.create(
            name=name,
            currency=currency,
            valid_from=valid_from,
            valid_to=valid_to,
            items=list(items),
        )
        self.save(price_list)
        return price_list

    def define_product(
        self,
        *,
        sku: str,
        name: str,
        unit_price: Decimal,
        currency: str,
        tax_rate: Decimal,
        sat_product_key: str | None = None,
        sat_unit_key: str | None = None,
    ) -> Product:
        """A product of the catalogue; for a Mexican company with its SAT keys (the
        defaults 01010101 and H87 unless given; InvalidInput naming the field)."""
        if self.find(Product, Product.create_id(sku)) is not None:
            raise AlreadyExists(f"product {sku} exists already", field="sku")
        if self.fiscal_country == "MX":
            sat_product_key, sat_unit_key = sat_keys(sat_product_key, sat_unit_key)
        product = Product(
            sku=sku,
            name=name,
            unit_price=unit_price,
            currency=currency,
            tax_rate=tax_rate,
            sat_product_key=sat_product_key,
            sat_unit_key=sat_unit_key,
        )
        self.save(product)
        return product

    def get_product(self, sku: str) -> Product:
        product = self.find(Product, Product.create_id(sku))
        if product is None:
            raise NotFound(f"no product {sku}", field="sku")
        return product

    # The catalogue for B2B ordering and the cart (DESIGN sections 14 and 15): photos,
    # associated products, stock as heard from inventory; a customer user's cart.

    @retry_on_conflict
    def change_product_image(self, sku: str, *, data: bytes, name: str) -> Product:
        """The product's photo: a PNG or JPEG (by its content; InvalidInput naming
        ``file``), up to the attachments' size limit (413), kept with the attachments (as
        the file of ``product:<sku>``, which no quote lists: only the product serves it)."""
        product = self.get_product(sku)
        content_type = checked_upload(data, self.attachment_max_bytes)
        stored = StoredFile(
            attachment_id=str(uuid4()),
            quote_id=f"{PRODUCT_FILE_PREFIX}{sku}",
            name=name.strip()[:200] or sku,
            content_type=content_type,
            data=data,
            uploaded_at=datetime.now(UTC),
        )
        product.change_image(stored.attachment_id, content_type)
        self._attachments().put(stored)
        self.save(product)
        return product

    def get_product_image(self, sku: str) -> StoredFile:
        """The product's photo; NotFound naming ``image`` when it has none."""
        product = self.get_product(sku)
        stored = self._attachments().get(product.image_id) if product.image_id else None
        if stored is None:
            raise NotFound(f"product {sku} has no image", field="image")
        return stored

    @retry_on_conflict
    def associate_products(self, sku: str, skus: Sequence[str]) -> Product:
        """Name the products associated with ``sku`` (replacing those named before); each
        must be in the catalogue (InvalidInput naming ``skus.<index>``), not ``sku``."""
        product = self.get_product(sku)
        chosen = Product.associations(sku, list(skus))
        for index, associated in enumerate(chosen):
            if self.find(Product, Product.create_id(associated)) is None:
                raise InvalidInput(f"unknown sku {associated}", field=f"skus.{index}")
        if product.associate(chosen):
            self.save(product)
        return product

    def associated_products(self, sku: str) -> list[Product]:
        return [
            associated
            for associated_sku in self.get_product(sku).associated
            if (associated := self.find(Product, Product.create_id(associated_sku))) is not None
        ]

    def stock_level(self, sku: str) -> StockLevel | None:
        """The product's stock as last heard from inventory; None if never heard."""
        return self.find(StockLevel, StockLevel.create_id(sku))

    def hear_stock_level(
        self,
        sku: str,
        *,
        on_hand: Decimal,
        reserved: Decimal,
        available: Decimal,
        source_id: str,
        source_version: int,
    ) -> StockLevel | None:
        """A reaction: inventory's level of ``sku`` changed (None when it is older than
        the one heard)."""
        level = self.stock_level(sku) or StockLevel(sku=sku)
        if level.hear(on_hand, reserved, available, source_id, source_version):
            return level
        return None

    def cart(self, user: str) -> Cart:
        """The user's cart (a new empty one, unsaved, when he has none yet)."""
        return self.find(Cart, Cart.create_id(user)) or Cart(user=user)

    @retry_on_conflict
    def set_cart_line(self, user: str, sku: str, quantity: Decimal) -> Cart:
        """Put ``quantity`` of ``sku`` in the user's cart (0 removes it); NotFound naming
        ``sku`` for a product not in the catalogue."""
        cart = self.cart(user)
        if quantity > 0:
            self.get_product(sku)
        if cart.set_line(sku, quantity):
            self.save(cart)
        return cart

    @retry_on_conflict
    def save_for_later(self, user: str, sku: str) -> Cart:
        cart = self.cart(user)
        cart.save_for_later(sku)
        self.save(cart)
        return cart

    @retry_on_conflict
    def move_to_cart(self, user: str, sku: str) -> Cart:
        cart = self.cart(user)
        cart.move_to_cart(sku)
        self.save(cart)
        return cart

    @retry_on_conflict
    def check_out(
        self, user: str, customer_id: str, *, idempotency_key: str, note: str | None = None
    ) -> Order:
        """Place the cart's lines as the customer's order (origin "portal": it waits for
        the back office's approval), with the note to the seller, and empty the cart; both
        saved together. The same ``idempotency_key`` again returns the order placed the
        first time (a double click places one order; a concurrent second checkout
        conflicts, runs again and finds it). Conflict naming ``lines`` for an empty cart."""
        order_id = idempotent_id(idempotency_key, CHECKOUT_KEY_PREFIX)
        if (earlier := self.idempotent_checkout(idempotency_key)) is not None:
            return earlier
        cart = self.cart(user)
        if not cart.lines:
            raise Conflict("the cart is empty", field="lines")
        customer = self.get(Customer, customer_id, field="customer_id")
        requests = [LineRequest(sku=sku, quantity=qty) for sku, qty in cart.lines.items()]
        order = Order.place(
            customer,
            self._with_stock_at_entry(self._price_lines(customer, requests)),
            origin="portal",
            order_id=order_id,
            note=note,
        )
        cart.check_out(order.order_id)
        self.save(cart, order, customer)
        return order

    def idempotent_checkout(self, idempotency_key: str) -> Order | None:
        """The order a checkout with this ``Idempotency-Key`` placed earlier, if any."""
        return self.find(Order, idempotent_id(idempotency_key, CHECKOUT_KEY_PREFIX))

    # Orders -------------------------------------------------------------------------------

    @retry_on_conflict
    def place_order(
        self,
        *,
        customer_id: str,
        lines: Sequence[LineRequest],
        origin: str = "backoffice",
        expected_delivery_date: date | None = None,
        idempotency_key: str | None = None,
        external_order_id: str | None = None,
    ) -> Order:
        """Place an order. With an ``idempotency_key`` the order's id derives from it, so
        the same request again (a client retrying after a lost response) returns the
        order placed the first time and places nothing. ``external_order_id`` is the
        order's id where it came from (a marketplace, a partner). The customer is saved
        with it (the credit its amount takes): a placement for the same customer at the
        same moment conflicts and runs again on his fresh balance. Each line keeps the
        stock available when it was entered (``available_at_entry``, as last heard from
        inventory; None when nothing was heard)."""
        order_id = idempotent_id(idempotency_key) if idempotency_key else None
        if idempotency_key and (earlier := self.idempotent_order(idempotency_key)) is not None:
            return earlier
        customer = self.find(Customer, customer_id)
        if customer is None:
            raise InvalidInput(f"unknown customer {customer_id}", field="customer_id")
        order = Order.place(
            customer,
            self._with_stock_at_entry(self._price_lines(customer, lines)),
            origin,
            order_id=order_id,
            expected_delivery_date=(
                expected_delivery_date.isoformat() if expected_delivery_date else None
            ),
            external_order_id=external_order_id,
        )
        return self._save_idempotent(order, order_id, customer)

    def _with_stock_at_entry(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The lines, each with the stock of its sku available now, as last heard."""
        levels = {sku: self.stock_level(sku) for sku in {line["sku"] for line in lines}}
        return [
            {
                **line,
                "available_at_entry": (
                    level.available if (level := levels[line["sku"]]) is not None else None
                ),
            }
            for line in lines
        ]

    def idempotent_order(self, idempotency_key: str) -> Order | None:
        """The order placed earlier with this ``Idempotency-Key``, if any."""
        return self.find(Order, idempotent_id(idempotency_key))

    def _save_idempotent(self, made: A, made_id: UUID | None, *changed: Aggregate) -> A:
        """Save what a request made (and what else it ``changed``); with an
        ``Idempotency-Key`` (``made_id`` derives from it) the same request made
        concurrently may have saved it first: that one. Another conflict raises (the
        command runs again)."""
        try:
            self.save(made, *changed)
        except RecordConflictError:
            if made_id is None or (earlier := self.find(type(made), made_id)) is None:
                raise
            return earlier  # the same request, made concurrently
        return made

    @retry_on_conflict
    def approve_order(self, order_id: str, approved_by: str | None = None) -> Order:
        order = self.get(Order, order_id, field="order_id")
        customer = self.get(Customer, order.customer_id, field="customer_id")
        order.approve(customer, approved_by)
        self.save(order, customer)
        return order

    @retry_on_conflict
    def cancel_order(self, order_id: str, reason: str) -> Order:
        order = self.get(Order, order_id, field="order_id")
        customer = self.get(Customer, order.customer_id, field="customer_id")
        order.cancel(reason, customer)
        self.save(order, customer)
        return order

    # Quotes -------------------------------------------------------------------------------

    def create_quote(
        self,
        *,
        customer_id: str,
        lines: Sequence[LineRequest],
        valid_until: date | None = None,
        today: date | None = None,
        idempotency_key: str | None = None,
    ) -> Quote:
        """Draft a quote. With an ``idempotency_key`` its id derives from it (as an
        order's does): the same request again returns the quote drafted the first time
        and drafts nothing."""
        quote_id = idempotent_id(idempotency_key, QUOTE_KEY_PREFIX) if idempotency_key else None
        if idempotency_key and (earlier := self.idempotent_quote(idempotency_key)) is not None:
            return earlier
        customer = self.find(Customer, customer_id)
        if customer is None:
            raise InvalidInput(f"unknown customer {customer_id}", field="customer_id")
        quote = Quote.draft(
            customer.customer_id,
            customer.currency,
            self._price_lines(customer, lines, today),
            valid_until,
            today or _today(),
            quote_id=quote_id,
        )
        return self._save_idempotent(quote, quote_id)

    def idempotent_quote(self, idempotency_key: str) -> Quote | None:
        """The quote drafted earlier with this ``Idempotency-Key``, if any."""
        return self.find(Quote, idempotent_id(idempotency_key, QUOTE_KEY_PREFIX))

    @retry_on_conflict
    def revise_quote(
        self, quote_id: str, lines: Sequence[LineRequest], today: date | None = None
    ) -> Quote:
        quote = self.get(Quote, quote_id, field="quote_id")
        customer = self.get(Customer, quote.customer_id, field="customer_id")
        quote.revise(self._price_lines(customer, lines, today))
        self.save(quote)
        return quote

    def duplicate_quote(self, quote_id: str, today: date | None = None) -> Quote:
        """A new draft with the same customer and lines (and no validity date)."""
        source = self.get(Quote, quote_id, field="quote_id")
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
        quote.send(self.get(Customer, quote.customer_id, field="customer_id").email)
        self.save(quote)
        return quote

    @retry_on_conflict
    def accept_quote(self, quote_id: str, today: date | None = None) -> tuple[Quote, Order]:
        """Accept the quote and place its order (origin "quote"), saved together."""
        quote = self._valid_quote(quote_id, today)
        customer = self.get(Customer, quote.customer_id, field="customer_id")
        order = Order.place(customer, quote.lines, origin="quote", quote_id=quote.quote_id)
        quote.accept(order.order_id)
        self.save(quote, order, customer)
        return quote, order

    @retry_on_conflict
    def reject_quote(self, quote_id: str, reason: str | None) -> Quote:
        quote = self.get(Quote, quote_id, field="quote_id")
        quote.reject(reason)
        self.save(quote)
        return quote

    @retry_on_conflict
    def expire_quote(self, quote_id: str) -> Quote:
        quote = self.get(Quote, quote_id, field="quote_id")
        quote.expire()
        self.save(quote)
        return quote

    # Documents: attachments, the signed contract, the customer's approval (DESIGN
    # section 10). The files' bytes go to the attachments store (bootstrap configures
    # it) before the event that lists them is saved.

    attachments: AttachmentStore | None = None
    #: Largest file accepted (bootstrap sets it from settings).
    attachment_max_bytes: int = 10 * 1024 * 1024

    def configure_documents(self, *, attachments: AttachmentStore, max_bytes: int) -> None:
        self.attachments = attachments
        self.attachment_max_bytes = max_bytes

    @retry_on_conflict
    def attach_to_quote(
        self,
        quote_id: str,
        *,
        kind: str,
        name: str,
        data: bytes,
        uploaded_by: str | None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Attach a contract or another file (PDF, PNG or JPEG by its content) to a quote
        that is still open; returns the attachment as listed."""
        content_type = checked_upload(data, self.attachment_max_bytes)
        quote = self.get(Quote, quote_id, field="quote_id")
        stored = self._new_file(quote, name.strip() or "attachment", content_type, data, now)
        quote.attach(
            attachment_id=stored.attachment_id,
            kind=kind,
            name=stored.name,
            content_type=content_type,
            size=len(data),
            uploaded_at=stored.uploaded_at,
            uploaded_by=uploaded_by,
        )
        self._attachments().put(stored)
        self.save(quote)
        return quote.attachments[-1]

    @retry_on_conflict
    def sign_contract(
        self,
        quote_id: str,
        *,
        name: str,
        data: bytes,
        uploaded_by: str | None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """The customer's signed copy of the quote's contract, named in his language
        ("Contrato Assinado.pdf"); returns the attachment as listed."""
        content_type = checked_upload(data, self.attachment_max_bytes)
        quote = self.get(Quote, quote_id, field="quote_id")
        customer = self.get(Customer, quote.customer_id, field="customer_id")
        named = signed_contract_name(customer.language or self.company_language, name)
        stored = self._new_file(quote, named, content_type, data, now)
        quote.sign_contract(
            attachment_id=stored.attachment_id,
            name=named,
            content_type=content_type,
            size=len(data),
            uploaded_at=stored.uploaded_at,
            uploaded_by=uploaded_by,
        )
        self._attachments().put(stored)
        self.save(quote)
        return quote.attachments[-1]

    @retry_on_conflict
    def approve_quote(
        self, quote_id: str, approved_by: str | None = None, today: date | None = None
    ) -> tuple[Quote, Order]:
        """The customer approves his sent proposal (once the signed contract is there,
        when a contract is attached): its order is placed awaiting invoicing (APR), for
        the back office to release; both saved together."""
        quote = self._valid_quote(quote_id, today)
        customer = self.get(Customer, quote.customer_id, field="customer_id")
        order = Order.place(
            customer,
            quote.lines,
            origin="quote",
            quote_id=quote.quote_id,
            approved_by_customer=True,
        )
        quote.approve(order.order_id, approved_by)
        self.save(quote, order, customer)
        return quote, order

    def get_attachment(self, attachment_id: str) -> StoredFile:
        """A stored file that its quote lists; ``NotFound`` naming ``attachment_id``
        otherwise."""
        stored = self._attachments().get(attachment_id)
        quote = self.find(Quote, stored.quote_id) if stored is not None else None
        if (
            stored is None
            or quote is None
            or not any(a["attachment_id"] == attachment_id for a in quote.attachments)
        ):
            raise NotFound(f"no attachment {attachment_id}", field="attachment_id")
        return stored

    def _new_file(
        self, quote: Quote, name: str, content_type: str, data: bytes, now: datetime | None
    ) -> StoredFile:
        return StoredFile(
            attachment_id=str(uuid4()),
            quote_id=quote.quote_id,
            name=name[:200],
            content_type=content_type,
            data=data,
            uploaded_at=now or datetime.now(UTC),
        )

    def _attachments(self) -> AttachmentStore:
        if self.attachments is None:
            raise RuntimeError("documents are not configured (bootstrap configures them)")
        return self.attachments

    def _valid_quote(self, quote_id: str, today: date | None) -> Quote:
        """The quote; one whose validity has passed is expired (and saved) and refused."""
        quote = self.get(Quote, quote_id, field="quote_id")
        if quote.status in ("draft", "sent") and quote.is_past_validity(today or _today()):
            quote.expire()
            self.save(quote)
            raise Conflict(f"quote expired on {quote.valid_until}", field="valid_until")
        return quote

    def _price_lines(
        self, customer: Customer, lines: Sequence[LineRequest], day: date | None = None
    ) -> list[dict[str, Any]]:
        """Priced lines in the customer's currency; unknown skus name their line. A line
        without a unit price takes the price of the customer's price list valid on ``day``
        (today unless given), else the catalogue's; each says where its price came from
        (``price_source``)."""
        day = day or _today()
        price_list = (
            self.find(PriceList, customer.price_list_id) if customer.price_list_id else None
        )
        if price_list is not None and price_list.currency != customer.currency:
            price_list = None
        priced = []
        for index, request in enumerate(lines):
            product = self.find(Product, Product.create_id(request.sku))
            if product is None:
                raise InvalidInput(f"unknown sku {request.sku}", field=f"lines.{index}.sku")
            source = MANUAL if request.unit_price is not None else CATALOGUE
            if request.unit_price is None and price_list is not None:
                listed = price_list.unit_price(request.sku, product.unit_price, day)
                if listed is not None:
                    request, source = replace(request, unit_price=listed), PRICE_LIST
            line = price_line(index, request, product.catalogue_entry(), customer.currency)
            priced.append({**line, "price_source": source})
        return priced

    # Reactions to inventory's and billing's events -----------------------------------------

    def record_reservation(self, order_id: str, allocations: list[dict[str, Any]]) -> Order | None:
        order = self.find(Order, order_id)
        if order is not None:
            order.record_reservation(allocations)
        return order

    def report_shortage(
        self, order_id: str, sku: str, requested: Decimal, available: Decimal
    ) -> Order | None:
        order = self.find(Order, order_id)
        if order is not None:
            order.report_shortage(sku, requested, available)
        return order

    def record_shipment(
        self, order_id: str, goods_issue_id: str, lines: list[dict[str, Any]]
    ) -> Order | None:
        order = self.find(Order, order_id)
        if order is not None:
            order.record_shipment(goods_issue_id, lines)
        return order

    def record_tracking(
        self,
        order_id: str,
        goods_issue_id: str,
        shipment_id: str,
        carrier: str,
        service: str | None,
        tracking_number: str,
    ) -> Order | None:
        order = self.find(Order, order_id)
        if order is not None:
            order.record_tracking(goods_issue_id, shipment_id, carrier, service, tracking_number)
        return order

    def record_invoice(
        self, order_id: str, invoice_id: str, number: str, total: Decimal
    ) -> Order | None:
        order = self.find(Order, order_id)
        if order is not None:
            order.record_invoice(invoice_id, number, total)
        return order

    def record_stamp(
        self, order_id: str, invoice_id: str, stamp_uuid: str, stamped_at: datetime
    ) -> Order | None:
        """Raises NotFound (the event is dead-lettered, to be redriven) when the order has
        no such invoice yet."""
        order = self.find(Order, order_id)
        if order is not None:
            order.record_stamp(invoice_id, stamp_uuid, stamped_at)
        return order

    def mark_invoice_paid(self, order_id: str, invoice_id: str) -> Order | None:
        """Raises NotFound (dead-lettered, to be redriven) when the order has no such
        invoice yet."""
        order = self.find(Order, order_id)
        if order is not None:
            order.mark_invoice_paid(invoice_id)
        return order

    def record_receivable(
        self,
        customer_id: str,
        receivable_id: str,
        amount: Decimal,
        order_id: str | None = None,
        installments: Sequence[dict[str, Any]] = (),
    ) -> list[Aggregate]:
        """The customer's open balance goes up, what was unbilled of the order down; the
        order keeps the installments' due dates (``{number, due_on, amount}``)."""
        changed: list[Aggregate] = []
        customer = self.find(Customer, customer_id)
        if customer is not None:
            customer.record_receivable(receivable_id, amount, order_id)
            changed.append(customer)
        order = self.find(Order, order_id) if order_id is not None else None
        if order is not None and installments:
            order.record_installments(receivable_id, list(installments))
            changed.append(order)
        return changed

    def record_payment(
        self,
        *,
        customer_id: str,
        order_id: str,
        payment_id: str,
        invoice_id: str,
        amount: Decimal,
    ) -> list[Aggregate]:
        """The customer's open balance goes down, the order's paid amount up."""
        changed: list[Aggregate] = []
        customer = self.find(Customer, customer_id)
        if customer is not None:
            customer.record_payment(payment_id, amount)
            changed.append(customer)
        order = self.find(Order, order_id)
        if order is not None:
            order.record_payment(payment_id, invoice_id, amount)
            changed.append(order)
        return changed

    def record_invoice_cancellation(
        self, *, customer_id: str, order_id: str, invoice_id: str, reason: str, total: Decimal
    ) -> list[Aggregate]:
        """The invoice counts no more on its order, nor what was open of it in the
        customer's balance (all of it: billing cancels only what nothing paid or credited).
        Raises NotFound (dead-lettered, redriven) when the order has no such invoice yet."""
        return self._reduce_receivable(
            customer_id,
            order_id,
            reference=invoice_id,
            change=lambda order: order.record_invoice_cancellation(invoice_id, reason),
            unknown_order=total,
        )

    def record_credit_note(
        self,
        *,
        customer_id: str,
        order_id: str,
        credit_note_id: str,
        invoice_id: str,
        number: str,
        total: Decimal,
    ) -> list[Aggregate]:
        """The order's invoice is credited; the customer's balance falls by what the note
        took off the invoice's open amount (as billing computes it: never below zero)."""
        return self._reduce_receivable(
            customer_id,
            order_id,
            reference=credit_note_id,
            change=lambda order: order.record_credit_note(
                credit_note_id, invoice_id, number, total
            ),
            unknown_order=total,
        )

    def _reduce_receivable(
        self,
        customer_id: str,
        order_id: str,
        *,
        reference: str,
        change: Callable[[Order], Decimal | None],
        unknown_order: Decimal,
    ) -> list[Aggregate]:
        """Apply ``change`` to the order (what it took off the open amount, None for a
        repeat) and the same off the customer's balance; an order this service does not
        know leaves ``unknown_order`` as the amount."""
        changed: list[Aggregate] = []
        order = self.find(Order, order_id)
        amount: Decimal | None = unknown_order
        if order is not None:
            amount = change(order)
            if amount is None:
                return []  # heard before: nothing changes twice
            changed.append(order)
        customer = self.find(Customer, customer_id)
        if customer is not None and amount:
            customer.reduce_receivable(reference, amount)
            changed.append(customer)
        return changed

    # Reactions to marketplace-ingest's events: marketplace and partner orders ------------
    # marketplace-ingest chooses each order's id (one per marketplace order, one per
    # partner's Idempotency-Key), so an import seen again places nothing new. An order that
    # cannot be placed yet (its customer or a sku unknown) raises: dead-lettered, redriven.

    def import_marketplace_order(
        self,
        *,
        order_id: str,
        customer_id: str,
        channel: str,
        external_order_id: str,
        currency: str,
        lines: Sequence[LineRequest],
        buyer: dict[str, Any] | None = None,
        ship_to: dict[str, Any] | None = None,
    ) -> list[Aggregate] | None:
        """An order sold on a marketplace, at the marketplace's unit prices, booked to the
        connection's customer; it waits for the back office's approval."""
        if self.find(Order, order_id) is not None:
            return None
        customer = self.find(Customer, customer_id)
        if customer is None:
            raise InvalidInput(f"unknown customer {customer_id}", field="customer_id")
        if currency != customer.currency:
            raise InvalidInput(
                f"the order is in {currency}, customer {customer_id} buys in {customer.currency}",
                field="currency",
            )
        order = Order.place(
            customer,
            self._price_lines(customer, lines),
            "marketplace",
            order_id=UUID(order_id),
            external_order_id=external_order_id,
            channel=channel,
            buyer=buyer,
            ship_to=ship_to,
        )
        return [order, customer]

    def cancel_marketplace_order(self, order_id: str, reason: str) -> list[Aggregate] | None:
        """The buyer cancelled on the marketplace: the order is cancelled unless goods have
        left or it is invoiced (marketplace-ingest reports those in its import run)."""
        order = self.find(Order, order_id)
        if order is None or not order.can_be_cancelled_by_marketplace():
            return None
        customer = self.get(Customer, order.customer_id, field="customer_id")
        order.cancel(reason, customer)
        return [order, customer]

    def place_partner_order(
        self,
        *,
        order_id: str,
        partner_id: str,
        external_order_id: str,
        lines: Sequence[LineRequest],
        note: str | None = None,
    ) -> list[Aggregate] | None:
        """An order a partner pushed, at catalogue prices, booked to the partner's
        customer; it waits for the back office's approval."""
        if self.find(Order, order_id) is not None:
            return None
        partner = self.find(Partner, partner_id)
        if partner is None:
            raise InvalidInput(f"unknown partner {partner_id}", field="partner_id")
        customer = self.get(Customer, partner.customer_id, field="customer_id")
        order = Order.place(
            customer,
            self._price_lines(customer, lines),
            "partner",
            order_id=UUID(order_id),
            external_order_id=external_order_id,
            channel=f"partner:{partner.partner_id}",
            note=note,
        )
        return [order, customer]

    # History ------------------------------------------------------------------------------

    def order_history(self, order_id: str) -> list[HistoryEntry]:
        """Every change of the order, oldest first, with who made it."""
        order = self.get(Order, order_id, field="order_id")
        entries = []
        for stored in self.recorder.select_events(order.id):
            domain_event: Any = self.mapper.to_domain_event(stored)
            if isinstance(domain_event, Order.OrderStatusChanged):
                continue  # it repeats the status of the change it follows
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

    # Identity: users, sales reps, partners, signing in ------------------------------------
    # (DESIGN section 9.) Passwords and client secrets are hashed here (``passwords``),
    # never in the domain; they are never logged, returned or published (a partner's new
    # secret is returned once, to be shown once). Bootstrap configures the collaborators.

    passwords: Passwords | None = None
    signing_keys: SigningKeys | None = None
    tokens: TokenSigner | None = None
    throttle: SignInThrottle | None = None
    service_clients: ServiceClients = ServiceClients({})

    def configure_identity(
        self,
        *,
        passwords: Passwords,
        signing_keys: SigningKeys,
        tokens: TokenSigner,
        throttle: SignInThrottle,
        service_clients: ServiceClients | None = None,
    ) -> None:
        self.passwords = passwords
        self.signing_keys = signing_keys
        self.tokens = tokens
        self.throttle = throttle
        self.service_clients = service_clients or ServiceClients({})

    def register_user(
        self,
        *,
        username: str,
        password: str,
        role: str,
        sales_rep_id: str | None = None,
        customer_id: str | None = None,
        partner_id: str | None = None,
        language: str | None = None,
    ) -> User:
        """A new user; ``AlreadyExists`` naming ``username`` when the name is taken
        (whatever its letter case). The record his role stands for must exist."""
        _check_new_password(password, "password")
        language = language or self.company_language
        User.check(
            username=username,
            role=role,
            language=language,
            sales_rep_id=sales_rep_id,
            customer_id=customer_id,
            partner_id=partner_id,
        )
        for field, value, kind in (
            ("sales_rep_id", sales_rep_id, SalesRep),
            ("customer_id", customer_id, Customer),
            ("partner_id", partner_id, Partner),
        ):
            if value is not None and self.find(kind, value) is None:
                raise InvalidInput(f"unknown {field.removesuffix('_id')} {value}", field=field)
        if self.find_user(username) is not None:
            raise AlreadyExists(f"user {username.strip()} exists already", field="username")
        user = User.register(
            username=username,
            password_hash=self._passwords().hash(password),
            role=role,
            sales_rep_id=sales_rep_id,
            customer_id=customer_id,
            partner_id=partner_id,
            language=language,
        )
        try:
            self.save(user)
        except RecordConflictError as exc:  # registered at the same moment
            raise AlreadyExists(f"user {user.username} exists already", field="username") from exc
        return user

    def find_user(self, username: str) -> User | None:
        return self.find(User, User.create_id(username))

    @retry_on_conflict
    def disable_user(self, user_id: str, by: str | None = None) -> User:
        """He can no longer sign in. Nobody disables himself (the last admin would lock
        everybody out)."""
        user = self.get(User, user_id, field="user_id")
        if by is not None and username_key(by) == username_key(user.username):
            raise Conflict("a user may not disable himself", field="user_id")
        user.disable()
        self.save(user)
        return user

    @retry_on_conflict
    def enable_user(self, user_id: str) -> User:
        user = self.get(User, user_id, field="user_id")
        user.enable()
        self.save(user)
        return user

    @retry_on_conflict
    def change_password(self, username: str, current_password: str, new_password: str) -> User:
        """The user's own change (he is signed in): his current password first. Wrong
        ones are slowed down like failed sign-ins, counted apart from them: a caller who
        holds his token cannot lock him out of signing in, nor his address."""
        _check_new_password(new_password, "new_password")
        user = self._signed_in_user(
            username, current_password, None, field="current_password", counted_as="password"
        )
        user.change_password(self._passwords().hash(new_password))
        self.save(user)
        return user

    def register_sales_rep(self, *, name: str, email: str) -> SalesRep:
        sales_rep = SalesRep.register(name=name, email=email)
        self.save(sales_rep)
        return sales_rep

    def register_partner(self, *, name: str, customer_id: str) -> tuple[Partner, str]:
        """A partner client booking its orders to the customer; returns it with its
        client secret, which is not kept (only its hash): show it once."""
        if self.find(Customer, customer_id) is None:
            raise InvalidInput(f"unknown customer {customer_id}", field="customer_id")
        secret = new_client_secret()
        partner = Partner.register(
            name=name,
            customer_id=customer_id,
            client_id=f"partner-{secrets.token_hex(8)}",
            secret_hash=self._passwords().hash(secret),
        )
        self.save(partner)
        return partner, secret

    @retry_on_conflict
    def rotate_partner_secret(self, partner_id: str) -> tuple[Partner, str]:
        """A new client secret (returned once); the old one stops working at once."""
        partner = self.get(Partner, partner_id, field="partner_id")
        secret = new_client_secret()
        partner.rotate_secret(self._passwords().hash(secret))
        self.save(partner)
        return partner, secret

    @retry_on_conflict
    def disable_partner(self, partner_id: str) -> Partner:
        """The partner's client can no longer sign in (its tokens expire soon)."""
        partner = self.get(Partner, partner_id, field="partner_id")
        partner.disable()
        self.save(partner)
        return partner

    def password_grant(self, username: str, password: str, address: str) -> AccessToken:
        """A token for the user (OAuth 2 password grant). ``InvalidGrant`` alike for an
        unknown user, a disabled one and a wrong password, after the same work;
        ``TooManyFailures`` after repeated failures of this username or ``address``."""
        user = self._signed_in_user(username, password, address)
        return self._tokens().sign(user.username, user.role, user.stands_for)

    def client_grant(self, client_id: str, client_secret: str, address: str) -> AccessToken:
        """A token for a partner client or a service client (OAuth 2 client credentials
        grant); refused with ``InvalidClient`` alike for an unknown client, a disabled one
        and a wrong secret, a service's or a partner's, after the same work and counted
        the same way. A service client's id is never looked up among the partners' (their
        ids cannot be the same: settings refuse ``partner-...`` for a service)."""
        subject = f"client:{client_id}"
        throttle = self._throttle()
        throttle.check(subject, address)
        if client_id in self.service_clients:
            if self.service_clients.verify(client_id, client_secret):
                throttle.succeeded(subject)
                return self._tokens().sign(subject_of(client_id), SERVICE, {})
            self._passwords().verify_nobody(client_secret)
        else:
            partner = self.find(Partner, Partner.create_id(client_id))
            if partner is None:
                self._passwords().verify_nobody(client_secret)
            elif (
                self._passwords().verify(client_secret, partner.secret_hash)[0] and partner.enabled
            ):
                throttle.succeeded(subject)
                return self._tokens().sign(
                    partner.client_id, PARTNER, {"partner_id": partner.partner_id}
                )
        throttle.failed(subject, address)
        raise InvalidClient()

    def create_first_admin(self, password: str) -> User | None:
        """The user ``admin`` with ``password``, unless there is one already (then
        None): run at every start, by each of the service's processes."""
        if self.find_user(FIRST_ADMIN) is not None:
            return None
        try:
            return self.register_user(username=FIRST_ADMIN, password=password, role=ADMIN)
        except AlreadyExists:
            return None  # another process made him first

    def ensure_signing_key(self) -> str:
        """The current token signing key's id, made if there is none; fails (a missing or
        wrong key password) before any sign-in does."""
        if self.signing_keys is None:
            raise RuntimeError("identity is not configured (bootstrap configures it)")
        return self.signing_keys.ensure()

    def prepare_signing_in(self) -> str:
        """Before the first sign-in (the API's start): the signing key, and the hash an
        unknown user's password is checked against (made now, so that not even the first
        answer takes longer for an unknown user)."""
        kid = self.ensure_signing_key()
        self._passwords().verify_nobody("")
        return kid

    def rotate_signing_key(self) -> str:
        """A new current token signing key (its id); tokens signed with the old one keep
        verifying until they expire."""
        if self.signing_keys is None:
            raise RuntimeError("identity is not configured (bootstrap configures it)")
        return self.signing_keys.rotate()

    def _signed_in_user(
        self,
        username: str,
        password: str,
        address: str | None,
        field: str | None = None,
        counted_as: str = "user",
    ) -> User:
        """The enabled user whose password this is; ``InvalidGrant`` otherwise (or
        ``InvalidInput`` naming ``field``, for a password change). Failures are counted
        for ``<counted_as>:<username>`` and the address."""
        subject = f"{counted_as}:{username_key(username)}"
        throttle = self._throttle()
        throttle.check(subject, address)
        passwords = self._passwords()
        user = self.find_user(username) if USERNAME.match(username.strip()) else None
        if user is None:
            passwords.verify_nobody(password)
        else:
            matches, new_hash = passwords.verify(password, user.password_hash)
            if matches and user.enabled:
                throttle.succeeded(subject)
                if new_hash is not None:  # hashed with older parameters: keep the new hash
                    user.change_password(new_hash)
                    self.save(user)
                return user
        throttle.failed(subject, address)
        if field is not None:
            raise InvalidInput(f"{field} is not the user's password", field=field)
        raise InvalidGrant()

    def _passwords(self) -> Passwords:
        if self.passwords is None:
            raise RuntimeError("identity is not configured (bootstrap configures it)")
        return self.passwords

    def _tokens(self) -> TokenSigner:
        if self.tokens is None:
            raise RuntimeError("identity is not configured (bootstrap configures it)")
        return self.tokens

    def _throttle(self) -> SignInThrottle:
        if self.throttle is None:
            raise RuntimeError("identity is not configured (bootstrap configures it)")
        return self.throttle


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


def _check_language(language: str | None) -> None:
    if language is not None and language not in LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}", field="language")


def _check_invoicing(invoicing: str) -> None:
    if invoicing not in INVOICING:
        raise InvalidInput(f"invoicing must be one of {', '.join(INVOICING)}", field="invoicing")


def _today() -> date:
    return datetime.now(UTC).date()


# Identity ---------------------------------------------------------------------------------

#: The user created at the first start, with the password of ``OMS_ADMIN_PASSWORD``.
FIRST_ADMIN = "admin"
MIN_PASSWORD_LENGTH = 12
#: Longer passwords are refused (hashing megabytes would be a way to load the service).
MAX_PASSWORD_LENGTH = 1024


def _check_new_password(password: str, field: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"{field} must be at least {MIN_PASSWORD_LENGTH} characters", field=field
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"{field} must be at most {MAX_PASSWORD_LENGTH} characters", field=field)


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)

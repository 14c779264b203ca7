"""Who sees and does what in orders (DESIGN section 9), decided here once.

The roles each route allows (the kit's ``allow``; admin always may; "reach": within the
caller's reach, below):

- back_office: ``POST /customers``, ``PATCH /customers/{id}``, ``POST /products``,
  ``POST /price-lists``,
  ``PUT /products/{sku}/image`` and ``/associated``,
  ``POST /orders/{id}/approve`` and ``/cancel``, ``POST /quotes/{id}/accept``, ``/reject``
  and ``/expire``;
- back_office, sales_rep, customer (reach): ``GET /customers``, ``GET /customers/{id}``,
  ``POST /orders``, ``GET /orders``, ``GET /orders/{id}`` and ``/history``,
  ``GET /quotes``, ``GET /quotes/{id}``;
- back_office, sales_rep: ``GET /price-lists`` and ``GET /price-lists/{id}``;
- back_office, sales_rep (reach): ``POST /quotes``, ``POST /quotes/{id}/revise``,
  ``/duplicate`` and ``/send``;
- back_office, sales_rep, customer, warehouse: ``GET /products``, ``GET /products/{sku}``,
  ``/image`` and ``/associated`` (the catalogue is no customer's record: not scoped);
- customer only, his own (``cart_owner``; the admin too gets 403: he has no cart):
  ``/cart`` and its lines, saved list and checkout;
- back_office, sales_rep, customer (reach), service (every customer's): the proposal PDF,
  ``GET /quotes/{id}/pdf``, which the notifications service attaches to its e-mails. A
  service's token answers 403 on every other route (the kit refuses it wherever a route's
  ``allow`` does not name it).

The warehouse reads the catalogue (it handles the skus) and nothing else of orders' sales
routes; a partner nothing yet (it pushes orders through ``/partner/orders`` by its own
skus), nor a service (it reads only what it sends). A rep
prepares and sends the proposals of his portfolio; accepting one (it places the order) and
closing one are the back office's.

``Reach`` is the caller's part of the customers' records: the kit's ``Scope`` (staff:
everything; a customer: his own; a sales rep: the customers whose rep he is *now*; any
other role: nothing). Every list takes it (the views' ``list_`` queries; a rep's lists join
``orders_portfolio``); every single record is fetched through it, and outside it answers
404 as if it did not exist; a customer named in a body outside it answers 404 naming
``customer_id``. An order's origin follows the caller (``Reach.origin``).
"""

from __future__ import annotations

from collections.abc import Mapping

from oms_kit.auth import (
    BACK_OFFICE,
    CUSTOMER,
    PARTNER,
    SALES_REP,
    SERVICE,
    WAREHOUSE,
    Caller,
    Forbidden,
    Scope,
)
from oms_kit.domain import NotFound

from oms_orders.application import OrdersApplication
from oms_orders.domain.customer import Customer
from oms_orders.domain.order import Order
from oms_orders.domain.quote import Quote

#: Write customers and products; approve and cancel orders; accept, reject and expire quotes.
BACK_OFFICE_ONLY = (BACK_OFFICE,)
#: Read the catalogue.
CATALOGUE_READERS = (BACK_OFFICE, SALES_REP, CUSTOMER, WAREHOUSE)
#: Keep a cart and check it out: a customer user's own.
CART_OWNERS = (CUSTOMER,)
#: Read customers, quotes and orders, and place orders, each within reach.
SELLERS_AND_BUYERS = (BACK_OFFICE, SALES_REP, CUSTOMER)
#: Draft, revise, duplicate and send quotes, within reach.
QUOTE_WRITERS = (BACK_OFFICE, SALES_REP)
#: Read price lists (no customer's record: not scoped); only the back office writes them.
PRICE_LIST_READERS = (BACK_OFFICE, SALES_REP)
#: Read the proposal PDF: whoever reads the quote, and the services that send it.
PROPOSAL_READERS = (*SELLERS_AND_BUYERS, SERVICE)

#: The origin of the orders a role places; the back office chooses ("backoffice" unless
#: it says otherwise).
ORIGIN_OF_ROLE: Mapping[str, str] = {SALES_REP: "rep", CUSTOMER: "portal", PARTNER: "partner"}
BACK_OFFICE_ORIGIN = "backoffice"


class Reach:
    """What one caller may see and which origin his orders get."""

    def __init__(self, app: OrdersApplication, caller: Caller) -> None:
        self.app = app
        self.caller = caller
        self.scope = Scope.of(caller)

    def customer(self, customer_id: str) -> Customer:
        """The customer, within reach; ``NotFound`` naming ``customer_id`` otherwise."""
        customer = self.app.find(Customer, customer_id)
        if customer is None or not self.scope.allows(
            customer.customer_id, lambda _: customer.sales_rep_id
        ):
            raise NotFound(f"no customer {customer_id}", field="customer_id")
        return customer

    def named_customer(self, customer_id: str) -> None:
        """A customer a request's body names: ``NotFound`` naming ``customer_id`` outside
        reach. Staff reach every customer (one that does not exist is the command's to
        refuse, as invalid input)."""
        if not self.scope.everything:
            self.customer(customer_id)

    def order(self, order_id: str) -> Order:
        """The order, within reach; ``NotFound`` naming ``order_id`` otherwise."""
        order = self.app.find(Order, order_id)
        if order is None or not self._allows(order.customer_id):
            raise NotFound(f"no order {order_id}", field="order_id")
        return order

    def quote(self, quote_id: str) -> Quote:
        """The quote, within reach; ``NotFound`` naming ``quote_id`` otherwise."""
        quote = self.app.find(Quote, quote_id)
        if quote is None or not self._allows(quote.customer_id):
            raise NotFound(f"no quote {quote_id}", field="quote_id")
        return quote

    def origin(self, requested: str | None) -> str:
        """The origin of an order the caller places: his role's; only the back office
        sets another (``Forbidden`` naming ``origin``)."""
        if self.caller.is_staff:
            return requested or BACK_OFFICE_ORIGIN
        own = ORIGIN_OF_ROLE.get(self.caller.role)
        if own is None:
            raise Forbidden(f"a {self.caller.role} may not place orders")
        if requested not in (None, own):
            raise Forbidden(
                f"a {self.caller.role}'s orders have origin {own}; only the back office "
                "sets another",
                field="origin",
            )
        return own

    def _allows(self, customer_id: str) -> bool:
        return self.scope.allows(customer_id, self._rep_of)

    def _rep_of(self, customer_id: str) -> str | None:
        """The customer's rep now (the customer's own record, so a change of rep holds
        from the moment it is saved)."""
        customer = self.app.find(Customer, customer_id)
        return customer.sales_rep_id if customer is not None else None


def cart_owner(caller: Caller) -> tuple[str, str]:
    """The user whose cart it is (the token's subject) and his customer: a customer
    user's token only (``Forbidden`` for any other, the admin's too)."""
    if caller.role not in CART_OWNERS or caller.customer_id is None:
        raise Forbidden(f"a {caller.role} has no cart")
    return caller.subject, caller.customer_id

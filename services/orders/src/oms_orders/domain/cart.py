"""A customer user's cart and saved-for-later list (seed 003): one aggregate per user,
kept across sessions and devices. Lines hold a sku and a quantity only: names, prices and
availability are the catalogue's when the cart is read, and the order placed at checkout
is priced then. A sku is either in the cart or saved for later, never both."""

from __future__ import annotations

from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from oms_kit.domain import Conflict, InvalidInput, NotFound

#: Most lines a cart holds, and skus a saved-for-later list.
MAX_LINES = 100
MAX_SAVED = 100


class Cart(Aggregate):
    # Events (their names are part of the stored events' topics: never rename one) ------

    class CartOpened(Aggregate.Created):
        #: The user whose cart it is (his username, as his tokens name him).
        user: str

    class CartLineSet(Aggregate.Event):
        sku: str
        #: Zero removes the line.
        quantity: Decimal

    class CartLineSavedForLater(Aggregate.Event):
        sku: str

    class SavedLineMovedToCart(Aggregate.Event):
        sku: str

    class CartCheckedOut(Aggregate.Event):
        order_id: str

    @staticmethod
    def create_id(user: str) -> UUID:
        """One cart per user, whatever the letter case of his username."""
        return uuid5(NAMESPACE_URL, f"oms/orders/cart/{user.strip().lower()}")

    @event(CartOpened)
    def __init__(self, user: str) -> None:
        self.user = user
        #: sku -> quantity, in the order the lines were added.
        self.lines: dict[str, Decimal] = {}
        #: sku -> the quantity it had in the cart, in the order saved.
        self.saved: dict[str, Decimal] = {}
        self.orders: list[str] = []

    def set_line(self, sku: str, quantity: Decimal) -> bool:
        """The line's quantity (0 removes it; a saved sku comes back into the cart with
        it); False when nothing changes."""
        if quantity < 0:
            raise InvalidInput("quantity must not be negative", field="quantity")
        if quantity == 0 and sku not in self.lines:
            return False
        if self.lines.get(sku) == quantity:
            return False
        if quantity > 0 and sku not in self.lines and len(self.lines) >= MAX_LINES:
            raise Conflict(f"a cart holds at most {MAX_LINES} lines", field="sku")
        self._line_set(sku, quantity)
        return True

    @event(CartLineSet)
    def _line_set(self, sku: str, quantity: Decimal) -> None:
        self.saved.pop(sku, None)
        if quantity == 0:
            self.lines.pop(sku, None)
        else:
            self.lines[sku] = quantity

    def save_for_later(self, sku: str) -> None:
        """The cart's line moves to the saved-for-later list (NotFound naming ``sku`` when
        the cart has no such line)."""
        if sku not in self.lines:
            raise NotFound(f"the cart has no line {sku}", field="sku")
        if len(self.saved) >= MAX_SAVED:
            raise Conflict(f"at most {MAX_SAVED} products are saved for later", field="sku")
        self._saved_for_later(sku)

    @event(CartLineSavedForLater)
    def _saved_for_later(self, sku: str) -> None:
        self.saved[sku] = self.lines.pop(sku)

    def move_to_cart(self, sku: str) -> None:
        """A saved sku back into the cart, with the quantity it had (NotFound naming
        ``sku`` when it is not saved)."""
        if sku not in self.saved:
            raise NotFound(f"{sku} is not saved for later", field="sku")
        if len(self.lines) >= MAX_LINES:
            raise Conflict(f"a cart holds at most {MAX_LINES} lines", field="sku")
        self._moved_to_cart(sku)

    @event(SavedLineMovedToCart)
    def _moved_to_cart(self, sku: str) -> None:
        self.lines[sku] = self.saved.pop(sku)

    def check_out(self, order_id: str) -> None:
        """The lines became the order ``order_id``: the cart is empty again (the saved
        list stays). Conflict naming ``lines`` when there is nothing to order."""
        if not self.lines:
            raise Conflict("the cart is empty", field="lines")
        self._checked_out(order_id)

    @event(CartCheckedOut)
    def _checked_out(self, order_id: str) -> None:
        self.lines = {}
        self.orders.append(order_id)

"""The inventory service's own errors; the API's error map turns them into problems."""

from __future__ import annotations


class InventoryError(Exception):
    """Base of every inventory error; ``field`` names the offending input, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidQuantity(InventoryError):
    """A quantity that is zero, negative or not a finite number."""


class ExpiryMismatch(InventoryError):
    """A receipt into an existing lot names another expiry date than the lot has."""


class UnknownSku(InventoryError):
    """A sku that was never received."""


class PickListNotFound(InventoryError):
    """No pick list has this id."""


class PickListClosed(InventoryError):
    """The pick list is done or cancelled: it cannot be confirmed again."""


class InvalidPick(InventoryError):
    """What was reported as picked does not fit the pick list or the stock."""

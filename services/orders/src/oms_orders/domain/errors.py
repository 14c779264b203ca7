"""The orders service's own errors; the API's error map turns each into a problem."""

from __future__ import annotations


class OrdersError(Exception):
    """Base of every domain error of the orders service. ``field`` names the offending input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(OrdersError):
    """The addressed customer, product, order or quote does not exist (404)."""


class InvalidInput(OrdersError):
    """Input that is well-formed but cannot be applied: unknown references, bad amounts (422)."""


class Conflict(OrdersError):
    """The command does not fit the current state (409)."""


class AlreadyExists(Conflict):
    """A resource with this business key exists already (409)."""


class CreditLimitExceeded(Conflict):
    """The customer's open balance plus the order would pass the credit limit (409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="credit")

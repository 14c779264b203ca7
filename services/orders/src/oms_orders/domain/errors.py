"""The orders service's own error: the credit check's. Every other error is one of the
kit's domain errors (``oms_kit.domain``: InvalidInput, NotFound, Conflict, AlreadyExists),
which carry their HTTP status and name the offending input."""

from __future__ import annotations

from oms_kit.domain import Conflict


class CreditLimitExceeded(Conflict):
    """The customer's open balance plus the order would pass the credit limit (409)."""

    title = "Credit limit exceeded"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="credit")

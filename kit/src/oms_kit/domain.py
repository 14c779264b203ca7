"""The errors every domain raises, written once. Plain Python (stdlib only), so that a
service's domain may import it and still import no framework.

Each error names the input it is about (``field``) and carries the HTTP status the kit's
one error map answers with (RFC 9457 problem+json, the field in ``errors``)."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A command that cannot be applied; ``field`` names the offending input, if any."""

    status: ClassVar[int] = 422
    title: ClassVar[str] = "Invalid request"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """Well-formed input that cannot be applied: an unknown reference, a bad amount (422)."""


class NotFound(DomainError):
    """The addressed record does not exist, or the caller may not see it (404)."""

    status = 404
    title = "Not found"


class Conflict(DomainError):
    """The command does not fit the record's current state (409)."""

    status = 409
    title = "Conflict"


class AlreadyExists(Conflict):
    """A record with this business key exists already (409)."""

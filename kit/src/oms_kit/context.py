"""Metadata that travels with every change: who, why, and the trace it belongs to.

The HTTP middleware and the consumer open a scope; the event store's mapper stores the
scope's values beside each event, the relay puts them in the envelope and Kafka headers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from opentelemetry import propagate

_scope: ContextVar[dict[str, str] | None] = ContextVar("oms_event_metadata", default=None)


@contextmanager
def metadata_scope(
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    actor: str | None = None,
) -> Iterator[None]:
    values = {
        k: v
        for k, v in {
            "correlation_id": correlation_id,
            "causation_id": causation_id,
            "actor": actor,
        }.items()
        if v
    }
    token = _scope.set(values)
    try:
        yield
    finally:
        _scope.reset(token)


def current_metadata() -> dict[str, str]:
    """The open scope's values plus the current trace context (W3C ``traceparent``)."""
    meta = dict(_scope.get() or {})
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if "traceparent" in carrier:
        meta["traceparent"] = carrier["traceparent"]
    return meta


def set_actor(actor: str) -> None:
    """Name the actor of the open scope (a request, once its token is verified): every
    event stored within it carries this actor. The scope's values are shared by the
    request's threads, so the routes' worker threads see it too."""
    values = _scope.get()
    if values is None:
        _scope.set({"actor": actor})
    else:
        values["actor"] = actor

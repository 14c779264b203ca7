"""Topic names: one events topic per service, keyed by aggregate id, and its dead letters."""

from typing import Final

SERVICES: Final = (
    "orders",
    "inventory",
    "billing",
    "commissions",
    "marketplace-ingest",
    "notifications",
)


def events_topic(service: str) -> str:
    """The topic a service publishes its public events to."""
    _check(service)
    return f"oms.{service}.events"


def dlq_topic(service: str) -> str:
    """The dead-letter topic of a consuming service."""
    _check(service)
    return f"oms.{service}.dlq"


def _check(service: str) -> None:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")

"""Topic names: one events topic per service, keyed by aggregate id, and its dead letters.

The services are those that publish a contract event (``registry.sources()``): no topic
is advertised for a service that publishes nothing."""

from oms_contracts.base import registry


def events_topic(service: str) -> str:
    """The topic a service publishes its public events to."""
    _check(service)
    return f"oms.{service}.events"


def dlq_topic(service: str) -> str:
    """The dead-letter topic of a consuming service."""
    _check(service)
    return f"oms.{service}.dlq"


def _check(service: str) -> None:
    known = registry.sources()
    if service not in known:
        raise ValueError(f"unknown service {service!r}; expected one of {', '.join(known)}")

"""A service on the in-memory event store, for its use-case tests: commands and inbound
handlers run as in production (the same Application, the same exactly-once consumer
path, the same outbound mappings), with no database and no broker.

    orders = ServiceInMemory(bootstrap)
    order = orders.app.place_order(...)
    orders.deliver(StockReserved(order_id=..., ...))
    assert orders.published(OrderConfirmed)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import uuid4

from oms_contracts import ContractEvent, Envelope
from oms_kit.consumer import ExactlyOnceConsumer, Outcome
from oms_kit.eventstore import ServiceApplication
from oms_kit.service import Service

E = TypeVar("E", bound=ContractEvent)


def envelope_bytes(
    event: ContractEvent,
    *,
    source_position: int,
    aggregate_id: str | None = None,
    aggregate_version: int = 1,
    correlation_id: str | None = None,
) -> bytes:
    """The JSON of ``event`` in its envelope, as the producing service's relay sends it."""
    envelope: Envelope[ContractEvent] = Envelope(
        event_id=uuid4(),
        event_type=event.event_type,
        event_version=event.event_version,
        occurred_at=datetime.now(UTC),
        source=event.source,
        source_position=source_position,
        aggregate_id=aggregate_id or str(uuid4()),
        aggregate_version=aggregate_version,
        correlation_id=correlation_id,
        payload=event,
    )
    return envelope.model_dump_json().encode()


class Fed:
    """A service in this process, and a way to feed it contract events through the kit's
    exactly-once consumer, as if they came from their source's topic."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.consumer = ExactlyOnceConsumer(service.app, service.name, service.inbound)
        self._positions = itertools.count(1)

    @property
    def app(self) -> Any:
        """The service's Application (typed Any: each test knows its service's class)."""
        return self.service.app

    def deliver(
        self,
        event: ContractEvent,
        *,
        position: int | None = None,
        aggregate_id: str | None = None,
        aggregate_version: int = 1,
    ) -> Outcome:
        """Consume ``event`` as if it came from its source's topic at ``position`` (the next
        one by default), stored as ``aggregate_version`` of its source aggregate: "applied",
        "duplicate", "ignored" or "dead-letter"."""
        raw = envelope_bytes(
            event,
            source_position=position if position is not None else next(self._positions),
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
        )
        return self.consumer.process(raw)

    def close(self) -> None:
        self.service.app.close()

    def published(self, event_type: type[E] | None = None) -> list[Any]:
        """The contract events the service's relay would publish, in log order (of
        ``event_type`` only, when given)."""
        app: ServiceApplication = self.service.app
        events = []
        for notification in app.recorder.select_notifications(1, 1_000_000):
            contract = self.service.outbound(app.mapper.to_domain_event(notification))
            if contract is not None and (event_type is None or isinstance(contract, event_type)):
                events.append(contract)
        return events


class ServiceInMemory(Fed):
    """``bootstrap(event_store="memory", **overrides)``, fed events in memory."""

    def __init__(self, bootstrap: Callable[..., Service], **overrides: Any) -> None:
        super().__init__(bootstrap(event_store="memory", **overrides))

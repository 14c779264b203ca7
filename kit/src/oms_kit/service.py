"""How a service plugs into the event path, the same way in every service:

- ``Inbound``: one typed handler per consumed contract event (``integration/inbound.py``),
  calling an Application method that returns what it changed;
- ``Outbound``: one typed mapping per published domain event (``integration/outbound.py``);
- ``View``: one class per read model (``projections/``, see :mod:`oms_kit.projection`);
- ``Service``: what a service's ``bootstrap()`` returns, ready for the kit to run.

The kit adds the tracking record, records the changes in one transaction, dead-letters
what fails; services never see eventsourcing's ``ProcessingEvent``, Kafka records or the
kit's tables."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from fastapi import APIRouter
from oms_contracts import ContractEvent

from oms_kit.auth import JwksVerifier, TokenVerifier
from oms_kit.eventstore import Changed, ServiceApplication
from oms_kit.projection import View
from oms_kit.settings import ServiceSettings

AppT = TypeVar("AppT", bound=ServiceApplication)
EventT = TypeVar("EventT", bound=ContractEvent)
DomainEventT = TypeVar("DomainEventT")


@dataclass(frozen=True)
class Received:
    """Where a consumed event came from, for the rare handler that needs more than the
    event itself (e.g. to ignore a source aggregate's stale versions)."""

    source: str
    source_position: int
    aggregate_id: str
    aggregate_version: int
    occurred_at: datetime


Reaction = Callable[[AppT, EventT], Changed] | Callable[[AppT, EventT, Received], Changed]


@dataclass(frozen=True)
class Handler(Generic[AppT]):
    """A service's reaction to one consumed contract event."""

    event_type: type[ContractEvent]
    reaction: Callable[..., Changed]
    #: Reactions that all change one shared aggregate (a numbering series) are applied
    #: one at a time: side by side they would only conflict and re-run.
    one_at_a_time: bool = False

    @cached_property
    def wants_received(self) -> bool:
        return len(inspect.signature(self.reaction).parameters) == 3

    def react(self, app: AppT, event: ContractEvent, received: Received) -> Changed:
        if self.wants_received:
            return self.reaction(app, event, received)
        return self.reaction(app, event)


class Inbound(Generic[AppT]):
    """The contract events a service consumes, one typed handler each::

    inbound = Inbound(OrdersApplication)

    @inbound.on(StockReserved)
    def on_stock_reserved(app: OrdersApplication, event: StockReserved) -> Changed:
        return app.record_reservation(...)
    """

    def __init__(self, app_type: type[AppT]) -> None:
        self.app_type = app_type
        self.handlers: dict[type[ContractEvent], Handler[AppT]] = {}

    def on(
        self, event_type: type[EventT], *, one_at_a_time: bool = False
    ) -> Callable[[Reaction[AppT, EventT]], Reaction[AppT, EventT]]:
        def register(react: Reaction[AppT, EventT]) -> Reaction[AppT, EventT]:
            if event_type in self.handlers:
                raise ValueError(f"{event_type.__name__} has a handler already")
            self.handlers[event_type] = Handler(event_type, react, one_at_a_time)
            return react

        return register

    @property
    def sources(self) -> list[str]:
        """The services whose events it consumes (their topics)."""
        return sorted({event_type.source for event_type in self.handlers})


class Outbound:
    """The domain events a service publishes, one typed mapping each to its contract
    event; events without a mapping stay private::

        outbound = Outbound()

        @outbound.maps(Order.OrderApproved)
        def order_approved(event: Order.OrderApproved) -> orders.OrderApproved: ...
    """

    def __init__(self) -> None:
        self.mappings: dict[type[Any], Callable[[Any], ContractEvent]] = {}

    def maps(
        self, *domain_types: type[DomainEventT]
    ) -> Callable[[Callable[[DomainEventT], EventT]], Callable[[DomainEventT], EventT]]:
        def register(mapping: Callable[[DomainEventT], EventT]) -> Callable[[DomainEventT], EventT]:
            for domain_type in domain_types:
                if domain_type in self.mappings:
                    raise ValueError(f"{domain_type.__qualname__} is mapped already")
                self.mappings[domain_type] = mapping
            return mapping

        return register

    def __call__(self, event: DomainEventProtocol[UUID]) -> ContractEvent | None:
        """The public event for a domain event, or None when it stays private."""
        mapping = self.mappings.get(type(event))
        return mapping(event) if mapping is not None else None


@dataclass(frozen=True)
class Background:
    """A service loop the worker runs in a thread until the event is set. One worker of the
    service runs it at a time (a lease: :mod:`oms_kit.leadership`), unless ``side_by_side``:
    a loop that claims each piece of work it does, so workers may share it (throughput).
    A plain function in ``Service.background`` is a single-active loop named after it."""

    run: Callable[[threading.Event], None]
    name: str
    side_by_side: bool = False

    def __call__(self, stop: threading.Event) -> None:
        self.run(stop)


@dataclass
class Service:
    settings: ServiceSettings
    app: ServiceApplication
    title: str
    inbound: Inbound[Any]
    outbound: Outbound
    #: Routes that need a valid token (all but a few), and those that do not.
    routers: Sequence[APIRouter] = ()
    public_routers: Sequence[APIRouter] = ()
    views: Sequence[View] = ()
    #: How tokens are verified: by default with the keys at ``OMS_AUTH_JWKS_URL``.
    verifier: TokenVerifier | None = None
    #: Where the docs' Authorize button signs in (an OAuth 2 password grant token URL), if
    #: anywhere: the issuing service's own ``/auth/token``.
    token_url: str | None = None
    #: Service-specific loops the worker runs in threads until the event is set (e.g. a
    #: retry of failed stampings). Each must return soon after the event is set. One worker
    #: of the service runs each, unless it is a ``Background(..., side_by_side=True)``.
    background: Sequence[Callable[[threading.Event], None]] = ()

    @property
    def name(self) -> str:
        return self.settings.service

    def token_verifier(self) -> TokenVerifier:
        if self.verifier is not None:
            return self.verifier
        return JwksVerifier(self.settings.auth_jwks_url, self.settings.auth_issuer)

    @property
    def sources(self) -> list[str]:
        return self.inbound.sources

    def loops(self) -> list[Background]:
        """The background loops, each named (its lease's name): a plain function by its
        qualified name, a second of the same name numbered."""
        loops: list[Background] = []
        names: set[str] = set()
        for loop in self.background:
            if not isinstance(loop, Background):
                qualname = getattr(loop, "__qualname__", type(loop).__qualname__)
                loop = Background(loop, qualname.replace(".<locals>", ""))
            name, n = loop.name, 1
            while name in names:
                n += 1
                name = f"{loop.name}#{n}"
            names.add(name)
            loops.append(Background(loop.run, name, loop.side_by_side))
        return loops

    def view(self, name: str) -> View:
        for view in self.views:
            if view.name == name:
                return view
        known = ", ".join(v.name for v in self.views) or "none"
        raise LookupError(f"{self.name} has no read model {name!r} (it has: {known})")

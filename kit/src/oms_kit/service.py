"""What a service's ``bootstrap()`` returns: its parts, ready for the kit to run."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from fastapi import APIRouter
from oms_contracts import ContractEvent

from oms_kit.consumer import Handler
from oms_kit.eventstore import ServiceApplication
from oms_kit.http import ErrorMap
from oms_kit.projection import Projection
from oms_kit.relay import Outbound
from oms_kit.settings import ServiceSettings


@dataclass
class Service:
    settings: ServiceSettings
    app: ServiceApplication
    title: str
    #: Maps private domain events to public contract events (integration/outbound.py).
    outbound: Outbound
    routers: Sequence[APIRouter] = ()
    errors: ErrorMap = field(default_factory=dict)
    #: Services whose events it consumes, and a handler per contract event it reacts to.
    sources: Sequence[str] = ()
    handlers: Mapping[type[ContractEvent], Handler] = field(default_factory=dict)
    #: Consumed events applied one at a time (their handlers all change one aggregate).
    serial: Collection[type[ContractEvent]] = ()
    projections: Sequence[Projection] = ()
    #: Service-specific loops the worker runs in threads until the event is set (e.g. a
    #: retry of failed stampings). Each must return soon after the event is set.
    background: Sequence[Callable[[threading.Event], None]] = ()

    @property
    def name(self) -> str:
        return self.settings.service

    def projection(self, name: str) -> Projection:
        for projection in self.projections:
            if projection.name == name:
                return projection
        known = ", ".join(p.name for p in self.projections) or "none"
        raise LookupError(f"{self.name} has no projection {name!r} (it has: {known})")

"""Billing on the real stack for the api/ and integration/ tests: its HTTP routes through a
test client, contract events fed through the kit's exactly-once consumer, its views caught
up on demand."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from fastapi.testclient import TestClient
from oms_contracts import ContractEvent
from oms_dev.inmemory import envelope_bytes
from oms_kit.consumer import ExactlyOnceConsumer, Outcome
from oms_kit.projection import ProjectionRunner
from oms_kit.service import Service


@dataclass
class BillingOnStack:
    service: Service
    client: TestClient
    consumer: ExactlyOnceConsumer
    positions: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def deliver(self, event: ContractEvent, *, position: int | None = None) -> Outcome:
        """Consume ``event`` as its source's relay would publish it."""
        source_position = position if position is not None else next(self.positions)
        return self.consumer.process(envelope_bytes(event, source_position=source_position))

    def catch_up(self) -> None:
        for view in self.service.views:
            ProjectionRunner(self.service.app, view).catch_up()

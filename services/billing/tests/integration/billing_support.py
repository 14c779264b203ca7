"""Helpers of billing's integration tests: the service on the real stack, fed contract
events through the exactly-once consumer, with its projections caught up on demand."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient
from oms_billing.application.stamping import Stamp, StampingFailed, StampingProvider
from oms_contracts import ContractEvent, Envelope
from oms_contracts.inventory import GoodsIssued, LotQuantity
from oms_contracts.orders import Line, OrderConfirmed
from oms_kit.consumer import ExactlyOnceConsumer, Outcome
from oms_kit.projection import ProjectionRunner
from oms_kit.service import Service

D = Decimal


class FlakyProvider:
    """Fails the first ``failures`` stampings, then delegates."""

    def __init__(self, inner: StampingProvider, failures: int) -> None:
        self.inner = inner
        self.failures = failures
        self.calls = 0

    def stamp(self, invoice_xml: bytes) -> Stamp:
        self.calls += 1
        if self.calls <= self.failures:
            raise StampingFailed(f"provider unavailable (call {self.calls})")
        return self.inner.stamp(invoice_xml)


@dataclass
class Billing:
    service: Service
    client: TestClient
    consumer: ExactlyOnceConsumer
    positions: dict[str, itertools.count[int]] = field(default_factory=dict)

    def feed(self, event: ContractEvent, aggregate_id: str | None = None) -> Outcome:
        """Deliver one contract event as its source would publish it."""
        source = type(event).source
        position = next(self.positions.setdefault(source, itertools.count(1)))
        return self.consumer.process(raw(event, position, aggregate_id))

    def catch_up(self) -> None:
        for projection in self.service.projections:
            ProjectionRunner(self.service.app, projection).catch_up()

    def contract_events(self) -> list[ContractEvent]:
        """Every public event billing's relay would publish, in store order."""
        notifications = self.service.app.recorder.select_notifications(1, 10_000)
        mapper = self.service.app.mapper
        events = [self.service.outbound(mapper.to_domain_event(n)) for n in notifications]
        return [e for e in events if e is not None]

    def of_type(self, kind: type[ContractEvent]) -> list[Any]:
        return [e for e in self.contract_events() if isinstance(e, kind)]


def raw(event: ContractEvent, position: int, aggregate_id: str | None = None) -> bytes:
    envelope = Envelope[Any](
        event_id=uuid4(),
        event_type=event.event_type,
        event_version=event.event_version,
        occurred_at=datetime.now(UTC),
        source=type(event).source,
        source_position=position,
        aggregate_id=aggregate_id or str(uuid4()),
        aggregate_version=1,
        payload=json.loads(event.model_dump_json()),
    )
    return envelope.model_dump_json().encode()


def order_confirmed(
    order_id: str, customer_id: str = "cust-1", terms: list[int] | None = None
) -> OrderConfirmed:
    """Two lines: 3 x SKU-A for 100.00 net and 1 x SKU-B for 50.00 net, both at 16%."""
    return OrderConfirmed(
        order_id=order_id,
        customer_id=customer_id,
        currency="MXN",
        lines=[
            Line(
                line_no=1,
                sku="SKU-A",
                quantity=D(3),
                unit_price=D("40.00"),
                discount_percent=D("16.6666"),
                tax_rate=D("0.16"),
                net_amount=D("100.00"),
            ),
            Line(
                line_no=2,
                sku="SKU-B",
                quantity=D(1),
                unit_price=D("50.00"),
                tax_rate=D("0.16"),
                net_amount=D("50.00"),
            ),
        ],
        total=D("174.00"),
        payment_terms_days=[30, 60] if terms is None else terms,
    )


def goods_issued(goods_issue_id: str, order_id: str, *lines: tuple[str, int]) -> GoodsIssued:
    return GoodsIssued(
        goods_issue_id=goods_issue_id,
        order_id=order_id,
        lines=[
            LotQuantity(sku=sku, quantity=D(qty), warehouse="WH-1", lot="LOT-1")
            for sku, qty in lines
        ],
    )

"""A republish after a broker loss does not give up on a batch the new broker refuses for a
moment: it sends it again with a new producer (consumers drop repeats)."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from aiokafka.errors import UnknownError
from oms_kit.eventstore import build_application
from oms_kit.relay import OutboxRelay
from oms_kit.settings import ServiceSettings
from sample.app import SampleOrders, to_contract


class OrdersSettings(ServiceSettings):
    service: ClassVar[str] = "orders"


class Batch:
    def __init__(self) -> None:
        self.records: list[bytes] = []

    def append(self, *, key: bytes, value: bytes, timestamp: Any, headers: Any) -> object:
        self.records.append(value)
        return object()


class Producer:
    """Records what it sends; ``refusals`` batches are answered with the broker's error."""

    def __init__(self, sent: list[bytes], refusals: list[int]) -> None:
        self.sent = sent
        self.refusals = refusals

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def partitions_for(self, topic: str) -> set[int]:
        return {0, 1, 2}

    def create_batch(self) -> Batch:
        return Batch()

    async def send_batch(self, batch: Batch, topic: str, partition: int) -> asyncio.Future[Any]:
        ack: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.refusals and self.refusals[0] > 0:
            self.refusals[0] -= 1
            ack.set_exception(UnknownError())
        else:
            self.sent.extend(batch.records)
            ack.set_result(None)
        return ack


def test_a_refused_batch_is_sent_again_until_the_broker_takes_it() -> None:
    settings = OrdersSettings(event_store="memory", relay_batch_size=4)
    app = build_application(SampleOrders, settings)
    for n in range(10):
        app.register(f"customer-{n}")
    sent: list[bytes] = []
    refusals = [1]  # the new broker refuses the first send
    producers: list[Producer] = []

    def producer() -> Any:
        producers.append(Producer(sent, refusals))
        return producers[-1]

    relay = OutboxRelay(app, settings, to_contract, producer_factory=producer)
    relay.republish_pause_s = 0.0
    assert asyncio.run(relay.republish(0)) == 10
    # Every event reached the broker (some twice: the refused batch's other partitions
    # were taken the first time, and consumers drop such repeats).
    assert len(set(sent)) == 10 and len(sent) >= 10
    assert len(producers) == 2  # a new producer after the refusal

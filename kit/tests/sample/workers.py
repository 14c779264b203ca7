"""The sample services as the kit runs them (``Service``, ``worker()``): orders with its
relay, a read model and two background loops; billing consuming orders' events.

python workers.py   runs an orders worker (OMS_PG_DSN and OMS_KAFKA_BOOTSTRAP set)
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oms_kit.eventstore import build_application
from oms_kit.runtime import run_worker
from oms_kit.service import Background, Inbound, Outbound, Service

from sample.app import (
    BillingSettings,
    CustomerListView,
    OrdersSettings,
    SampleBilling,
    SampleOrders,
    billing_inbound,
    to_contract,
)


class Beat:
    """A background loop that only shows whether it runs."""

    def __init__(self) -> None:
        self.running = threading.Event()
        self.started = 0

    def run(self, stop: threading.Event) -> None:
        self.started += 1
        self.running.set()
        stop.wait()
        self.running.clear()


def orders_service(
    single: Beat | None = None, shared: Beat | None = None, **overrides: Any
) -> Service:
    """Orders with its read model, a single-active loop and one run side by side."""
    settings = OrdersSettings(**overrides)
    app = build_application(SampleOrders, settings)
    return Service(
        settings=settings,
        app=app,
        title="sample orders",
        inbound=Inbound(SampleOrders),
        outbound=to_contract,
        views=[CustomerListView(app)],
        background=[
            Background((single or Beat()).run, "single"),
            Background((shared or Beat()).run, "shared", side_by_side=True),
        ],
    )


def billing_service(**overrides: Any) -> Service:
    settings = BillingSettings(**overrides)
    app = build_application(SampleBilling, settings)
    return Service(
        settings=settings,
        app=app,
        title="sample billing",
        inbound=billing_inbound,
        outbound=Outbound(),
    )


if __name__ == "__main__":
    run_worker(orders_service)

"""The sample's relay or consumer as a process of its own, to be killed by the tests.

python processes.py relay|consumer   (OMS_PG_DSN and OMS_KAFKA_BOOTSTRAP set)
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oms_kit.consumer import ExactlyOnceConsumer
from oms_kit.relay import OutboxRelay

from sample.app import billing_app, billing_inbound, orders_app, to_contract


async def main(role: str) -> None:
    dsn, bootstrap = os.environ["OMS_PG_DSN"], os.environ["OMS_KAFKA_BOOTSTRAP"]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if role == "relay":
        app, settings = orders_app(dsn, bootstrap)
        await OutboxRelay(app, settings, to_contract).run(stop)
    else:
        billing, _ = billing_app(dsn, bootstrap)
        await ExactlyOnceConsumer(billing, "billing", billing_inbound).run(bootstrap, stop)


if __name__ == "__main__":
    logging.basicConfig(level=logging.DEBUG if os.environ.get("OMS_DEBUG") else logging.WARNING)
    asyncio.run(main(sys.argv[1]))

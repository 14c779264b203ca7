"""The portal served by uvicorn in a thread of the test process, on a free port."""

from __future__ import annotations

import threading
from typing import Any

import uvicorn
from oms_dev.devstack import free_port
from oms_dev.testing import wait_until
from oms_portal.bootstrap import bootstrap


class PortalServer:
    """The portal app served by uvicorn in a thread, on a free port."""

    def __init__(self, **overrides: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            bootstrap(**overrides),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="portal", daemon=True)

    def __enter__(self) -> PortalServer:
        self.thread.start()
        wait_until(lambda: self.server.started, timeout=30, what="the portal to start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

"""The portal's web process (``python -m oms_portal.entrypoints.api``), on port 8000 by
default (``OMS_HTTP_PORT``)."""

import logging

import uvicorn

from oms_portal.bootstrap import bootstrap
from oms_portal.settings import Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = Settings()
    uvicorn.run(
        bootstrap(),
        host=settings.http_host,
        port=settings.http_port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()

"""The orders HTTP API process. It makes the first token signing key if there is none
(and refuses to start when the keys' password is missing outside the dev stack, or
wrong), then takes its first requests."""

from typing import cast

from oms_kit.runtime import serve_api
from oms_kit.service import Service

from oms_orders.application import OrdersApplication
from oms_orders.bootstrap import bootstrap
from oms_orders.identity.keys import KeyPasswordWrong
from oms_orders.settings import MissingKeyPassword


def api_service() -> Service:
    service = bootstrap()
    try:
        cast(OrdersApplication, service.app).prepare_signing_in()
    except (MissingKeyPassword, KeyPasswordWrong) as exc:
        service.app.close()
        raise SystemExit(f"orders cannot start: {exc}") from exc
    return service


if __name__ == "__main__":
    serve_api(api_service)

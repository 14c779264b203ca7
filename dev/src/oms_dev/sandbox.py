"""The dev stack's sandbox marketplace: ``oms up`` runs the Selling Partner API double
(``oms_dev.marketplace``) in its own process as an Amazon.es seller account, seeds it with a
handful of orders of the demo's products (``oms_dev.demo.MARKETPLACE_PRODUCTS``), and
connects marketplace-ingest to it through the public routes, signed in as the admin, so
that ``oms demo`` imports them as any seller account's orders are imported.

What lets one connection serve every ``oms up`` is kept in
``<state dir>/sandbox-marketplace.json`` (readable by this user only): the double's made-up
credentials, the customer its orders are booked to and the connection's id. A later ``oms
up`` starts the double with the same credentials and reuses the customer and the
connection while the stack still has them and the double listens where the connection
points (``oms up --fresh`` starts over). The double keeps its orders in memory: each start
seeds new ones.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from oms_dev.client import SignIn
from oms_dev.demo import (
    MARKETPLACE_CURRENCY,
    MARKETPLACE_PRODUCTS,
    DemoFailed,
    define_marketplace_products,
)
from oms_dev.marketplace import Credentials, MarketplaceDouble, iso
from oms_dev.stack import state_dir

#: Where ``oms up`` runs the double unless that port is taken.
SANDBOX_PORT = 8090
SELLER_ID = "A2OMSSANDBOXES"
#: Amazon.es
MARKETPLACE_ID = "A1RKKUPIHCS9HS"
CONNECTION_NAME = "Amazon.es sandbox (Selling Partner API double)"
CUSTOMER = {
    "name": "Amazon.es marketplace sales (sandbox)",
    "tax_id": "ES-SANDBOX-AMAZON",
    "email": "amazon-es-sandbox@example.com",
    "credit_limit": "1000000.00",
    "payment_terms_days": [30],
    "currency": MARKETPLACE_CURRENCY,
    "language": "es",
}

_PRICES = {sku: price for sku, _name, price in MARKETPLACE_PRODUCTS}
MUG, TEE, BOTTLE, TOTE = (sku for sku, _name, _price in MARKETPLACE_PRODUCTS)


def _address(line: str, city: str, region: str, postal_code: str) -> dict[str, str]:
    return {
        "addressLine1": line,
        "city": city,
        "stateOrRegion": region,
        "postalCode": postal_code,
        "countryCode": "ES",
    }


#: The seeded orders: buyer, ship-to, lines (SKU, quantity), hours before start, and
#: whether the buyer cancelled before it could be imported.
SEED: tuple[tuple[str, dict[str, str], tuple[tuple[str, int], ...], float, bool], ...] = (
    (
        "María García López",
        _address("Calle de Alcalá 120, 3º B", "Madrid", "Madrid", "28009"),
        ((MUG, 2),),
        5.0,
        False,
    ),
    (
        "Jordi Puig Serra",
        _address("Carrer de Mallorca 245, 2n 1a", "Barcelona", "Barcelona", "08008"),
        ((TEE, 1), (TOTE, 1)),
        4.2,
        False,
    ),
    (
        "Lucía Fernández Ruiz",
        _address("Avinguda del Port 58", "Valencia", "Valencia", "46023"),
        ((BOTTLE, 1),),
        3.5,
        False,
    ),
    (
        "Pablo Romero Díaz",
        _address("Calle Sierpes 34", "Sevilla", "Sevilla", "41004"),
        ((TOTE, 3), (MUG, 1)),
        2.1,
        False,
    ),
    (
        "Ane Etxeberria Goñi",
        _address("Gran Vía de Don Diego López de Haro 45", "Bilbao", "Bizkaia", "48011"),
        ((BOTTLE, 2),),
        1.4,
        True,
    ),
)


def sandbox_file() -> Path:
    return state_dir() / "sandbox-marketplace.json"


def _stored() -> dict[str, Any]:
    path = sandbox_file()
    if not path.exists():
        return {}
    try:
        stored: dict[str, Any] = json.loads(path.read_text())
    except ValueError:
        return {}
    return stored


def _store(record: dict[str, Any]) -> None:
    path = sandbox_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(json.dumps(record, indent=2))
    partial.replace(path)


def forget() -> None:
    """Start over (``oms up --fresh``: the stack's data is gone)."""
    sandbox_file().unlink(missing_ok=True)


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_double(port: int = SANDBOX_PORT) -> MarketplaceDouble:
    """The double, as the stored seller account (made up the first time), on ``port`` or a
    free one when that is taken, seeded with new orders."""
    stored = _stored().get("credentials")
    double = MarketplaceDouble(
        seller_id=SELLER_ID,
        marketplace_id=MARKETPLACE_ID,
        currency=MARKETPLACE_CURRENCY,
        credentials=Credentials(**stored) if isinstance(stored, dict) else None,
        port=port if _port_free(port) else None,
    )
    double.start()
    seed_orders(double)
    return double


@contextlib.contextmanager
def running_double(port: int, enabled: bool = True) -> Iterator[MarketplaceDouble | None]:
    if not enabled:
        yield None
        return
    double = start_double(port)
    try:
        yield double
    finally:
        double.stop()


def _order_id() -> str:
    """An Amazon.es-looking order id (40N-NNNNNNN-NNNNNNN), new at every start."""
    return (
        f"40{2 + secrets.randbelow(7)}-{secrets.randbelow(10**7):07d}-"
        f"{secrets.randbelow(10**7):07d}"
    )


def seed_orders(double: MarketplaceDouble) -> None:
    now = double.now()
    for buyer, address, lines, hours_ago, cancelled in SEED:
        order = double.add_order(
            *((sku, quantity, _PRICES[sku]) for sku, quantity in lines),
            created=now - timedelta(hours=hours_ago),
            order_id=_order_id(),
            buyer_name=buyer,
            address=address,
        )
        if cancelled:
            double.change(order.order_id, "CANCELLED", reason="BUYER_CANCELED")


@dataclass
class SandboxMarketplace:
    """The double and the connection marketplace-ingest has to it."""

    double: MarketplaceDouble
    connection_id: str
    customer_id: str

    @property
    def created_from(self) -> datetime:
        """Since when its orders were created (a minute before the oldest)."""
        oldest = min((order.created for order in self.double.orders.values()), default=None)
        return (oldest or self.double.now()) - timedelta(minutes=1)

    def stack_entry(self) -> dict[str, Any]:
        """What ``oms demo`` needs, for the stack file."""
        return {
            "url": self.double.url,
            "connection_id": self.connection_id,
            "customer_id": self.customer_id,
            "created_from": iso(self.created_from),
            "orders": len(self.double.orders),
        }


def connect(
    double: MarketplaceDouble, orders: str, marketplace_ingest: str, admin: SignIn
) -> SandboxMarketplace:
    """The demo's products in the catalogue, the customer the sandbox's orders are booked
    to, and a connection of marketplace-ingest to the double: each made once and kept
    (``sandbox-marketplace.json``), made again when the stack no longer has it."""
    stored = _stored()
    with httpx.Client(timeout=30.0, auth=admin.auth) as http:
        define_marketplace_products(orders, http)
        customer_id = stored.get("customer_id")
        if not (customer_id and _customer_exists(http, f"{orders}/customers/{customer_id}")):
            customer_id = _created(http.post(f"{orders}/customers", json=CUSTOMER))["customer_id"]
        connection_id = stored.get("connection_id")
        reusable = (
            connection_id
            and stored.get("customer_id") == customer_id
            and stored.get("endpoint") == double.url
            and _connection_exists(http, marketplace_ingest, connection_id)
        )
        if not reusable:
            credentials = double.credentials
            connection_id = _created(
                http.post(
                    f"{marketplace_ingest}/connections",
                    json={
                        "marketplace": "amazon",
                        "name": CONNECTION_NAME,
                        "seller_id": double.seller_id,
                        "marketplace_ids": [double.marketplace_id],
                        "customer_id": customer_id,
                        "client_id": credentials.client_id,
                        "client_secret": credentials.client_secret,
                        "refresh_token": credentials.refresh_token,
                        "endpoint": double.url,
                        "lwa_endpoint": double.lwa_url,
                    },
                )
            )["connection_id"]
    _store(
        {
            "credentials": {
                "client_id": double.credentials.client_id,
                "client_secret": double.credentials.client_secret,
                "refresh_token": double.credentials.refresh_token,
            },
            "endpoint": double.url,
            "customer_id": customer_id,
            "connection_id": connection_id,
        }
    )
    return SandboxMarketplace(double, str(connection_id), str(customer_id))


def _created(answer: httpx.Response) -> dict[str, Any]:
    if answer.status_code != 201:
        raise DemoFailed(
            f"{answer.request.method} {answer.request.url.path} -> "
            f"{answer.status_code}: {answer.text[:500]}"
        )
    body: dict[str, Any] = answer.json()
    return body


def _customer_exists(http: httpx.Client, url: str) -> bool:
    answer = http.get(url)
    if answer.status_code not in (200, 404):
        answer.raise_for_status()
    return answer.status_code == 200


#: A period that has not begun: no run can be made of it.
_NOT_YET = datetime(2999, 1, 1, tzinfo=UTC)


def _connection_exists(http: httpx.Client, marketplace_ingest: str, connection_id: str) -> bool:
    """Whether marketplace-ingest has the connection. It has no route that shows one, so
    ask for an import of a period still to come: a connection it does not know answers 404,
    one it knows 422 (the period is refused; nothing is stored)."""
    answer = http.post(
        f"{marketplace_ingest}/connections/{connection_id}/imports",
        json={"created_from": _NOT_YET.isoformat()},
    )
    if answer.status_code not in (404, 422):
        raise DemoFailed(
            f"POST /connections/{connection_id}/imports -> {answer.status_code}: "
            f"{answer.text[:300]}"
        )
    return answer.status_code == 422

"""``oms demo``: the order-to-cash flow driven through the public HTTP routes only, signed
in like any client (the admin, who may do what a back office and a warehouse do), with a
timeline of what happened when.

It is a client of the services (DESIGN sections 5 and 9), not part of any of them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import httpx
from oms_dev.client import SignIn

POLL_S = 0.05


class DemoFailed(RuntimeError):
    """A step of the flow did not give what the routes promise."""


@dataclass
class Timeline:
    started: float = field(default_factory=time.monotonic)
    steps: list[tuple[float, str]] = field(default_factory=list)
    order_id: str = ""
    invoices: list[dict[str, Any]] = field(default_factory=list)
    final_status: str = ""

    def add(self, what: str) -> None:
        self.steps.append((time.monotonic() - self.started, what))

    @property
    def seconds(self) -> float:
        return self.steps[-1][0] if self.steps else 0.0


def _ok(response: httpx.Response, *expected: int) -> dict[str, Any]:
    if response.status_code not in expected:
        raise DemoFailed(
            f"{response.request.method} {response.request.url.path} -> "
            f"{response.status_code}: {response.text[:500]}"
        )
    body: dict[str, Any] = response.json()
    return body


def _wait(what: str, probe: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoFailed(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(POLL_S)


def run_demo(
    orders: str,
    inventory: str,
    billing: str,
    signed_in: SignIn,
    *,
    timeout: float = 30.0,
    on_step: Callable[[float, str], None] | None = None,
) -> Timeline:
    """Customer and product, stock in two lots, an order, two partial pickings giving two
    stamped invoices, and the payments that close the order; every request carries the
    token of ``signed_in``."""
    line = Timeline()
    tag = uuid.uuid4().hex[:8].upper()
    sku = f"DEMO-{tag}"

    def step(what: str) -> None:
        line.add(what)
        if on_step:
            on_step(*line.steps[-1])

    with httpx.Client(timeout=10.0, auth=signed_in.auth) as http:
        _ok(
            http.post(
                f"{orders}/products",
                json={
                    "sku": sku,
                    "name": "Demo widget",
                    "unit_price": "25.00",
                    "currency": "EUR",
                    "tax_rate": "0.21",
                },
            ),
            201,
        )
        customer = _ok(
            http.post(
                f"{orders}/customers",
                json={
                    "name": f"Demo Customer {tag}",
                    "tax_id": f"ES{tag}",
                    "email": "buyer@example.com",
                    "credit_limit": "10000.00",
                    "payment_terms_days": [30, 60],
                    "currency": "EUR",
                },
            ),
            201,
        )
        step(f"customer {customer['customer_id']} and product {sku} registered")
        _ok(
            http.post(
                f"{inventory}/stock/receipts",
                json={
                    "sku": sku,
                    "warehouse": "MAD",
                    "lot": f"L1-{tag}",
                    "quantity": 6,
                    "expires_on": "2031-01-31",
                },
            ),
            201,
        )
        _ok(
            http.post(
                f"{inventory}/stock/receipts",
                json={
                    "sku": sku,
                    "warehouse": "MAD",
                    "lot": f"L2-{tag}",
                    "quantity": 10,
                    "expires_on": "2032-06-30",
                },
            ),
            201,
        )
        step("16 units received in two lots")

        order = _ok(
            http.post(
                f"{orders}/orders",
                json={
                    "customer_id": customer["customer_id"],
                    "origin": "backoffice",
                    "lines": [{"sku": sku, "quantity": 10}],
                },
            ),
            201,
        )
        order_id = line.order_id = order["order_id"]
        step(f"order {order_id} placed: {order['status']}")

        def open_pick_list() -> dict[str, Any] | None:
            items = _ok(http.get(f"{inventory}/pick-lists", params={"order_id": order_id}), 200)[
                "items"
            ]
            return next((p for p in items if p["status"] == "open"), None)

        first = _wait("the pick list", open_pick_list, timeout)
        step(
            f"stock reserved; pick list {first['pick_list_id']}: "
            + ", ".join(f"{ln['quantity']} from {ln['lot']}" for ln in first["lines"])
        )

        picked = [dict(ln) for ln in first["lines"]]
        picked[-1]["quantity"] = picked[-1]["quantity"] - 4  # short pick: 4 stay open
        picked = [ln for ln in picked if ln["quantity"] > 0]
        _ok(
            http.post(
                f"{inventory}/pick-lists/{first['pick_list_id']}/confirm", json={"lines": picked}
            ),
            200,
        )
        step(f"picked {sum(ln['quantity'] for ln in picked)} units: goods issue 1")

        def invoices(count: int) -> list[dict[str, Any]] | None:
            items: list[dict[str, Any]] = _ok(
                http.get(f"{billing}/invoices", params={"order_id": order_id}), 200
            )["items"]
            stamped = [i for i in items if i.get("stamp")]
            return stamped if len(stamped) >= count else None

        inv1 = _wait("the first stamped invoice", lambda: invoices(1), timeout)[0]
        step(
            f"invoice {inv1['number']} issued and stamped ({inv1['stamp']['uuid']}), "
            f"total {inv1['total']}"
        )

        second = _wait("the follow-up pick list", open_pick_list, timeout)
        _ok(
            http.post(
                f"{inventory}/pick-lists/{second['pick_list_id']}/confirm",
                json={"lines": second["lines"]},
            ),
            200,
        )
        step(f"picked the remaining {sum(ln['quantity'] for ln in second['lines'])}: goods issue 2")
        both = _wait("the second stamped invoice", lambda: invoices(2), timeout)
        inv2 = next(i for i in both if i["invoice_id"] != inv1["invoice_id"])
        step(f"invoice {inv2['number']} issued and stamped, total {inv2['total']}")

        for inv in (inv1, inv2):
            total = Decimal(inv["total"])
            half = (total / 2).quantize(Decimal("0.01"))
            for amount in (half, total - half):
                _ok(
                    http.post(
                        f"{billing}/invoices/{inv['invoice_id']}/payments",
                        json={"amount": str(amount)},
                    ),
                    201,
                )
            step(f"invoice {inv['number']} paid in two payments")

        def closed() -> dict[str, Any] | None:
            body = _ok(http.get(f"{orders}/orders/{order_id}"), 200)
            return body if body["status"] in ("paid", "completed") else None

        final = _wait("the order to be paid", closed, timeout)
        line.final_status = final["status"]
        line.invoices = final["invoices"]
        step(
            f"order {final['status']}: {len(final['invoices'])} invoices, "
            f"{len(final['shipments'])} shipments, total {final['total']}"
        )
    return line


# --- the sandbox marketplace's orders (oms up runs it: oms_dev.sandbox) -------------------

#: The products the sandbox marketplace sells: (SKU, name, unit price in EUR). The demo
#: defines them in the catalogue (once), and ``oms up`` seeds the sandbox's orders with
#: them; the seller SKUs on Amazon are the catalogue's.
MARKETPLACE_PRODUCTS = (
    ("DEMO-MUG-350", "Ceramic mug 350 ml, white", "12.90"),
    ("DEMO-TEE-M", "Organic cotton T-shirt, size M", "19.95"),
    ("DEMO-BOTTLE-750", "Insulated steel bottle 750 ml", "24.50"),
    ("DEMO-TOTE", "Canvas tote bag", "9.99"),
)
MARKETPLACE_CURRENCY = "EUR"
MARKETPLACE_TAX_RATE = "0.21"
#: A run's outcome for an order marketplace-ingest cannot import yet: orders' catalogue
#: reaches it through events, so products just defined may not be known there for a moment.
UNKNOWN_SKU = "unknown SKU"


def define_marketplace_products(orders: str, http: httpx.Client) -> None:
    """The sandbox's products in the catalogue (a product already there is left as it is)."""
    for sku, name, price in MARKETPLACE_PRODUCTS:
        answer = http.post(
            f"{orders}/products",
            json={
                "sku": sku,
                "name": name,
                "unit_price": price,
                "currency": MARKETPLACE_CURRENCY,
                "tax_rate": MARKETPLACE_TAX_RATE,
            },
        )
        _ok(answer, 201, 409)


@dataclass
class ImportedOrder:
    external_order_id: str
    #: What the run did with it: imported, updated, skipped or failed.
    outcome: str
    order_id: str | None = None
    reason: str | None = None
    #: The order in orders, once it is there.
    status: str = ""
    total: str = ""
    currency: str = ""
    #: Who bought it and where it goes.
    buyer: str = ""


@dataclass
class MarketplaceImport:
    run_id: str
    status: str
    imported: int
    updated: int
    skipped: int
    failed: int
    orders: list[ImportedOrder]


def run_marketplace_import(
    orders: str,
    marketplace_ingest: str,
    signed_in: SignIn,
    connection_id: str,
    created_from: str,
    *,
    timeout: float = 30.0,
    on_step: Callable[[str], None] | None = None,
) -> MarketplaceImport:
    """Import the orders a connection's account created since ``created_from`` as ``oms
    marketplace import`` does (``POST /connections/{id}/imports``, then the run followed),
    and find each imported order in orders. A run that met products marketplace-ingest has
    not heard of yet is run again (an order is imported once, however many runs read it)."""
    deadline = time.monotonic() + timeout

    def say(what: str) -> None:
        if on_step:
            on_step(what)

    with httpx.Client(timeout=10.0, auth=signed_in.auth) as http:
        define_marketplace_products(orders, http)
        while True:
            accepted = _ok(
                http.post(
                    f"{marketplace_ingest}/connections/{connection_id}/imports",
                    json={"created_from": created_from},
                ),
                202,
            )
            run_id = accepted["import_run_id"]
            say(f"import run {run_id} requested")
            run = _wait(
                f"import run {run_id}",
                partial(_finished, http, f"{marketplace_ingest}/imports/{run_id}"),
                max(1.0, deadline - time.monotonic()),
            )
            waiting = [o for o in run["orders"] if (o.get("reason") or "").startswith(UNKNOWN_SKU)]
            if not waiting or time.monotonic() > deadline:
                break
            say(f"{len(waiting)} orders wait for the catalogue to reach marketplace-ingest")
            time.sleep(1.0)
        found = [
            ImportedOrder(
                external_order_id=o["external_order_id"],
                outcome=o["status"],
                order_id=o.get("order_id"),
                reason=o.get("reason"),
            )
            for o in run["orders"]
        ]
        for order in found:
            if order.order_id is None or order.outcome == "failed":
                continue
            placed = _wait(
                f"order {order.order_id} in orders",
                partial(_found, http, f"{orders}/orders/{order.order_id}"),
                max(1.0, deadline - time.monotonic()),
            )
            order.status = placed["status"]
            order.total = placed["total"]
            order.currency = placed.get("currency", "")
            who = placed.get("buyer") or {}
            where = placed.get("ship_to") or {}
            order.buyer = ", ".join(str(v) for v in (who.get("name"), where.get("city")) if v)
    return MarketplaceImport(
        run_id=run["import_run_id"],
        status=run["status"],
        imported=run["imported"],
        updated=run["updated"],
        skipped=run["skipped"],
        failed=run["failed"],
        orders=found,
    )


def _finished(http: httpx.Client, url: str) -> dict[str, Any] | None:
    run = _ok(http.get(url), 200)
    return run if run["status"] != "running" else None


def _found(http: httpx.Client, url: str) -> dict[str, Any] | None:
    answer = http.get(url)
    if answer.status_code == 404:
        return None
    return _ok(answer, 200)

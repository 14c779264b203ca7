"""Scenario 8, marketplace: the Selling Partner API double serves a few hundred Amazon
orders over several pages; a connection points at it and an import of their creation
period is requested; while the marketplace-ingest worker stores them it is SIGKILLed and
started again (it resumes the run it left ``running``), and once the run is completed the
same period is imported again. Every Amazon order must be in orders exactly once, by its
``external_order_id`` with origin ``marketplace``: none lost, none doubled, and each run
must tell what happened to each order."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from oms_dev.marketplace import MarketplaceDouble

from reliability.harness import Harness
from reliability.scenario import RECOVERY_DEADLINE_S, Outcome, Settings
from reliability.workload import Client, FlowFailed

NAME = "marketplace"
SERVICE = "marketplace-ingest"
FULL_ORDERS = 300
QUICK_ORDERS = 60
#: The import reads its orders in pages of this many (several pages in either run).
FULL_PAGE = 100
QUICK_PAGE = 20
CURRENCY = "EUR"
POLL_S = 0.05


def run(harness: Harness, settings: Settings) -> Outcome:
    n = QUICK_ORDERS if settings.quick else max(FULL_ORDERS, settings.orders)
    page = QUICK_PAGE if settings.quick else FULL_PAGE
    out = Outcome(NAME, orders=n)
    # Orders (the token issuer, where the imported orders land) and marketplace-ingest.
    harness.start_services(
        settings.log_dir / NAME,
        env={"OMS_IMPORT_PAGE_SIZE": str(page), "OMS_IMPORT_POLL_S": "0.2"},
        only=["orders", SERVICE],
    )
    client = Client(harness)
    amazon = MarketplaceDouble(currency=CURRENCY)
    amazon.start()
    try:
        scenario(harness, client, amazon, n, out)
        if client.server_errors:
            out.notes.append(f"5xx answered meanwhile: {dict(client.server_errors)}")
    finally:
        amazon.stop()
        client.close()
        harness.stop_services()
    return out


def scenario(
    harness: Harness, client: Client, amazon: MarketplaceDouble, n: int, out: Outcome
) -> None:
    began = time.monotonic()
    skus, customer_id = catalogue(client)
    connection_id = connect(client, amazon, customer_id)
    now = amazon.now()
    # The probe: an order of every SKU, imported (again) until marketplace-ingest has
    # learnt the catalogue from orders' events; it counts among the orders checked.
    probe = amazon.add_order(*((sku, 1, "10.00") for sku in skus), created=now - timedelta(hours=7))
    client.wait(
        "marketplace-ingest to know the catalogue",
        lambda: imported_alone(client, connection_id, probe.created),
    )
    learnt = time.monotonic()
    for i in range(n):
        lines = [(skus[i % len(skus)], 1 + i % 3, f"{10 + i % 7}.{i % 100:02d}")]
        if i % 5 == 0:
            lines.append((skus[(i + 1) % len(skus)], 2, "4.50"))
        amazon.add_order(*lines, created=now - timedelta(hours=5) + timedelta(seconds=40 * i))
    expected = {order_id for order_id in amazon.orders}

    window = {"created_from": iso(now - timedelta(hours=6)), "created_to": iso(now)}
    run_id = start_import(client, connection_id, window)
    killed_at = kill_during(harness, client, run_id, n, out)
    done = wait_run(client, run_id)
    out.recover_s = time.monotonic() - killed_at if killed_at is not None else None
    outcomes = Counter(o["status"] for o in done["orders"])
    out.notes.append(
        f"run of {n} orders in pages of {amazon_page(amazon)}: {dict(outcomes)}; "
        f"{amazon.count('searchOrders')} searchOrders calls"
    )
    out.check(done["status"] == "completed", f"the import ended {done['status']}")
    out.check(
        done["imported"] == n and outcomes["imported"] == n,
        f"the run says {done['imported']} imported of {n}: {dict(outcomes)}",
    )
    again = wait_run(client, start_import(client, connection_id, window))
    again_outcomes = Counter(o["status"] for o in again["orders"])
    out.check(
        again["status"] == "completed" and again["imported"] == 0,
        f"the same period imported again: {again['imported']} imported, {dict(again_outcomes)}",
    )
    compare(client, expected, out)
    out.notes.append(
        f"{learnt - began:.0f} s until the catalogue was known, "
        f"{time.monotonic() - learnt:.0f} s for the imports and the check"
    )


def catalogue(client: Client) -> tuple[list[str], str]:
    tag = str(int(time.time() * 1000) % 10_000_000)
    skus = [f"AMZ-{tag}-{i}" for i in range(3)]
    for sku in skus:
        client.call(
            "POST",
            "orders",
            "/products",
            json={
                "sku": sku,
                "name": f"Marketplace item {sku}",
                "unit_price": "10.00",
                "currency": CURRENCY,
                "tax_rate": "0.21",
            },
        )
    customer = client.json(
        "POST",
        "orders",
        "/customers",
        json={
            "name": "Amazon EU sales",
            "tax_id": f"ES-AMZ-{tag}",
            "email": "amazon@example.com",
            "credit_limit": "100000000.00",
            "payment_terms_days": [30],
            "currency": CURRENCY,
        },
    )
    return skus, str(customer["customer_id"])


def connect(client: Client, amazon: MarketplaceDouble, customer_id: str) -> str:
    creds = amazon.credentials
    body = client.json(
        "POST",
        SERVICE,
        "/connections",
        json={
            "marketplace": "amazon",
            "name": "Amazon (the double)",
            "seller_id": amazon.seller_id,
            "marketplace_ids": [amazon.marketplace_id],
            "customer_id": customer_id,
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "refresh_token": creds.refresh_token,
            "endpoint": amazon.url,
            "lwa_endpoint": amazon.lwa_url,
        },
    )
    return str(body["connection_id"])


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def start_import(client: Client, connection_id: str, window: dict[str, str]) -> str:
    body = client.json(
        "POST", SERVICE, f"/connections/{connection_id}/imports", json=window, ok=(202,)
    )
    return str(body["import_run_id"])


def get_run(client: Client, run_id: str) -> dict[str, Any]:
    run: dict[str, Any] = client.json("GET", SERVICE, f"/imports/{run_id}")
    return run


def wait_run(client: Client, run_id: str) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        run = get_run(client, run_id)
        return run if run["status"] != "running" else None

    done: dict[str, Any] = client.wait(f"import run {run_id}", finished, RECOVERY_DEADLINE_S)
    return done


def imported_alone(client: Client, connection_id: str, created: datetime) -> bool:
    window = {
        "created_from": iso(created - timedelta(seconds=1)),
        "created_to": iso(created + timedelta(seconds=1)),
    }
    run = wait_run(client, start_import(client, connection_id, window))
    return bool(run["imported"] == 1)


def kill_during(
    harness: Harness, client: Client, run_id: str, n: int, out: Outcome
) -> float | None:
    """SIGKILL the worker once it has stored some of the run's orders, not all."""
    deadline = time.monotonic() + RECOVERY_DEADLINE_S
    while time.monotonic() < deadline:
        run = get_run(client, run_id)
        stored = len(run["orders"])
        if run["status"] != "running":
            out.failures.append(f"the import was {run['status']} before the worker was killed")
            return None
        if stored >= min(n // 4, 40):
            harness.restart(SERVICE, "worker")
            out.notes.append(f"worker SIGKILLed after {stored} of {n} orders, restarted")
            return time.monotonic()
        time.sleep(POLL_S)
    raise FlowFailed("the import stored no order in time")


def amazon_page(amazon: MarketplaceDouble) -> str:
    sizes = {
        str(query.get("maxResultsPerPage"))
        for op, query, _ in amazon.calls
        if op == "searchOrders" and query.get("maxResultsPerPage")
    }
    return "/".join(sorted(sizes)) or "?"


def compare(client: Client, expected: set[str], out: Outcome) -> None:
    """Orders' list of marketplace orders against the double's: each once."""
    seen: Counter[str] = Counter()

    def listed() -> bool:
        seen.clear()
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"origin": "marketplace", "limit": 100}
            if cursor:
                params["cursor"] = cursor
            body = client.json("GET", "orders", "/orders", params=params)
            for item in body["items"]:
                seen[str(item["external_order_id"])] += 1
            cursor = body.get("next_cursor")
            if not cursor:
                break
        return set(seen) >= expected

    with contextlib.suppress(FlowFailed):  # what is missing then is counted below
        client.wait("orders to list every imported order", listed, RECOVERY_DEADLINE_S)
    lost = expected - set(seen)
    doubled = {k: c for k, c in seen.items() if c > 1}
    strangers = set(seen) - expected
    if lost:
        out.lose(len(lost), f"{len(lost)} Amazon orders not in orders: {sorted(lost)[:5]}")
    if doubled:
        out.double(
            sum(c - 1 for c in doubled.values()),
            f"{len(doubled)} Amazon orders more than once in orders: {sorted(doubled)[:5]}",
        )
    out.check(not strangers, f"orders no Amazon order explains: {sorted(strangers)[:5]}")
    out.notes.append(f"{len(seen)} marketplace orders in orders, {sum(seen.values())} rows")

"""`oms marketplace import`: an operator imports a seller account's orders of a period
from the command line, against orders and marketplace-ingest running as processes and the
Selling Partner API double; a second run of the same period imports nothing again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
from oms_dev.marketplace import MarketplaceDouble
from oms_dev.testing import Stack, running_services, wait_until

SKU = "CLI-AMZ-1"


def oms(home: Path, password: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMS_HOME": str(home), "OMS_ADMIN_PASSWORD": password}
    return subprocess.run(
        [sys.executable, "-m", "oms_dev.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_an_operator_imports_a_period_once(stack: Stack, tmp_path: Path) -> None:
    names = ["orders", "marketplace-ingest"]
    amazon = MarketplaceDouble(currency="EUR")
    amazon.start()
    try:
        with running_services(stack, names, tmp_path / "logs") as running:
            assert running.admin_password is not None
            home = tmp_path / "home"
            home.mkdir()
            ports = {name: {"port": int(running.url(name).rsplit(":", 1)[1])} for name in names}
            (home / "stack.json").write_text(json.dumps({"services": ports}))
            auth = running.admin.auth
            orders = httpx.Client(base_url=running.url("orders"), auth=auth, timeout=30)
            ingest = httpx.Client(base_url=running.url(names[1]), auth=auth, timeout=30)
            product = {"sku": SKU, "name": "Item", "unit_price": "10.00", "currency": "EUR"}
            orders.post("/products", json={**product, "tax_rate": "0.21"}).raise_for_status()
            customer = orders.post(
                "/customers",
                json={
                    "name": "Amazon EU sales",
                    "tax_id": "ES-AMZ-1",
                    "email": "amazon@example.com",
                    "credit_limit": "1000000.00",
                    "payment_terms_days": [30],
                    "currency": "EUR",
                },
            ).raise_for_status()
            creds = amazon.credentials
            connection = ingest.post(
                "/connections",
                json={
                    "marketplace": "amazon",
                    "name": "the double",
                    "seller_id": amazon.seller_id,
                    "marketplace_ids": [amazon.marketplace_id],
                    "customer_id": customer.json()["customer_id"],
                    "client_id": creds.client_id,
                    "client_secret": creds.client_secret,
                    "refresh_token": creds.refresh_token,
                    "endpoint": amazon.url,
                    "lwa_endpoint": amazon.lwa_url,
                },
            ).raise_for_status()
            connection_id = connection.json()["connection_id"]
            now = amazon.now()
            for i in range(5):
                amazon.add_order(
                    (SKU, 1 + i % 2, "10.00"), created=now - timedelta(hours=3, minutes=i)
                )
            window = ["--from", (now - timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%S")]
            window += ["--to", (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")]

            last: list[str] = []

            def imported_all() -> bool:
                # marketplace-ingest learns the catalogue from orders' events: until then
                # the SKU is unknown and the run says so; run it again.
                done = oms(
                    home,
                    running.admin_password or "",
                    "marketplace",
                    "import",
                    connection_id,
                    *window,
                )
                last[:] = [done.stdout + done.stderr]
                return done.returncode == 0 and "imported 5," in done.stdout

            try:
                wait_until(imported_all, timeout=120, what="the five orders imported", interval=1)
            except AssertionError as exc:
                raise AssertionError(f"{exc}; the last run said: {last}") from None
            again = oms(
                home, running.admin_password, "marketplace", "import", connection_id, *window
            )
            assert again.returncode == 0, again.stdout + again.stderr
            assert "imported 0," in again.stdout
            listed = orders.get("/orders", params={"origin": "marketplace", "limit": 50}).json()
            external = [item.get("external_order_id") for item in listed["items"]]
            assert sorted(external) == sorted(amazon.orders)

            bad = oms(
                home,
                running.admin_password,
                "marketplace",
                "import",
                connection_id,
                "--from",
                "2026-12-02",
                "--to",
                "2026-12-01",
            )
            assert bad.returncode == 2 and "--to" in bad.stderr
    finally:
        amazon.stop()

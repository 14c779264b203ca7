"""The dev stack's sandbox marketplace against orders and marketplace-ingest running as
processes: the double seeded with the demo's products, connected through the routes as the
admin; connecting again reuses the customer and the connection (kept in the state folder),
a double listening elsewhere gets a connection of its own; the demo's import brings in the
four orders once (pending approval, origin marketplace) and skips the cancelled one."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import pytest
from oms_dev.demo import MARKETPLACE_PRODUCTS, run_marketplace_import
from oms_dev.devstack import free_port
from oms_dev.sandbox import connect, running_double, sandbox_file
from oms_dev.testing import Stack, running_services

NAMES = ["orders", "marketplace-ingest"]


def test_the_sandbox_is_connected_once_and_the_demo_imports_its_orders(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMS_HOME", str(tmp_path / "home"))
    with (
        running_services(stack, NAMES, tmp_path / "logs") as running,
        running_double(free_port()) as double,
    ):
        assert double is not None
        orders, ingest = running.url("orders"), running.url("marketplace-ingest")
        seeded = list(double.orders.values())
        assert len(seeded) == 5
        assert {line.seller_sku for o in seeded for line in o.items} <= {
            sku for sku, _, _ in MARKETPLACE_PRODUCTS
        }
        assert [o.status for o in seeded].count("CANCELLED") == 1

        first = connect(double, orders, ingest, running.admin)
        assert stat.S_IMODE(sandbox_file().stat().st_mode) == 0o600
        kept = json.loads(sandbox_file().read_text())
        assert kept["connection_id"] == first.connection_id
        assert kept["credentials"]["refresh_token"] == double.credentials.refresh_token
        again = connect(double, orders, ingest, running.admin)
        assert (again.connection_id, again.customer_id) == (
            first.connection_id,
            first.customer_id,
        )

        entry = first.stack_entry()
        run = run_marketplace_import(
            orders, ingest, running.admin, first.connection_id, entry["created_from"], timeout=60
        )
        assert (run.status, run.imported, run.skipped, run.failed) == ("completed", 4, 1, 0)
        imported = [o for o in run.orders if o.outcome == "imported"]
        assert {o.status for o in imported} == {"pending_approval"}
        assert {o.buyer.rsplit(", ", 1)[1] for o in imported} == {
            "Madrid",
            "Barcelona",
            "Valencia",
            "Sevilla",
        }
        (cancelled,) = [o for o in run.orders if o.outcome == "skipped"]
        assert cancelled.order_id is None and "cancelled" in (cancelled.reason or "")
        with httpx.Client(auth=running.admin.auth, timeout=10) as http:
            for order in imported:
                body = http.get(f"{orders}/orders/{order.order_id}").json()
                assert body["origin"] == "marketplace"
                assert body["external_order_id"] == order.external_order_id
                assert body["customer_id"] == first.customer_id

        rerun = run_marketplace_import(
            orders, ingest, running.admin, first.connection_id, entry["created_from"], timeout=60
        )
        assert (rerun.imported, rerun.skipped) == (0, 5)
        assert {o.order_id for o in rerun.orders if o.status} == {o.order_id for o in imported}

        # The next start: the same seller account, elsewhere (its port was taken).
        with running_double(free_port()) as moved:
            assert moved is not None
            assert moved.credentials.client_id == double.credentials.client_id
            assert set(moved.orders).isdisjoint(double.orders)  # new orders at every start
            elsewhere = connect(moved, orders, ingest, running.admin)
            assert elsewhere.connection_id != first.connection_id
            assert elsewhere.customer_id == first.customer_id

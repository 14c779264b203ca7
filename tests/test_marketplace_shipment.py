"""A marketplace order shipped with a courier, across orders, inventory and
marketplace-ingest running as processes and the Selling Partner API double: the Amazon
order is imported, approved and picked (a goods issue), and the goods issue is handed to a
courier through inventory's route; Amazon's confirmShipment then carries that waybill's
tracking number and courier, not the goods-issue reference: the shipment waited for its
waybill, as it does by default (the courier is booked once orders shows the goods issue,
and marketplace-ingest looks for shipments to confirm every 0.1 s: without the wait, it
would confirm the goods issue before the waybill is heard)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from oms_dev.marketplace import CONFIRM_SHIPMENT, MarketplaceDouble
from oms_dev.testing import Stack, running_services, wait_until

NAMES = ["orders", "inventory", "marketplace-ingest"]


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_the_marketplace_confirmation_carries_the_waybills_tracking_number(
    stack: Stack, tmp_path: Path
) -> None:
    sku = f"AMZ-SHIP-{uuid.uuid4().hex[:6]}"
    with (
        running_services(
            stack, NAMES, tmp_path / "logs", env={"OMS_IMPORT_POLL_S": "0.1"}
        ) as running,
        MarketplaceDouble(currency="EUR") as amazon,
        httpx.Client(timeout=10.0, auth=running.admin.auth) as http,
    ):
        orders, inventory, ingest = (running.url(name) for name in NAMES)
        product = {"sku": sku, "name": "Item", "unit_price": "10.00", "currency": "EUR"}
        ok(http.post(f"{orders}/products", json={**product, "tax_rate": "0.21"}), 201)
        customer = ok(
            http.post(
                f"{orders}/customers",
                json={
                    "name": "Amazon EU sales",
                    "tax_id": "ES-AMZ-SHIP",
                    "email": "amazon@example.com",
                    "credit_limit": "1000000.00",
                    "payment_terms_days": [30],
                    "currency": "EUR",
                },
            ),
            201,
        )
        ok(
            http.post(
                f"{inventory}/stock/receipts",
                json={"sku": sku, "warehouse": "MAD", "lot": "L1", "quantity": 5},
            ),
            201,
        )
        creds = amazon.credentials
        connection = ok(
            http.post(
                f"{ingest}/connections",
                json={
                    "marketplace": "amazon",
                    "name": "the double",
                    "seller_id": amazon.seller_id,
                    "marketplace_ids": [amazon.marketplace_id],
                    "customer_id": customer["customer_id"],
                    "client_id": creds.client_id,
                    "client_secret": creds.client_secret,
                    "refresh_token": creds.refresh_token,
                    "endpoint": amazon.url,
                    "lwa_endpoint": amazon.lwa_url,
                },
            ),
            201,
        )
        now = amazon.now()
        amazon_order = amazon.add_order((sku, 2, "10.00"), created=now - timedelta(hours=2))
        window = {
            "created_from": iso(now - timedelta(hours=3)),
            "created_to": iso(now - timedelta(hours=1)),
        }

        def imported() -> str | None:
            # marketplace-ingest learns the catalogue from orders' events: until then the
            # SKU is unknown and the run says so; run it again.
            run_id = ok(
                http.post(
                    f"{ingest}/connections/{connection['connection_id']}/imports", json=window
                ),
                202,
            )["import_run_id"]
            run = wait_until(
                lambda: (
                    (body := ok(http.get(f"{ingest}/imports/{run_id}")))["status"] != "running"
                    and body
                ),
                what=f"import run {run_id}",
            )
            [entry] = run["orders"]
            return entry["order_id"] if entry["status"] in ("imported", "unchanged") else None

        order_id = wait_until(imported, what="the Amazon order imported", interval=1.0)
        wait_until(
            lambda: http.get(f"{orders}/orders/{order_id}").status_code == 200,
            what="the imported order in orders",
        )
        ok(http.post(f"{orders}/orders/{order_id}/approve"))

        def open_pick_list() -> dict[str, Any] | None:
            lists = ok(http.get(f"{inventory}/pick-lists", params={"order_id": order_id}))
            return next((p for p in lists["items"] if p["status"] == "open"), None)

        pick_list = wait_until(open_pick_list, what="the order's pick list")
        picked = ok(
            http.post(
                f"{inventory}/pick-lists/{pick_list['pick_list_id']}/confirm",
                json={"lines": pick_list["lines"]},
            )
        )
        goods_issue_id = picked["goods_issue_id"]
        assert goods_issue_id
        wait_until(
            lambda: ok(http.get(f"{orders}/orders/{order_id}"))["shipments"],
            what="the goods issue in orders",
        )
        shipment = ok(
            http.post(
                f"{inventory}/goods-issues/{goods_issue_id}/shipment",
                json={"carrier": "SEUR", "service": "express", "parcels": [{"weight_kg": 1.5}]},
            ),
            201,
        )

        [confirmation] = wait_until(
            lambda: amazon.shipments, what="Amazon's confirmShipment", timeout=90.0
        )
        assert confirmation["orderId"] == amazon_order.order_id
        package = confirmation["packageDetail"]
        assert package["trackingNumber"] == shipment["tracking_number"]
        assert (package["carrierCode"], package["carrierName"]) == ("Other", "SEUR")
        assert package["shippingMethod"] == "express"
        assert package["packageReferenceId"] == goods_issue_id
        item_id = amazon_order.items[0].order_item_id
        assert package["orderItems"] == [{"orderItemId": item_id, "quantity": 2}]
        assert amazon.count(CONFIRM_SHIPMENT) == 1

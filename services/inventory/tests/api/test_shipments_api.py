"""Courier shipments through the inventory routes on the real stack (PostgreSQL): a goods
issue's parcels booked with the local carrier provider, its tracking number published on
ShipmentCreated and printed on the waybill PDF, as text and as a Code 39 barcode."""

from __future__ import annotations

import io
import re
from typing import Any

from inventory_examples import order_confirmed, pick_lists, receive
from oms_contracts.inventory import ShipmentCreated
from oms_dev.testing import ServiceOnStack
from oms_kit.auth import SALES_REP
from pypdf import PdfReader


def goods_issue(inventory: ServiceOnStack, order_id: str, sku: str, quantity: int) -> str:
    client = inventory.client
    receive(client, sku, "W1", "L1", quantity)
    inventory.deliver(order_confirmed(order_id, (sku, quantity)))
    (pick,) = pick_lists(client, order_id)
    lines = [
        {k: line[k] for k in ("sku", "quantity", "warehouse", "lot")} for line in pick["lines"]
    ]
    confirmed = client.post(f"/pick-lists/{pick['pick_list_id']}/confirm", json={"lines": lines})
    assert confirmed.status_code == 200, confirmed.text
    goods_issue_id: str = confirmed.json()["goods_issue_id"]
    return goods_issue_id


def check_digit(body: str) -> int:
    return sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10


def test_a_goods_issue_ships_once_with_a_tracking_number_on_the_event_and_the_waybill(
    inventory: ServiceOnStack,
) -> None:
    client = inventory.client
    issued = goods_issue(inventory, "o-1", "A", 3)
    body: dict[str, Any] = {
        "carrier": "DHL",
        "service": "express",
        "parcels": [{"weight_kg": 1.25}, {"weight_kg": 2}],
    }
    created = client.post(f"/goods-issues/{issued}/shipment", json=body)
    assert created.status_code == 201, created.text
    shipment = created.json()
    tracking = shipment["tracking_number"]
    assert re.fullmatch(r"OMS\d{13}", tracking)
    assert int(tracking[-1]) == check_digit(tracking[3:-1])
    assert shipment["goods_issue_id"] == issued and shipment["order_id"] == "o-1"
    assert shipment["parcels"] == [{"weight_kg": 1.25}, {"weight_kg": 2}]
    assert client.get(f"/shipments/{shipment['shipment_id']}").json() == shipment

    (event,) = inventory.published(ShipmentCreated)
    assert (event.order_id, event.tracking_number, event.carrier, event.service) == (
        "o-1",
        tracking,
        "DHL",
        "express",
    )

    again = client.post(f"/goods-issues/{issued}/shipment", json=body)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "goods_issue_id"

    waybill = client.get(f"/shipments/{shipment['shipment_id']}/waybill")
    assert waybill.status_code == 200
    assert waybill.headers["content-type"] == "application/pdf"
    page = PdfReader(io.BytesIO(waybill.content)).pages[0]
    text = page.extract_text()
    assert tracking in text and "DHL" in text and "3.25 kg" in text and "A  x 3" in text
    # Code 39: every character is 5 bars; with the start and stop characters, one filled
    # rectangle per bar.
    bars = page.get_contents().get_data().decode("latin-1").count(" re")
    assert bars >= 5 * (len(tracking) + 2)

    # Another goods issue: another tracking number.
    other = client.post(
        f"/goods-issues/{goods_issue(inventory, 'o-2', 'B', 1)}/shipment", json=body
    )
    assert other.json()["tracking_number"] != tracking


def test_bad_shipments_are_problems_naming_the_field(inventory: ServiceOnStack) -> None:
    client = inventory.client
    issued = goods_issue(inventory, "o-1", "A", 1)
    url = f"/goods-issues/{issued}/shipment"
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"carrier": "DHL", "parcels": []}, "parcels"),
        ({"carrier": "DHL", "parcels": [{"weight_kg": 0}]}, "parcels.0.weight_kg"),
        ({"carrier": "", "parcels": [{"weight_kg": 1}]}, "carrier"),
    ]
    for body, field in refusals:
        refused = client.post(url, json=body)
        assert refused.status_code == 422, refused.text
        assert field in [e["field"] for e in refused.json()["errors"]]
    one = {"carrier": "DHL", "parcels": [{"weight_kg": 1}]}
    unknown = client.post("/goods-issues/nothing/shipment", json=one)
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["field"] == "goods_issue_id"
    assert client.get("/shipments/nothing/waybill").status_code == 404
    rep = inventory.headers(SALES_REP, sales_rep_id="r-1")
    assert client.post(url, json=one, headers=rep).status_code == 403

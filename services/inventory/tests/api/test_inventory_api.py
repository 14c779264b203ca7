"""The inventory routes on the real stack (PostgreSQL): their JSON, problems naming the
field, 404 and 409, the Idempotency-Key of a pick confirmation, and the level list paged,
filtered and rebuilt. The use cases behind them run in memory in tests/application."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from inventory_examples import order_confirmed, pick_lists, receive, stock_levels
from oms_contracts.inventory import GoodsIssued
from oms_dev.testing import ServiceOnStack
from oms_kit.projection import ProjectionRunner


def test_receipts_answer_the_stock_per_location_with_quantities_as_numbers(
    inventory: ServiceOnStack,
) -> None:
    client = inventory.client
    first = receive(client, "SKU-1", "W1", "L1", 3, "2030-01-01")
    assert (first["sku"], first["on_hand"], first["available"]) == ("SKU-1", 3, 3)
    receive(client, "SKU-1", "W1", "L1", 2, None)
    receive(client, "SKU-1", "W2", "L9", 1.5, None)
    body = client.get("/stock/SKU-1").json()
    assert body == {
        "sku": "SKU-1",
        "on_hand": 6.5,
        "reserved": 0,
        "available": 6.5,
        "locations": [
            {
                "warehouse": "W1",
                "lot": "L1",
                "expires_on": "2030-01-01",
                "on_hand": 5,
                "reserved": 0,
                "available": 5,
            },
            {
                "warehouse": "W2",
                "lot": "L9",
                "expires_on": None,
                "on_hand": 1.5,
                "reserved": 0,
                "available": 1.5,
            },
        ],
    }


def test_bad_receipts_are_problems_naming_the_field_and_an_unknown_sku_a_404(
    inventory: ServiceOnStack,
) -> None:
    client = inventory.client
    receive(client, "SKU-1", "W1", "L1", 3, "2030-01-01")
    mismatch = client.post(
        "/stock/receipts",
        json={
            "sku": "SKU-1",
            "warehouse": "W1",
            "lot": "L1",
            "quantity": 1,
            "expires_on": "2030-02-02",
        },
    )
    assert mismatch.status_code == 422
    assert mismatch.headers["content-type"] == "application/problem+json"
    assert mismatch.json()["title"] == "Expiry date does not match the lot"
    assert mismatch.json()["errors"][0]["field"] == "expires_on"
    for quantity in (0, -1, 1e10):
        refused = client.post(
            "/stock/receipts",
            json={"sku": "SKU-1", "warehouse": "W1", "lot": "L2", "quantity": quantity},
        )
        assert refused.status_code == 422, quantity
        assert [e["field"] for e in refused.json()["errors"]] == ["quantity"]
    assert stock_levels(client, "SKU-1") == (3, 0, 3)
    assert "/pick-lists/{pick_list_id}/confirm" in client.get("/openapi.json").json()["paths"]
    unknown = client.get("/stock/NEVER")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["errors"][0]["field"] == "sku"


def test_a_pick_that_does_not_fit_is_a_422_naming_the_field_and_an_unknown_list_a_404(
    inventory: ServiceOnStack,
) -> None:
    client = inventory.client
    receive(client, "A", "W1", "L1", 5, None)
    inventory.deliver(order_confirmed("o-1", ("A", 2)))
    (listed,) = pick_lists(client, "o-1")
    assert listed["status"] == "open"
    assert [(x["sku"], x["warehouse"], x["lot"], x["quantity"]) for x in listed["lines"]] == [
        ("A", "W1", "L1", 2)
    ]
    url = f"/pick-lists/{listed['pick_list_id']}/confirm"
    refusals: list[tuple[list[dict[str, Any]], str]] = [
        ([], "lines"),
        ([{"sku": "B", "warehouse": "W1", "lot": "L1", "quantity": 1}], "lines.0.sku"),
        ([{"sku": "A", "warehouse": "W1", "lot": "L1", "quantity": 3}], "lines.0.quantity"),
        ([{"sku": "A", "warehouse": "W1", "lot": "NONE", "quantity": 1}], "lines.0.lot"),
        ([{"sku": "A", "warehouse": "W1", "lot": "L1", "quantity": 0}], "lines.0.quantity"),
    ]
    for lines, field in refusals:
        response = client.post(url, json={"lines": lines})
        assert response.status_code == 422, (field, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in response.json()["errors"]], field
    assert stock_levels(client, "A") == (5, 2, 3)
    one_line = {"lines": [{"sku": "A", "warehouse": "W1", "lot": "L1", "quantity": 1}]}
    for unknown_id in (str(uuid4()), "not-an-id"):
        unknown = client.post(f"/pick-lists/{unknown_id}/confirm", json=one_line)
        assert unknown.status_code == 404
        assert unknown.json()["errors"][0]["field"] == "pick_list_id"
        assert client.get(f"/pick-lists/{unknown_id}").status_code == 404
    assert pick_lists(client, "o-never-seen") == []


def test_a_confirmation_retried_with_its_idempotency_key_issues_goods_once(
    inventory: ServiceOnStack,
) -> None:
    client = inventory.client
    receive(client, "K", "W1", "L1", 4, None)
    inventory.deliver(order_confirmed("o-9", ("K", 3)))
    (pick,) = pick_lists(client, "o-9")
    url = f"/pick-lists/{pick['pick_list_id']}/confirm"
    body = {"lines": [{"sku": "K", "warehouse": "W1", "lot": "L1", "quantity": 2}]}

    first = client.post(url, json=body, headers={"Idempotency-Key": "scan-17"})
    again = client.post(url, json=body, headers={"Idempotency-Key": "scan-17"})
    other = client.post(url, json=body, headers={"Idempotency-Key": "scan-18"})
    without = client.post(url, json=body)

    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json()  # the same goods issue, the same follow-up list
    assert first.json()["status"] == "done" and first.json()["follow_up_pick_list_id"]
    assert other.status_code == without.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    assert stock_levels(client, "K") == (2, 1, 1)  # issued once: 4 - 2 on hand, 1 still reserved
    assert len(inventory.published(GoodsIssued)) == 1
    done, follow_up = pick_lists(client, "o-9")
    assert (done["status"], follow_up["status"]) == ("done", "open")
    assert done["goods_issue_id"] == first.json()["goods_issue_id"]
    assert follow_up["pick_list_id"] == first.json()["follow_up_pick_list_id"]
    assert [(x["lot"], x["quantity"]) for x in follow_up["lines"]] == [("L1", 1)]


def test_the_inventory_level_list_is_paged_filtered_and_rebuildable(
    inventory: ServiceOnStack,
) -> None:
    client = inventory.client
    receive(client, "APPLE-1", "W1", "L1", 4, "2030-01-01")
    receive(client, "APPLE-1", "W2", "L2", 1, None)
    receive(client, "APPLE-2", "W2", "L1", 2, None)
    receive(client, "PEAR-1", "W1", "L1", 1, None)
    inventory.deliver(order_confirmed("o-1", ("APPLE-1", 3)))
    runner = ProjectionRunner(inventory.service.app, inventory.service.view("stock_levels"))
    runner.catch_up()

    page = client.get("/stock", params={"sku_prefix": "APPLE", "limit": 1}).json()
    assert [(i["sku"], i["on_hand"], i["reserved"], i["available"]) for i in page["items"]] == [
        ("APPLE-1", 5, 3, 2)
    ]
    assert [
        (x["warehouse"], x["lot"], x["expires_on"], x["on_hand"], x["reserved"], x["available"])
        for x in page["items"][0]["locations"]
    ] == [("W1", "L1", "2030-01-01", 4, 3, 1), ("W2", "L2", None, 1, 0, 1)]
    assert page["next_cursor"]
    rest = client.get(
        "/stock", params={"sku_prefix": "APPLE", "limit": 1, "cursor": page["next_cursor"]}
    ).json()
    assert [i["sku"] for i in rest["items"]] == ["APPLE-2"] and rest["next_cursor"] is None

    in_w1 = client.get("/stock", params={"warehouse": "W1"}).json()
    assert [i["sku"] for i in in_w1["items"]] == ["APPLE-1", "PEAR-1"]
    assert [x["lot"] for x in in_w1["items"][0]["locations"]] == ["L1"]  # W1's lots only
    assert in_w1["items"][0]["on_hand"] == 4 and in_w1["next_cursor"] is None
    everything = client.get("/stock").json()
    assert [i["sku"] for i in everything["items"]] == ["APPLE-1", "APPLE-2", "PEAR-1"]

    bad_cursor = client.get("/stock", params={"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["errors"][0]["field"] == "cursor"
    too_many = client.get("/stock", params={"limit": 10_000})
    assert too_many.status_code == 422
    assert [e["field"] for e in too_many.json()["errors"]] == ["limit"]

    runner.rebuild()
    again = client.get("/stock", params={"sku_prefix": "APPLE", "limit": 1}).json()
    assert again == page

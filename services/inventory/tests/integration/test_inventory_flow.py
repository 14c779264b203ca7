"""The inventory service on the real stack (PostgreSQL + broker): its routes, the orders
events it consumes through the exactly-once consumer, and the events it would publish."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from oms_contracts import ContractEvent, Envelope
from oms_contracts.orders import Line, OrderCancelled, OrderConfirmed
from oms_dev.testing import Stack
from oms_inventory.bootstrap import bootstrap
from oms_inventory.integration.inbound import SOURCES
from oms_inventory.integration.outbound import to_contract
from oms_kit.consumer import ExactlyOnceConsumer
from oms_kit.projection import ProjectionRunner
from oms_kit.runtime import http_app
from oms_kit.service import Service

_positions = itertools.count(1)


@pytest.fixture
def service(stack: Stack) -> Service:
    return bootstrap(**stack.settings_overrides(), pg_pool_size=6)


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(http_app(service)) as c:
        yield c


@pytest.fixture
def consumer(service: Service) -> ExactlyOnceConsumer:
    return ExactlyOnceConsumer(service.app, "inventory", SOURCES, service.handlers)


def raw(event: ContractEvent, aggregate_id: str = "order") -> bytes:
    """An envelope from the orders service, at a source position of its own."""
    env = Envelope[Any](
        event_id=uuid4(),
        event_type=type(event).__name__,
        event_version=1,
        occurred_at=datetime.now(UTC),
        source="orders",
        source_position=next(_positions),
        aggregate_id=aggregate_id,
        aggregate_version=1,
        payload=event,
    )
    return env.model_dump_json().encode()


def confirmed(order_id: str, *lines: tuple[str, int]) -> bytes:
    return raw(
        OrderConfirmed(
            order_id=order_id,
            customer_id="c-1",
            currency="EUR",
            lines=[
                Line(
                    line_no=i,
                    sku=sku,
                    quantity=Decimal(quantity),
                    unit_price=Decimal("1.00"),
                    tax_rate=Decimal("0.23"),
                    net_amount=Decimal(quantity),
                )
                for i, (sku, quantity) in enumerate(lines, start=1)
            ],
            total=Decimal("1.00"),
        ),
        order_id,
    )


def cancelled(order_id: str, reason: str = "customer asked") -> bytes:
    return raw(OrderCancelled(order_id=order_id, reason=reason), order_id)


def receive(
    client: TestClient, sku: str, warehouse: str, lot: str, quantity: float, expires_on: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"sku": sku, "warehouse": warehouse, "lot": lot, "quantity": quantity}
    if expires_on:
        body["expires_on"] = expires_on
    response = client.post("/stock/receipts", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def published(service: Service) -> list[ContractEvent]:
    """Every public event the relay would publish, in store order."""
    app = service.app
    out = []
    for notification in app.recorder.select_notifications(1, 10_000):
        contract = to_contract(app.mapper.to_domain_event(notification))
        if contract is not None:
            out.append(contract)
    return out


def of_type(service: Service, name: str) -> list[dict[str, Any]]:
    return [json.loads(e.model_dump_json()) for e in published(service) if type(e).__name__ == name]


def levels(client: TestClient, sku: str) -> tuple[float, float, float]:
    body = client.get(f"/stock/{sku}").json()
    return body["on_hand"], body["reserved"], body["available"]


def pick_lists(client: TestClient, order_id: str) -> list[dict[str, Any]]:
    response = client.get("/pick-lists", params={"order_id": order_id})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_receipts_add_to_lots_and_show_per_location(client: TestClient, service: Service) -> None:
    receive(client, "SKU-1", "W1", "L1", 3, "2030-01-01")
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
    assert [e["quantity"] for e in of_type(service, "StockReceived")] == [3, 2, 1.5]
    assert of_type(service, "StockLevelChanged")[-1] == {
        "sku": "SKU-1",
        "on_hand": 6.5,
        "reserved": 0,
        "available": 6.5,
    }


def test_bad_receipts_are_problems_naming_the_field(client: TestClient) -> None:
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
    assert mismatch.json()["errors"][0]["field"] == "expires_on"
    zero = client.post(
        "/stock/receipts", json={"sku": "SKU-1", "warehouse": "W1", "lot": "L2", "quantity": 0}
    )
    assert zero.status_code == 422
    assert [e["field"] for e in zero.json()["errors"]] == ["quantity"]
    assert "/pick-lists/{pick_list_id}/confirm" in client.get("/openapi.json").json()["paths"]
    unknown = client.get("/stock/NEVER")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


def test_a_confirmed_order_is_reserved_fefo_with_a_pick_list_and_a_repeat_changes_nothing(
    client: TestClient, service: Service, consumer: ExactlyOnceConsumer
) -> None:
    receive(client, "A", "W2", "LATE", 5, "2031-01-01")
    receive(client, "A", "W1", "EARLY", 2, "2030-01-01")
    receive(client, "B", "W1", "B1", 1, None)
    message = confirmed("o-1", ("A", 3), ("B", 1))
    assert consumer.process(message).status == "applied"
    assert levels(client, "A") == (7, 3, 4)
    assert levels(client, "B") == (1, 1, 0)
    (reserved,) = of_type(service, "StockReserved")
    assert [(a["sku"], a["lot"], a["quantity"]) for a in reserved["allocations"]] == [
        ("A", "EARLY", 2),
        ("A", "LATE", 1),
        ("B", "B1", 1),
    ]
    (created,) = of_type(service, "PickListCreated")
    (listed,) = pick_lists(client, "o-1")
    assert listed["pick_list_id"] == created["pick_list_id"]
    assert listed["status"] == "open"
    assert [(x["sku"], x["warehouse"], x["lot"], x["quantity"]) for x in listed["lines"]] == [
        ("A", "W1", "EARLY", 2),
        ("A", "W2", "LATE", 1),
        ("B", "W1", "B1", 1),
    ]
    before = service.app.recorder.max_notification_id()
    # The same message again, and the same order confirmed again (e.g. after an approve).
    assert consumer.process(message).status == "duplicate"
    assert consumer.process(confirmed("o-1", ("A", 3), ("B", 1))).status == "applied"
    assert service.app.recorder.max_notification_id() == before
    assert levels(client, "A") == (7, 3, 4)
    assert len(pick_lists(client, "o-1")) == 1


def test_a_shortage_reserves_nothing_and_a_later_repeat_tries_again(
    client: TestClient, service: Service, consumer: ExactlyOnceConsumer
) -> None:
    receive(client, "A", "W1", "L1", 5, None)
    receive(client, "B", "W1", "L1", 1, None)
    consumer.process(confirmed("o-1", ("A", 2), ("B", 2)))
    assert of_type(service, "StockShortage") == [
        {"order_id": "o-1", "sku": "B", "requested": 2, "available": 1}
    ]
    assert of_type(service, "StockReserved") == []
    assert levels(client, "A") == (5, 0, 5)
    assert pick_lists(client, "o-1") == []
    receive(client, "B", "W1", "L2", 1, None)
    consumer.process(confirmed("o-1", ("A", 2), ("B", 2)))
    assert len(of_type(service, "StockReserved")) == 1
    assert levels(client, "A") == (5, 2, 3)
    assert levels(client, "B") == (2, 2, 0)


def test_twenty_concurrent_one_unit_orders_against_five_units_reserve_exactly_five(
    client: TestClient, service: Service, consumer: ExactlyOnceConsumer
) -> None:
    receive(client, "HOT", "W1", "L1", 3, "2030-01-01")
    receive(client, "HOT", "W2", "L2", 2, None)
    messages = [confirmed(f"o-{i}", ("HOT", 1)) for i in range(20)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(consumer.process, messages))
    assert {o.status for o in outcomes} == {"applied"}
    assert len(of_type(service, "StockReserved")) == 5
    assert len(of_type(service, "StockShortage")) == 15
    assert levels(client, "HOT") == (5, 5, 0)
    stock = client.get("/stock/HOT").json()
    assert [(x["lot"], x["reserved"]) for x in stock["locations"]] == [("L1", 3), ("L2", 2)]


def test_cancel_releases_what_is_still_reserved_and_cancels_open_pick_lists(
    client: TestClient, service: Service, consumer: ExactlyOnceConsumer
) -> None:
    receive(client, "A", "W1", "L1", 10, None)
    consumer.process(confirmed("o-1", ("A", 4)))
    (listed,) = pick_lists(client, "o-1")
    picked = client.post(
        f"/pick-lists/{listed['pick_list_id']}/confirm",
        json={"lines": [{"sku": "A", "quantity": 1, "warehouse": "W1", "lot": "L1"}]},
    )
    assert picked.status_code == 200, picked.text
    assert levels(client, "A") == (9, 3, 6)
    consumer.process(cancelled("o-1", "customer asked"))
    assert levels(client, "A") == (9, 0, 9)
    (released,) = of_type(service, "StockReleased")
    assert released["reason"] == "customer asked"
    assert [(a["lot"], a["quantity"]) for a in released["allocations"]] == [("L1", 3)]
    first, follow_up = pick_lists(client, "o-1")
    assert (first["status"], follow_up["status"]) == ("done", "cancelled")
    again = client.post(
        f"/pick-lists/{follow_up['pick_list_id']}/confirm",
        json={"lines": [{"sku": "A", "quantity": 1, "warehouse": "W1", "lot": "L1"}]},
    )
    assert again.status_code == 409
    # A cancelled order confirmed again later reserves nothing.
    consumer.process(confirmed("o-1", ("A", 4)))
    assert levels(client, "A") == (9, 0, 9)


def test_partial_picking_twice_leaves_follow_ups_and_issues_goods_each_time(
    client: TestClient, service: Service, consumer: ExactlyOnceConsumer
) -> None:
    receive(client, "A", "W1", "L1", 3, "2030-01-01")
    receive(client, "A", "W1", "L2", 3, "2031-01-01")
    receive(client, "A", "W1", "SPARE", 5, None)
    consumer.process(confirmed("o-1", ("A", 5)))
    (first,) = pick_lists(client, "o-1")
    line = {"sku": "A", "warehouse": "W1"}

    one = client.post(
        f"/pick-lists/{first['pick_list_id']}/confirm",
        json={"lines": [{**line, "lot": "L1", "quantity": 2}]},
    )
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["status"] == "done" and body["follow_up_pick_list_id"]
    assert levels(client, "A") == (9, 3, 6)
    _, second = pick_lists(client, "o-1")
    assert second["pick_list_id"] == body["follow_up_pick_list_id"]
    assert [(x["lot"], x["quantity"]) for x in second["lines"]] == [("L1", 1), ("L2", 2)]

    # The second pick takes one from a lot not on the list: the reservation moves.
    two = client.post(
        f"/pick-lists/{second['pick_list_id']}/confirm",
        json={
            "lines": [{**line, "lot": "L1", "quantity": 1}, {**line, "lot": "SPARE", "quantity": 1}]
        },
    )
    assert two.status_code == 200, two.text
    done_first, done_second, third = pick_lists(client, "o-1")
    assert (done_first["status"], done_second["status"], third["status"]) == (
        "done",
        "done",
        "open",
    )
    assert [(x["lot"], x["quantity"]) for x in third["lines"]] == [("L2", 1)]
    assert levels(client, "A") == (7, 1, 6)
    spare = [x for x in client.get("/stock/A").json()["locations"] if x["lot"] == "SPARE"]
    assert spare[0]["on_hand"] == 4 and spare[0]["reserved"] == 0

    issues = of_type(service, "GoodsIssued")
    assert [i["goods_issue_id"] for i in issues] == [
        body["goods_issue_id"],
        two.json()["goods_issue_id"],
    ]
    assert [[(x["lot"], x["quantity"]) for x in i["lines"]] for i in issues] == [
        [("L1", 2)],
        [("L1", 1), ("SPARE", 1)],
    ]
    picks = of_type(service, "StockPicked")
    assert [p["follow_up_pick_list_id"] for p in picks] == [
        second["pick_list_id"],
        third["pick_list_id"],
    ]
    assert len(of_type(service, "PickListCreated")) == 3

    repeat = client.post(
        f"/pick-lists/{first['pick_list_id']}/confirm",
        json={"lines": [{**line, "lot": "L1", "quantity": 1}]},
    )
    assert repeat.status_code == 409


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ([{"sku": "B", "warehouse": "W1", "lot": "L1", "quantity": 1}], "lines.0.sku"),
        ([{"sku": "A", "warehouse": "W1", "lot": "L1", "quantity": 3}], "lines.0.quantity"),
        ([{"sku": "A", "warehouse": "W1", "lot": "NONE", "quantity": 1}], "lines.0.lot"),
        ([{"sku": "A", "warehouse": "W1", "lot": "L1", "quantity": 0}], "lines.0.quantity"),
    ],
)
def test_a_pick_that_does_not_fit_is_a_422_naming_the_field(
    client: TestClient,
    consumer: ExactlyOnceConsumer,
    lines: list[dict[str, Any]],
    field: str,
) -> None:
    receive(client, "A", "W1", "L1", 5, None)
    consumer.process(confirmed("o-1", ("A", 2)))
    (listed,) = pick_lists(client, "o-1")
    response = client.post(f"/pick-lists/{listed['pick_list_id']}/confirm", json={"lines": lines})
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert levels(client, "A") == (5, 2, 3)
    unknown = client.post(
        f"/pick-lists/{uuid4()}/confirm",
        json={"lines": [{"sku": "A", "warehouse": "W1", "lot": "L1", "quantity": 1}]},
    )
    assert unknown.status_code == 404


def test_the_inventory_level_list_is_a_rebuildable_projection(
    client: TestClient, service: Service, consumer: ExactlyOnceConsumer
) -> None:
    receive(client, "APPLE-1", "W1", "L1", 4, "2030-01-01")
    receive(client, "APPLE-2", "W2", "L1", 2, None)
    receive(client, "PEAR-1", "W1", "L1", 1, None)
    consumer.process(confirmed("o-1", ("APPLE-1", 3)))
    runner = ProjectionRunner(service.app, service.projection("stock_levels"))
    runner.catch_up()
    page = client.get("/stock", params={"sku_prefix": "APPLE", "limit": 1}).json()
    assert [(i["sku"], i["on_hand"], i["reserved"], i["available"]) for i in page["items"]] == [
        ("APPLE-1", 4, 3, 1)
    ]
    assert page["next_cursor"] == "APPLE-1"
    rest = client.get(
        "/stock", params={"sku_prefix": "APPLE", "limit": 1, "cursor": page["next_cursor"]}
    ).json()
    assert [i["sku"] for i in rest["items"]] == ["APPLE-2"] and rest["next_cursor"] is None
    in_w1 = client.get("/stock", params={"warehouse": "W1"}).json()
    assert [i["sku"] for i in in_w1["items"]] == ["APPLE-1", "PEAR-1"]
    runner.rebuild()
    again = client.get("/stock", params={"sku_prefix": "APPLE", "limit": 1}).json()
    assert again == page


def test_a_confirmation_retried_with_its_idempotency_key_issues_goods_once(
    client: TestClient, service: Service, consumer: ExactlyOnceConsumer
) -> None:
    receive(client, "K", "W1", "L1", 4, None)
    consumer.process(confirmed("o-9", ("K", 3)))
    (pick,) = pick_lists(client, "o-9")
    url = f"/pick-lists/{pick['pick_list_id']}/confirm"
    body = {"lines": [{"sku": "K", "warehouse": "W1", "lot": "L1", "quantity": 2}]}

    first = client.post(url, json=body, headers={"Idempotency-Key": "scan-17"})
    again = client.post(url, json=body, headers={"Idempotency-Key": "scan-17"})
    other = client.post(url, json=body, headers={"Idempotency-Key": "scan-18"})

    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json()  # the same goods issue, the same follow-up list
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    assert levels(client, "K") == (2, 1, 1)  # issued once: 4 - 2 on hand, 1 still reserved
    assert len(of_type(service, "GoodsIssued")) == 1

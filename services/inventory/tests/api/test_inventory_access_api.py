"""Who may call inventory's routes (DESIGN section 9), on the real stack: 401 without a
valid token; stock receipts, pick lists and their confirmation for the warehouse, back
office and admin only; stock levels for every role but partners; partners nothing. A
refused call changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from inventory_examples import order_confirmed, pick_lists, receive, stock_levels
from oms_dev.testing import ServiceOnStack
from oms_kit.auth import ADMIN, BACK_OFFICE, CUSTOMER, PARTNER, SALES_REP, WAREHOUSE

#: A request: method, path and what else it sends.
Route = tuple[str, str, dict[str, Any]]

#: The claim each role's token carries beside its role.
IDS: dict[str, dict[str, str]] = {
    SALES_REP: {"sales_rep_id": "rep-1"},
    CUSTOMER: {"customer_id": "cust-1"},
    PARTNER: {"partner_id": "partner-1"},
}

STOCK_LEVELS: list[Route] = [("GET", "/stock", {}), ("GET", "/stock/A", {})]


def warehouse_work(pick_list_id: str, picked_quantity: int = 1) -> list[Route]:
    """Receiving, the order's pick lists, one of them, and its confirmation (of nothing
    when ``picked_quantity`` is 0: a 422 for whoever may confirm)."""
    picked = [{"sku": "A", "warehouse": "W1", "lot": "L1", "quantity": picked_quantity}]
    return [
        ("POST", "/stock/receipts", {"json": {**picked[0], "quantity": 1}}),
        ("GET", "/pick-lists", {"params": {"order_id": "o-1"}}),
        ("GET", f"/pick-lists/{pick_list_id}", {}),
        (
            "POST",
            f"/pick-lists/{pick_list_id}/confirm",
            {"json": {"lines": picked if picked_quantity else []}},
        ),
    ]


def call(inventory: ServiceOnStack, role: str, route: Route) -> httpx.Response:
    method, url, kwargs = route
    headers = inventory.headers(role, **IDS.get(role, {}))
    response: httpx.Response = inventory.client.request(method, url, headers=headers, **kwargs)
    return response


@pytest.fixture
def pick_list_id(inventory: ServiceOnStack) -> str:
    """5 of A in stock, 2 of them on the open pick list of order o-1."""
    receive(inventory.client, "A", "W1", "L1", 5)
    inventory.deliver(order_confirmed("o-1", ("A", 2)))
    inventory.catch_up()
    (listed,) = pick_lists(inventory.client, "o-1")
    return str(listed["pick_list_id"])


def test_without_a_valid_token_every_route_is_401(
    inventory: ServiceOnStack, pick_list_id: str
) -> None:
    issuer = inventory.issuer
    anonymous = TestClient(inventory.client.app)
    bad_tokens = {
        "none": {},
        "expired": {"Authorization": f"Bearer {issuer.expired_token(ADMIN)}"},
        "forged": {"Authorization": f"Bearer {issuer.forged_token(ADMIN)}"},
        "alg none": {"Authorization": f"Bearer {issuer.none_token(ADMIN)}"},
    }
    for name, headers in bad_tokens.items():
        for method, url, kwargs in [*STOCK_LEVELS, *warehouse_work(pick_list_id)]:
            response = anonymous.request(method, url, headers=headers, **kwargs)
            assert response.status_code == 401, (name, url)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["www-authenticate"] == "Bearer"
    assert stock_levels(inventory.client, "A") == (5, 2, 3)  # nothing received or picked


@pytest.mark.parametrize("role", [SALES_REP, CUSTOMER, PARTNER])
def test_only_the_warehouse_back_office_and_admin_receive_and_pick(
    inventory: ServiceOnStack, pick_list_id: str, role: str
) -> None:
    """Pick lists name orders: no rep or customer reads them."""
    for route in warehouse_work(pick_list_id):
        response = call(inventory, role, route)
        assert response.status_code == 403, (role, route)
        assert response.headers["content-type"] == "application/problem+json"
    assert stock_levels(inventory.client, "A") == (5, 2, 3)
    assert [p["status"] for p in pick_lists(inventory.client, "o-1")] == ["open"]


@pytest.mark.parametrize("role", [WAREHOUSE, BACK_OFFICE, ADMIN])
def test_the_warehouse_back_office_and_admin_may_call_every_route(
    inventory: ServiceOnStack, pick_list_id: str, role: str
) -> None:
    # A confirmation of nothing passes the role check and stops at the body (422); the
    # confirmations themselves are in test_inventory_api.py.
    expected = [201, 200, 200, 422]
    for route, status in zip(warehouse_work(pick_list_id, 0), expected, strict=True):
        response = call(inventory, role, route)
        assert response.status_code == status, (role, route, response.text)
    for route in STOCK_LEVELS:
        assert call(inventory, role, route).status_code == 200, (role, route)


@pytest.mark.parametrize("role", [SALES_REP, CUSTOMER])
def test_reps_and_customers_read_stock_levels(
    inventory: ServiceOnStack, pick_list_id: str, role: str
) -> None:
    listed, one = (call(inventory, role, route) for route in STOCK_LEVELS)
    assert listed.status_code == one.status_code == 200
    assert [(i["sku"], i["available"]) for i in listed.json()["items"]] == [("A", 3)]
    assert (one.json()["on_hand"], one.json()["available"]) == (5, 3)


def test_partners_may_read_no_stock(inventory: ServiceOnStack, pick_list_id: str) -> None:
    for route in STOCK_LEVELS:
        assert call(inventory, PARTNER, route).status_code == 403, route

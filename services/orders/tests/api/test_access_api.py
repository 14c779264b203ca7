"""Who sees and does what in orders (DESIGN section 9, api/scope.py), over HTTP on the
real PostgreSQL: 401 without a valid token on every route; 403 for what a role may not
do; the scope of every list, total, detail and history (two reps, a customer of each: a
rep sees his portfolio, a customer his own records, anything else answers 404 as if it
did not exist); a portfolio change taking effect everywhere; origins that follow the
caller."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from oms_dev.testing import ServiceOnStack
from oms_kit.auth import ADMIN, BACK_OFFICE, CUSTOMER, PARTNER, SALES_REP, WAREHOUSE

Headers = dict[str, str]
LINE = [{"sku": "SKU-1", "quantity": 1}]


@dataclass
class World:
    """Rita (rep-a) has Ana; Rui (rep-b) has Bob; each customer has a user of his own."""

    ana: str
    bob: str
    rita: Headers
    rui: Headers
    ana_user: Headers
    bob_user: Headers
    #: Two orders of Ana (one confirmed, one cancelled), one of Bob (confirmed).
    ana_orders: list[str]
    bob_order: str
    ana_quote: str
    bob_quote: str


def created(response: Any, key: str) -> str:
    assert response.status_code == 201, response.text
    value: str = response.json()[key]
    return value


def customer(client: TestClient, name: str, sales_rep_id: str) -> str:
    body = {
        "name": name,
        "tax_id": f"T-{name}",
        "email": f"{name.lower()}@example.com",
        "credit_limit": "1000.00",
        "payment_terms_days": [30],
        "sales_rep_id": sales_rep_id,
    }
    return created(client.post("/customers", json=body), "customer_id")


def problem_fields(response: Any) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in response.json().get("errors", [])]


@pytest.fixture
def world(client: TestClient, orders: ServiceOnStack, catch_up: Callable[[], None]) -> World:
    """Set up by the back office (the ``client``'s default token)."""
    product = {
        "sku": "SKU-1",
        "name": "Widget",
        "unit_price": "10.00",
        "currency": "BRL",
        "tax_rate": "0.21",
    }
    assert client.post("/products", json=product).status_code == 201
    ana = customer(client, "Ana", "rep-a")
    bob = customer(client, "Bob", "rep-b")

    def order(customer_id: str, quantity: int) -> str:
        body = {"customer_id": customer_id, "lines": [{"sku": "SKU-1", "quantity": quantity}]}
        return created(client.post("/orders", json=body), "order_id")

    ana_orders = [order(ana, 1), order(ana, 2)]
    bob_order = order(bob, 4)
    client.post(f"/orders/{ana_orders[1]}/cancel", json={"reason": "x"})

    def quote(customer_id: str) -> str:
        return created(
            client.post("/quotes", json={"customer_id": customer_id, "lines": LINE}), "quote_id"
        )

    world = World(
        ana=ana,
        bob=bob,
        rita=orders.headers(SALES_REP, "rita", sales_rep_id="rep-a"),
        rui=orders.headers(SALES_REP, "rui", sales_rep_id="rep-b"),
        ana_user=orders.headers(CUSTOMER, "ana", customer_id=ana),
        bob_user=orders.headers(CUSTOMER, "bob", customer_id=bob),
        ana_orders=ana_orders,
        bob_order=bob_order,
        ana_quote=quote(ana),
        bob_quote=quote(bob),
    )
    catch_up()
    return world


def assert_as_if_it_did_not_exist(client: TestClient, path: str, answer: Any) -> None:
    """The answer for a record outside reach is the one for a record that never existed
    (with the id asked for in it): nothing tells the record is there."""
    record_id = path.split("/")[2]
    made_up = str(uuid.uuid4())
    unknown = client.get(path.replace(record_id, made_up))  # the back office's default token
    assert unknown.status_code == 404
    assert answer.json() == json.loads(unknown.text.replace(made_up, record_id))


def ids(response: Any, key: str) -> set[str]:
    assert response.status_code == 200, response.text
    return {item[key] for item in response.json()["items"]}


# --- 401: no valid token ---------------------------------------------------------------


def test_every_route_answers_401_without_a_valid_token(orders: ServiceOnStack) -> None:
    issuer = orders.issuer
    anonymous = TestClient(orders.client.app)
    refused = {
        "none": {},
        "expired": {"Authorization": f"Bearer {issuer.expired_token(ADMIN)}"},
        "forged": {"Authorization": f"Bearer {issuer.forged_token(ADMIN)}"},
        "alg none": {"Authorization": f"Bearer {issuer.none_token(ADMIN)}"},
        "not a token": {"Authorization": "Bearer not-a-token"},
        "basic": {"Authorization": "Basic YWRtaW46YWRtaW4="},
    }
    routes = [
        (method, route.path.replace("{", "").replace("}", ""))
        for router in orders.service.routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods or ())
    ]
    assert ("POST", "/orders") in routes and ("GET", "/orders/order_id/history") in routes
    for method, path in routes:
        for what, headers in refused.items():
            answer = anonymous.request(method, path, headers=headers, json={})
            assert answer.status_code == 401, (method, path, what, answer.text)
            assert answer.headers["www-authenticate"] == "Bearer"
            assert answer.headers["content-type"].startswith("application/problem+json")
    assert anonymous.get("/health").status_code == 200


# --- 403: what each role may do ------------------------------------------------------


def test_each_role_may_take_only_the_actions_of_its_role(
    orders: ServiceOnStack, world: World
) -> None:
    """A role that may not take an action gets 403 whatever record it names (before
    anything is looked up); one that may gets past the role check."""
    client = orders.client
    order, quote = world.ana_orders[0], world.ana_quote
    customer_body = {
        "name": "Eve",
        "tax_id": "E",
        "email": "e@example.com",
        "credit_limit": "1",
    }
    product_body = {
        "sku": "SKU-9",
        "name": "N",
        "unit_price": "1.00",
        "currency": "BRL",
        "tax_rate": "0",
    }
    actions: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/customers", customer_body),
        ("PATCH", f"/customers/{world.ana}", {"credit_limit": "900.00"}),
        ("GET", f"/customers/{world.ana}", None),
        ("POST", "/products", product_body),
        ("GET", "/products/SKU-1", None),
        ("POST", "/orders", {"customer_id": world.ana, "lines": LINE}),
        ("GET", "/orders", None),
        ("GET", f"/orders/{order}", None),
        ("GET", f"/orders/{order}/history", None),
        ("POST", f"/orders/{order}/approve", None),
        ("POST", f"/orders/{order}/cancel", {"reason": "r"}),
        ("POST", "/quotes", {"customer_id": world.ana, "lines": LINE}),
        ("GET", "/quotes", None),
        ("GET", f"/quotes/{quote}", None),
        ("POST", f"/quotes/{quote}/revise", {"lines": LINE}),
        ("POST", f"/quotes/{quote}/duplicate", None),
        ("POST", f"/quotes/{quote}/send", None),
        ("POST", f"/quotes/{quote}/accept", None),
        ("POST", f"/quotes/{quote}/reject", {"reason": "r"}),
        ("POST", f"/quotes/{quote}/expire", None),
    ]
    # Actions by kind: "GET /orders/history" is GET /orders/{id}/history.
    reads = {"GET /customers", "GET /orders", "GET /orders/history", "GET /quotes"}
    buys = reads | {"POST /orders", "GET /products"}
    quote_work = {"POST /quotes", "POST /quotes/revise", "POST /quotes/duplicate"}
    quote_work |= {"POST /quotes/send"}

    def kind(method: str, path: str) -> str:
        parts = [p for p in path.split("/") if p]
        return f"{method} /{parts[0]}" + (f"/{parts[2]}" if len(parts) > 2 else "")

    allowed = {
        BACK_OFFICE: None,  # everything
        SALES_REP: buys | quote_work,
        CUSTOMER: buys,
        WAREHOUSE: {"GET /products"},
        PARTNER: set(),
    }
    callers = {
        BACK_OFFICE: orders.headers(BACK_OFFICE, "bo"),
        SALES_REP: world.rita,
        CUSTOMER: world.ana_user,
        WAREHOUSE: orders.headers(WAREHOUSE, "wh"),
        PARTNER: orders.headers(PARTNER, "p-1", partner_id="p-1"),
    }
    for role, headers in callers.items():
        for method, path, body in actions:
            may = allowed[role]
            answer = client.request(method, path, headers=headers, json=body)
            if may is None or kind(method, path) in may:
                assert answer.status_code != 403, (role, method, path, answer.text)
                assert answer.status_code < 500, (role, method, path, answer.text)
            else:
                assert answer.status_code == 403, (role, method, path, answer.text)
                assert answer.json()["title"] == "Forbidden"


def test_admin_may_do_everything_the_back_office_may(orders: ServiceOnStack, world: World) -> None:
    admin = orders.headers(ADMIN, "root")
    client = orders.client
    pending = client.post(
        "/orders", json={"customer_id": world.bob, "lines": LINE, "origin": "portal"}, headers=admin
    )
    assert pending.status_code == 201
    approved = client.post(f"/orders/{pending.json()['order_id']}/approve", headers=admin)
    assert approved.json()["status"] == "confirmed"
    assert client.get("/orders", headers=admin).json()["totals_by_status"]
    assert client.post(f"/quotes/{world.bob_quote}/send", headers=admin).status_code == 200


# --- the scope: lists, totals, details, history ----------------------------------------


def test_a_rep_sees_his_portfolio_only_in_lists_totals_details_and_history(
    orders: ServiceOnStack, world: World
) -> None:
    client = orders.client
    mine = client.get("/orders", headers=world.rita).json()
    assert {i["order_id"] for i in mine["items"]} == set(world.ana_orders)
    assert mine["totals_by_status"] == {
        "cancelled": {"count": 1, "total": "24.20"},
        "confirmed": {"count": 1, "total": "12.10"},
    }
    # Naming another rep's customer in a filter finds nothing, not his orders.
    others = client.get("/orders", params={"customer_id": world.bob}, headers=world.rita).json()
    assert (others["items"], others["totals_by_status"]) == ([], {})
    paged = client.get("/orders", params={"limit": 1}, headers=world.rita).json()
    rest = client.get(
        "/orders", params={"limit": 1, "cursor": paged["next_cursor"]}, headers=world.rita
    ).json()
    assert {i["order_id"] for i in paged["items"] + rest["items"]} == set(world.ana_orders)
    assert rest["next_cursor"] is None
    assert ids(client.get("/orders", headers=world.rui), "order_id") == {world.bob_order}

    assert client.get(f"/orders/{world.ana_orders[0]}", headers=world.rita).status_code == 200
    assert client.get(f"/orders/{world.ana_orders[0]}/history", headers=world.rita).json()["items"]
    for outside in (
        f"/orders/{world.bob_order}",
        f"/orders/{world.bob_order}/history",
        f"/customers/{world.bob}",
        f"/quotes/{world.bob_quote}",
    ):
        answer = client.get(outside, headers=world.rita)
        assert answer.status_code == 404, (outside, answer.text)
        assert_as_if_it_did_not_exist(client, outside, answer)
    assert client.get(f"/customers/{world.ana}", headers=world.rita).json()["name"] == "Ana"

    assert ids(client.get("/quotes", headers=world.rita), "quote_id") == {world.ana_quote}
    assert ids(client.get("/quotes", headers=world.rui), "quote_id") == {world.bob_quote}
    assert client.get(f"/quotes/{world.ana_quote}", headers=world.rita).status_code == 200


def test_a_rep_works_only_on_his_portfolio(orders: ServiceOnStack, world: World) -> None:
    """Another rep's customer named in a body, or his quote in a path: 404, as if it did
    not exist; nothing is changed."""
    client = orders.client
    for path in ("/orders", "/quotes"):
        answer = client.post(
            path, json={"customer_id": world.bob, "lines": LINE}, headers=world.rita
        )
        assert answer.status_code == 404, answer.text
        assert problem_fields(answer) == ["customer_id"]
    for action, body in (("revise", {"lines": LINE}), ("duplicate", None), ("send", None)):
        answer = client.post(f"/quotes/{world.bob_quote}/{action}", json=body, headers=world.rita)
        assert answer.status_code == 404, (action, answer.text)
        assert problem_fields(answer) == ["quote_id"]
    assert client.get(f"/quotes/{world.bob_quote}").json()["status"] == "draft"
    unknown = client.post(
        "/orders", json={"customer_id": "nobody", "lines": LINE}, headers=world.rita
    )
    assert unknown.status_code == 404 and problem_fields(unknown) == ["customer_id"]

    quote = client.post(
        "/quotes", json={"customer_id": world.ana, "lines": LINE}, headers=world.rita
    )
    assert quote.status_code == 201
    quote_id = quote.json()["quote_id"]
    assert client.post(f"/quotes/{quote_id}/send", headers=world.rita).json()["status"] == "sent"


def test_a_customer_sees_only_his_own_records(orders: ServiceOnStack, world: World) -> None:
    client = orders.client
    own = client.get("/orders", headers=world.ana_user).json()
    assert {i["order_id"] for i in own["items"]} == set(world.ana_orders)
    assert sum(t["count"] for t in own["totals_by_status"].values()) == 2
    asked = client.get("/orders", params={"customer_id": world.bob}, headers=world.ana_user)
    assert (asked.json()["items"], asked.json()["totals_by_status"]) == ([], {})
    assert ids(client.get("/orders", headers=world.bob_user), "order_id") == {world.bob_order}
    assert ids(client.get("/quotes", headers=world.ana_user), "quote_id") == {world.ana_quote}
    assert client.get(f"/customers/{world.ana}", headers=world.ana_user).status_code == 200
    assert client.get(f"/quotes/{world.ana_quote}", headers=world.ana_user).status_code == 200
    for outside in (
        f"/orders/{world.bob_order}",
        f"/orders/{world.bob_order}/history",
        f"/customers/{world.bob}",
        f"/quotes/{world.bob_quote}",
    ):
        assert client.get(outside, headers=world.ana_user).status_code == 404, outside
    for_bob = client.post(
        "/orders", json={"customer_id": world.bob, "lines": LINE}, headers=world.ana_user
    )
    assert for_bob.status_code == 404 and problem_fields(for_bob) == ["customer_id"]


def test_a_portfolio_change_takes_effect_everywhere(
    client: TestClient, orders: ServiceOnStack, world: World, catch_up: Callable[[], None]
) -> None:
    """Ana moves from Rita to Rui: her records leave Rita's lists, totals and details and
    enter Rui's."""
    moved = client.patch(f"/customers/{world.ana}", json={"sales_rep_id": "rep-b"})
    assert moved.status_code == 200
    # A record's own check reads the customer's rep now: at once.
    assert client.get(f"/orders/{world.ana_orders[0]}", headers=world.rita).status_code == 404
    assert client.get(f"/orders/{world.ana_orders[0]}", headers=world.rui).status_code == 200
    assert client.get(f"/quotes/{world.ana_quote}", headers=world.rui).status_code == 200
    assert client.get(f"/customers/{world.ana}", headers=world.rui).status_code == 200
    catch_up()  # the lists, once the portfolio read model has the change
    rita = client.get("/orders", headers=world.rita).json()
    assert (rita["items"], rita["totals_by_status"]) == ([], {})
    rui = client.get("/orders", headers=world.rui).json()
    assert {i["order_id"] for i in rui["items"]} == {*world.ana_orders, world.bob_order}
    assert rui["totals_by_status"] == {
        "cancelled": {"count": 1, "total": "24.20"},
        "confirmed": {"count": 2, "total": "60.50"},
    }
    assert ids(client.get("/quotes", headers=world.rita), "quote_id") == set()
    assert ids(client.get("/quotes", headers=world.rui), "quote_id") == {
        world.ana_quote,
        world.bob_quote,
    }
    placed = client.post(
        "/orders", json={"customer_id": world.ana, "lines": LINE}, headers=world.rui
    )
    assert placed.status_code == 201
    refused = client.post(
        "/orders", json={"customer_id": world.ana, "lines": LINE}, headers=world.rita
    )
    assert refused.status_code == 404


def test_roles_without_customers_see_none_of_them(orders: ServiceOnStack, world: World) -> None:
    """The warehouse reads the catalogue, nothing of the sales records; a partner nothing
    (it will push orders through its own routes)."""
    client = orders.client
    warehouse = orders.headers(WAREHOUSE, "wh")
    assert client.get("/products/SKU-1", headers=warehouse).json()["unit_price"] == "10.00"
    for headers in (warehouse, orders.headers(PARTNER, "p-1", partner_id="p-1")):
        for path in ("/orders", "/quotes", f"/orders/{world.bob_order}", f"/customers/{world.bob}"):
            assert client.get(path, headers=headers).status_code == 403, path


# --- origins ---------------------------------------------------------------------------


def test_origins_follow_the_caller(orders: ServiceOnStack, world: World) -> None:
    """A rep's order has origin "rep", a customer's "portal", each waiting for approval;
    the back office's is "backoffice" (confirmed at once) unless it names another; only
    the back office may name one."""
    client = orders.client

    def place(headers: Headers, customer_id: str, **extra: Any) -> Any:
        body = {"customer_id": customer_id, "lines": LINE, **extra}
        return client.post("/orders", json=body, headers=headers)

    by_rep = place(world.rita, world.ana).json()
    assert (by_rep["origin"], by_rep["status"]) == ("rep", "pending_approval")
    by_customer = place(world.ana_user, world.ana).json()
    assert (by_customer["origin"], by_customer["status"]) == ("portal", "pending_approval")
    assert place(world.ana_user, world.ana, origin="portal").json()["origin"] == "portal"
    by_back_office = place(orders.headers(BACK_OFFICE, "bo"), world.bob).json()
    assert (by_back_office["origin"], by_back_office["status"]) == ("backoffice", "confirmed")
    named = place(orders.headers(BACK_OFFICE, "bo"), world.bob, origin="marketplace").json()
    assert (named["origin"], named["status"]) == ("marketplace", "pending_approval")

    for headers, origin in (
        (world.rita, "backoffice"),
        (world.rita, "portal"),
        (world.ana_user, "rep"),
        (world.ana_user, "backoffice"),
    ):
        refused = place(headers, world.ana, origin=origin)
        assert refused.status_code == 403, refused.text
        assert problem_fields(refused) == ["origin"]
    partner = place(orders.headers(PARTNER, "p-1", partner_id="p-1"), world.ana)
    assert partner.status_code == 403

    # Only the back office approves what a rep or customer placed.
    for headers in (world.rita, world.ana_user):
        assert (
            client.post(f"/orders/{by_rep['order_id']}/approve", headers=headers).status_code == 403
        )
    approved = client.post(
        f"/orders/{by_rep['order_id']}/approve", headers=orders.headers(BACK_OFFICE, "bo")
    )
    assert approved.json()["status"] == "confirmed"


def test_an_idempotency_key_is_the_callers_own(orders: ServiceOnStack, world: World) -> None:
    """Another caller sending the same key places his own order; he never receives the
    order placed by the first."""
    client = orders.client
    key = {"Idempotency-Key": "k-1"}
    body = {"customer_id": world.ana, "lines": LINE}
    first = client.post("/orders", json=body, headers={**world.ana_user, **key})
    again = client.post("/orders", json=body, headers={**world.ana_user, **key})
    assert again.headers.get("idempotent-replay") == "true"
    assert again.json()["order_id"] == first.json()["order_id"]
    other = client.post(
        "/orders", json={"customer_id": world.bob, "lines": LINE}, headers={**world.bob_user, **key}
    )
    assert other.status_code == 201 and "idempotent-replay" not in other.headers
    assert (other.json()["customer_id"], other.json()["order_id"]) != (
        world.ana,
        first.json()["order_id"],
    )

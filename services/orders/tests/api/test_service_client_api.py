"""A service's own credential over HTTP on the real PostgreSQL (issue 12: the notifications
service fetches the proposal PDF "with a credential of its own, not a person's"): the
client credentials grant signs a configured service client in with role ``service`` and
subject ``service:<client id>``; a wrong secret answers exactly as a wrong partner secret
or an unknown client does, and is counted by the same throttle; the token reads any
customer's proposal PDF and every other route of orders answers it 403. The secret is in
no answer, no event and no log line; outside the dev stack there is no service client
unless configured, and a short secret is refused at start."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import jwt
import psycopg
import pytest
from fastapi.testclient import TestClient
from oms_dev.testing import ServiceOnStack, Stack
from oms_kit.eventstore import events_table
from oms_orders.bootstrap import bootstrap
from oms_orders.identity.passwords import Passwords
from oms_orders.settings import DEV_SERVICE_CLIENTS, Settings
from pwdlib.hashers.argon2 import Argon2Hasher
from pydantic import ValidationError

ADMIN_PASSWORD = "the-first-admins-password"
#: Argon2 at its cheapest: the same hashing, fast enough for many sign-ins per test.
FAST_PASSWORDS = Passwords(Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1))
TOKEN = "/auth/token"
CLIENT_ID = "notifications"
SECRET = DEV_SERVICE_CLIENTS[CLIENT_ID]
#: The only route of orders a service's token may call.
OPEN_TO_SERVICES = {("GET", "/quotes/{quote_id}/pdf")}
#: The routes that need no token at all.
PUBLIC = {"/auth/token", "/.well-known/jwks.json", "/health", "/ready"}

Headers = dict[str, str]


def signing_orders(stack: Stack, **overrides: Any) -> ServiceOnStack:
    """Orders on the stack's PostgreSQL, signing and verifying its own tokens."""
    settings = {"dev_stack": True, "admin_password": ADMIN_PASSWORD, **overrides}
    return ServiceOnStack(bootstrap, stack, own_tokens=True, passwords=FAST_PASSWORDS, **settings)


@pytest.fixture
def orders(stack: Stack) -> Iterator[ServiceOnStack]:
    service = signing_orders(stack)
    try:
        yield service
    finally:
        service.close()


@pytest.fixture
def client(orders: ServiceOnStack) -> TestClient:
    return orders.client


def client_grant(client: TestClient, client_id: str, secret: str) -> Any:
    return client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


def bearer(answer: Any) -> Headers:
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def claims_of(headers: Headers) -> dict[str, Any]:
    token = headers["Authorization"].removeprefix("Bearer ")
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


@pytest.fixture
def admin(client: TestClient) -> Headers:
    return bearer(
        client.post(
            TOKEN, data={"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD}
        )
    )


def records(client: TestClient, admin: Headers) -> dict[str, str]:
    """A sales rep; two customers (one his, one nobody's), a quote of each (one sent), a
    partner, a user: the ids."""

    def made(path: str, body: dict[str, Any], key: str) -> str:
        answer = client.post(path, json=body, headers=admin)
        assert answer.status_code == 201, answer.text
        return str(answer.json()[key])

    ids: dict[str, str] = {}
    ids["sales_rep_id"] = made(
        "/sales-reps", {"name": "Rita", "email": "rita@example.com"}, "sales_rep_id"
    )
    made(
        "/products",
        {
            "sku": "SVC-1",
            "name": "Parafuso",
            "unit_price": "10.00",
            "currency": "BRL",
            "tax_rate": "0.10",
        },
        "sku",
    )
    for name, rep in (("ana", ids["sales_rep_id"]), ("bob", None)):
        customer_id = made(
            "/customers",
            {
                "name": name.title(),
                "tax_id": f"T-{name}",
                "email": f"{name}@example.com",
                "credit_limit": "1000.00",
                "sales_rep_id": rep,
            },
            "customer_id",
        )
        ids[f"{name}_customer_id"] = customer_id
        ids[f"{name}_quote_id"] = made(
            "/quotes",
            {"customer_id": customer_id, "lines": [{"sku": "SVC-1", "quantity": 3}]},
            "quote_id",
        )
    sent = client.post(f"/quotes/{ids['ana_quote_id']}/send", headers=admin)
    assert sent.status_code == 200, sent.text
    ids["partner_id"] = made(
        "/partners", {"name": "Shop", "customer_id": ids["bob_customer_id"]}, "partner_id"
    )
    ids["user_id"] = made(
        "/users",
        {"username": "wh", "password": "a-good-long-password", "role": "warehouse"},
        "user_id",
    )
    return ids


def test_the_service_client_signs_in_with_a_service_token(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    for answer in (
        client_grant(client, CLIENT_ID, SECRET),
        client.post(
            TOKEN,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        ),
    ):
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "no-store"
        assert set(answer.json()) == {"access_token", "token_type", "expires_in"}
        assert answer.json()["expires_in"] == 15 * 60  # the usual short life
        claims = claims_of(bearer(answer))
        assert (claims["sub"], claims["role"], claims["iss"]) == (
            "service:notifications",
            "service",
            "oms",
        )
        assert claims["exp"] - claims["iat"] == 15 * 60
        # It stands for nobody.
        assert not {"partner_id", "customer_id", "sales_rep_id"} & set(claims)
        assert SECRET not in answer.text
    assert SECRET not in caplog.text


def test_a_wrong_service_secret_answers_as_any_wrong_client_and_is_throttled_alike(
    client: TestClient, admin: Headers
) -> None:
    partner_id = records(client, admin)["partner_id"]
    partner = client.post(f"/partners/{partner_id}/rotate-secret", headers=admin).json()
    answers = [
        client_grant(client, CLIENT_ID, SECRET + "x"),  # the service's, wrong
        client_grant(client, CLIENT_ID, "short"),
        client_grant(client, "nobody", SECRET),  # no such client
        client_grant(client, partner["client_id"], SECRET),  # a partner's, wrong
        client_grant(client, "partner-" + CLIENT_ID, SECRET),  # not the service's either
    ]
    assert {a.status_code for a in answers} == {401}
    assert len({a.text for a in answers}) == 1
    assert answers[0].json() == {
        "error": "invalid_client",
        "error_description": "the credentials are not valid",
    }
    assert {a.headers["www-authenticate"] for a in answers} == {'Basic realm="oms"'}
    assert {a.headers["cache-control"] for a in answers} == {"no-store"}
    # Five failures of one client (two above): then even the right secret waits, as a
    # partner's would.
    for _ in range(3):
        assert client_grant(client, CLIENT_ID, "not-the-secret").status_code == 401
    slowed = client_grant(client, CLIENT_ID, SECRET)
    assert slowed.status_code == 429, slowed.text
    assert slowed.json()["error"] == "slow_down"
    assert int(slowed.headers["retry-after"]) > 0
    for _ in range(5):
        assert client_grant(client, "ghost", "not-the-secret").status_code == 401
    assert client_grant(client, "ghost", "not-the-secret").status_code == 429


def test_a_service_token_reads_any_customers_proposal_and_is_refused_everywhere_else(
    orders: ServiceOnStack, client: TestClient, admin: Headers
) -> None:
    ids = records(client, admin)
    service = bearer(client_grant(client, CLIENT_ID, SECRET))
    for name in ("ana", "bob"):  # a rep's customer and nobody's; a sent quote and a draft
        pdf = client.get(f"/quotes/{ids[f'{name}_quote_id']}/pdf", headers=service)
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    unknown = client.get("/quotes/00000000-0000-0000-0000-000000000000/pdf", headers=service)
    assert unknown.status_code == 404

    # Every other route of orders, whoever's record it names: 403 before anything else.
    values = {
        "quote_id": ids["ana_quote_id"],
        "customer_id": ids["ana_customer_id"],
        "order_id": "00000000-0000-0000-0000-000000000000",  # refused before it is looked up
        "price_list_id": "00000000-0000-0000-0000-000000000000",
        "sku": "SVC-1",
        "user_id": ids["user_id"],
        "partner_id": ids["partner_id"],
        "attachment_id": f"proposal-{ids['ana_quote_id']}",
    }
    paths = client.get("/openapi.json").json()["paths"]
    routes = [
        (method.upper(), path)
        for path, operations in paths.items()
        if path not in PUBLIC
        for method in operations
    ]
    assert set(routes) > OPEN_TO_SERVICES
    refused = []
    for method, path in routes:
        if (method, path) in OPEN_TO_SERVICES:
            continue
        url = path.format(**{name: values[name] for name in values if f"{{{name}}}" in path})
        answer = client.request(method, url, headers=service, json={})
        refused.append((method, path))
        assert answer.status_code == 403, (method, url, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    assert ("GET", "/orders") in refused and ("GET", "/customers/{customer_id}") in refused
    assert ("GET", "/users") in refused and ("GET", "/users/me") in refused
    assert ("POST", "/orders") in refused and ("GET", "/quotes/{quote_id}") in refused
    assert len(refused) >= 30  # every route of orders but signing in and its keys
    answer = client.get("/orders", headers=admin)
    assert answer.json()["items"] == []  # nothing was placed


def test_the_secret_is_in_no_stored_event(
    orders: ServiceOnStack, client: TestClient, admin: Headers
) -> None:
    records(client, admin)
    assert client_grant(client, CLIENT_ID, SECRET).status_code == 200
    assert client_grant(client, CLIENT_ID, "a-wrong-secret").status_code == 401
    with psycopg.connect(orders.service.settings.service_dsn) as conn:
        events = conn.execute(f"SELECT state FROM {events_table('orders')}").fetchall()
    stored = b" ".join(bytes(state) for (state,) in events)
    assert events and SECRET.encode() not in stored and b"service:" not in stored


def test_outside_the_dev_stack_a_service_client_is_only_one_configured(stack: Stack) -> None:
    outside = {"dev_stack": False, "auth_key_password": "a-long-key-password"}
    bare = signing_orders(stack, **outside)
    try:
        refused = client_grant(bare.client, CLIENT_ID, SECRET)
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    finally:
        bare.close()
    secret = "a-secret-of-the-mailer-service-0123"
    configured = signing_orders(stack, **outside, service_clients={"mailer": secret})
    try:
        assert client_grant(configured.client, CLIENT_ID, SECRET).status_code == 401
        claims = claims_of(bearer(client_grant(configured.client, "mailer", secret)))
        assert (claims["sub"], claims["role"]) == ("service:mailer", "service")
    finally:
        configured.close()


@pytest.mark.parametrize(
    ("clients", "named"),
    [
        ({"notifications": "only-23-characters-long"}, "at least 24 characters"),
        ({"partner-1234": "a-secret-of-twenty-four-chars"}, "not starting with partner-"),
        ({"Notifications": "a-secret-of-twenty-four-chars"}, "a service's name"),
    ],
)
def test_a_short_secret_or_a_partner_like_client_id_is_refused_at_start(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, clients: dict[str, str], named: str
) -> None:
    """From ``OMS_SERVICE_CLIENTS`` as a deployment gives it: the API does not start, and
    the refusal does not repeat the secret."""
    from oms_orders.entrypoints.api import api_service

    monkeypatch.setenv("OMS_PG_DSN", stack.pg_dsn)
    monkeypatch.setenv("OMS_AUTH_KEY_PASSWORD", "a-long-key-password")
    monkeypatch.setenv("OMS_SERVICE_CLIENTS", json.dumps(clients))
    with pytest.raises(ValidationError) as refused:
        api_service()
    assert named in str(refused.value)
    assert all(secret not in str(refused.value) for secret in clients.values())
    with pytest.raises(ValidationError):
        Settings(pg_dsn=stack.pg_dsn, dev_stack=True, service_clients=clients)

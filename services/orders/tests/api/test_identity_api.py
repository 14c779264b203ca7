"""Signing in and identity over HTTP on the real PostgreSQL, with the tokens orders signs
itself (not the stack's test issuer): ``POST /auth/token`` (both grants, form-encoded as
RFC 6749, HTTP Basic, one answer for every wrong credential, 429 after repeated failures,
counted in the database for every API process), the JWKS and key rotation, the users,
sales reps and partners routes (admin only where DESIGN says: 403 otherwise, 401 without
a token), the docs' Authorize button, and the first admin."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from typing import Any

import jwt
import psycopg
import pytest
from fastapi.testclient import TestClient
from oms_dev.testing import ServiceOnStack, Stack
from oms_kit.eventstore import events_table
from oms_orders.bootstrap import bootstrap
from oms_orders.identity.keys import TABLE as KEYS_TABLE
from oms_orders.identity.passwords import Passwords
from pwdlib.hashers.argon2 import Argon2Hasher

ADMIN_PASSWORD = "the-first-admins-password"
PASSWORD = "a-good-long-password"
#: Argon2 at its cheapest: the same hashing, fast enough for many sign-ins per test.
FAST_PASSWORDS = Passwords(Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1))
TOKEN = "/auth/token"

Headers = dict[str, str]


def signing_orders(stack: Stack, **overrides: Any) -> ServiceOnStack:
    """Orders on the stack's PostgreSQL, signing and verifying its own tokens, with its
    first admin."""
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
    """No token unless a request sends one."""
    return orders.client


def sign_in(client: TestClient, username: str, password: str) -> Any:
    return client.post(
        TOKEN, data={"grant_type": "password", "username": username, "password": password}
    )


def bearer(answer: Any) -> Headers:
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture
def admin(client: TestClient) -> Headers:
    return bearer(sign_in(client, "admin", ADMIN_PASSWORD))


def new_user(client: TestClient, admin: Headers, username: str, role: str, **ids: str) -> Headers:
    body = {"username": username, "password": PASSWORD, "role": role, **ids}
    answer = client.post("/users", json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    return bearer(sign_in(client, username, PASSWORD))


def new_customer(client: TestClient, admin: Headers, sales_rep_id: str | None = None) -> str:
    body = {
        "name": "Ana Lopez",
        "tax_id": "ES1",
        "email": "ana@example.com",
        "credit_limit": "100.00",
        "sales_rep_id": sales_rep_id,
    }
    answer = client.post("/customers", json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    customer_id: str = answer.json()["customer_id"]
    return customer_id


def problem_field(answer: Any) -> str:
    field: str = answer.json()["errors"][0]["field"]
    return field


# --- POST /auth/token ----------------------------------------------------------------------


def test_the_password_grant_gives_a_short_lived_bearer_token(
    orders: ServiceOnStack, client: TestClient
) -> None:
    answer = sign_in(client, "admin", ADMIN_PASSWORD)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("bearer", 15 * 60)
    assert answer.headers["cache-control"] == "no-store"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert (claims["iss"], claims["sub"], claims["role"]) == ("oms", "admin", "admin")
    assert claims["exp"] - claims["iat"] == 15 * 60 and claims["jti"]
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/orders", headers=headers).status_code == 200


def test_every_role_signs_in_with_the_claims_of_the_record_it_stands_for(
    client: TestClient, admin: Headers
) -> None:
    rep = client.post(
        "/sales-reps", json={"name": "Rita", "email": "rita@example.com"}, headers=admin
    )
    assert rep.status_code == 201, rep.text
    sales_rep_id = rep.json()["sales_rep_id"]
    customer_id = new_customer(client, admin, sales_rep_id)
    for username, role, ids in (
        ("rita", "sales_rep", {"sales_rep_id": sales_rep_id}),
        ("ana", "customer", {"customer_id": customer_id}),
        ("bo", "back_office", {}),
    ):
        headers = new_user(client, admin, username, role, **ids)
        claims = jwt.decode(
            headers["Authorization"].removeprefix("Bearer "), options={"verify_signature": False}
        )
        assert {key: claims.get(key) for key in ("sub", "role", *ids)} == {
            "sub": username,
            "role": role,
            **ids,
        }
        me = client.get("/users/me", headers=headers)
        assert me.status_code == 200, me.text
        assert {key: me.json()[key] for key in ("username", "role", *ids)} == {
            "username": username,
            "role": role,
            **ids,
        }
        assert "hash" not in me.text and PASSWORD not in me.text


def test_client_credentials_in_the_form_or_as_http_basic(
    client: TestClient, admin: Headers
) -> None:
    customer_id = new_customer(client, admin)
    created = client.post(
        "/partners", json={"name": "Shop", "customer_id": customer_id}, headers=admin
    )
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    partner = created.json()
    assert {"partner_id", "client_id", "client_secret"} <= set(partner)
    form = {
        "grant_type": "client_credentials",
        "client_id": partner["client_id"],
        "client_secret": partner["client_secret"],
    }
    basic = base64.b64encode(f"{partner['client_id']}:{partner['client_secret']}".encode()).decode()
    for answer in (
        client.post(TOKEN, data=form),
        client.post(
            TOKEN,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        ),
    ):
        claims = jwt.decode(
            bearer(answer)["Authorization"][7:], options={"verify_signature": False}
        )
        assert (claims["sub"], claims["role"], claims["partner_id"]) == (
            partner["client_id"],
            "partner",
            partner["partner_id"],
        )
    partner_token = bearer(client.post(TOKEN, data=form))
    assert client.get("/users/me", headers=partner_token).status_code == 404  # not a user

    rotated = client.post(f"/partners/{partner['partner_id']}/rotate-secret", headers=admin)
    assert rotated.status_code == 200, rotated.text
    assert rotated.headers["cache-control"] == "no-store"
    old = client.post(TOKEN, data=form)
    assert old.status_code == 401
    assert old.json()["error"] == "invalid_client"
    assert old.headers["www-authenticate"].startswith("Basic")
    renewed = {**form, "client_secret": rotated.json()["client_secret"]}
    assert client.post(TOKEN, data=renewed).status_code == 200
    disabled = client.post(f"/partners/{partner['partner_id']}/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    assert client.post(TOKEN, data=renewed).status_code == 401


def test_a_wrong_credential_answers_alike_whatever_was_wrong(
    client: TestClient, admin: Headers
) -> None:
    new_user(client, admin, "bo", "back_office")
    off = new_user(client, admin, "off", "back_office")
    me = client.get("/users/me", headers=off)
    disabled = client.post(f"/users/{me.json()['user_id']}/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False

    answers = [
        sign_in(client, "nobody", PASSWORD),  # no such user
        sign_in(client, "off", PASSWORD),  # disabled
        sign_in(client, "bo", "not-his-password"),  # wrong password
    ]
    assert {a.status_code for a in answers} == {400}
    assert len({a.text for a in answers}) == 1
    assert answers[0].json() == {
        "error": "invalid_grant",
        "error_description": "the credentials are not valid",
    }
    assert {a.headers["cache-control"] for a in answers} == {"no-store"}


@pytest.mark.parametrize(
    ("body", "headers", "error"),
    [
        ({"grant_type": "password", "username": "admin"}, {}, "invalid_request"),
        ({"username": "admin", "password": ADMIN_PASSWORD}, {}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "x"}, {}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "client_id": "x"}, {}, "invalid_request"),
        (
            "grant_type=password&username=admin&username=root&password=x",
            {"Content-Type": "application/x-www-form-urlencoded"},
            "invalid_request",
        ),
        (
            '{"grant_type": "password", "username": "admin", "password": "x"}',
            {"Content-Type": "application/json"},
            "invalid_request",
        ),
    ],
)
def test_a_malformed_token_request_is_refused_as_rfc_6749_says(
    client: TestClient, body: Any, headers: Headers, error: str
) -> None:
    if isinstance(body, str):
        answer = client.post(TOKEN, content=body, headers=headers)
    else:
        answer = client.post(TOKEN, data=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == error
    assert answer.headers["content-type"] == "application/json"


def test_repeated_failures_are_answered_429_for_known_and_unknown_usernames(
    client: TestClient, admin: Headers
) -> None:
    new_user(client, admin, "bo", "back_office")
    for username in ("bo", "ghost"):
        for _ in range(5):
            assert sign_in(client, username, "wrong-password").status_code == 400
        slowed = sign_in(client, username, PASSWORD)  # even with the right password
        assert slowed.status_code == 429, slowed.text
        assert 0 < int(slowed.headers["retry-after"]) <= 15 * 60
        assert slowed.json()["error"] == "slow_down"
    assert sign_in(client, "admin", ADMIN_PASSWORD).status_code == 200  # others sign in


def test_failures_are_counted_for_every_api_process_and_per_address(stack: Stack) -> None:
    first = signing_orders(stack, auth_failures_per_address=6)
    second = signing_orders(stack, auth_failures_per_address=6)  # another API process
    try:
        for n in range(3):
            assert sign_in(first.client, f"name-{n}", "wrong-password").status_code == 400
            assert sign_in(second.client, f"other-{n}", "wrong-password").status_code == 400
        for orders in (first, second):  # the address reached 6 across both processes
            slowed = sign_in(orders.client, "admin", ADMIN_PASSWORD)
            assert slowed.status_code == 429, slowed.text
            assert int(slowed.headers["retry-after"]) > 0
    finally:
        first.close()
        second.close()


# --- keys ------------------------------------------------------------------------------


def test_the_jwks_publishes_the_keys_and_a_rotated_key_keeps_verifying(
    orders: ServiceOnStack, client: TestClient, admin: Headers
) -> None:
    jwks = client.get("/.well-known/jwks.json")  # no token needed
    assert jwks.status_code == 200
    (key,) = jwks.json()["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert set(key) == {"kty", "crv", "x", "kid", "alg", "use"}
    assert jwt.get_unverified_header(admin["Authorization"][7:])["kid"] == key["kid"]

    bo = new_user(client, admin, "bo", "back_office")
    assert client.post("/auth/keys/rotate", headers=bo).status_code == 403
    rotated = client.post("/auth/keys/rotate", headers=admin)
    assert rotated.status_code == 200, rotated.text
    new_kid = rotated.json()["kid"]
    assert [k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]] == [
        new_kid,
        key["kid"],
    ]
    assert client.get("/users/me", headers=admin).status_code == 200  # signed by the old key
    fresh = bearer(sign_in(client, "admin", ADMIN_PASSWORD))
    assert jwt.get_unverified_header(fresh["Authorization"][7:])["kid"] == new_kid
    assert client.get("/users/me", headers=fresh).status_code == 200


def test_the_private_keys_are_kept_encrypted_in_their_own_table_not_in_events(
    orders: ServiceOnStack, client: TestClient, admin: Headers
) -> None:
    with psycopg.connect(orders.service.settings.service_dsn) as conn:
        keys = conn.execute(f"SELECT private_pem FROM {KEYS_TABLE}").fetchall()
        events = conn.execute(f"SELECT state FROM {events_table('orders')}").fetchall()
    assert keys and all(
        bytes(pem).startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") for (pem,) in keys
    )
    stored = b" ".join(bytes(state) for (state,) in events)
    assert b"PRIVATE KEY" not in stored and ADMIN_PASSWORD.encode() not in stored


def test_the_api_refuses_to_start_without_the_key_password_outside_the_dev_stack(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oms_orders.entrypoints.api import api_service

    monkeypatch.setenv("OMS_PG_DSN", stack.pg_dsn)
    monkeypatch.delenv("OMS_DEV_STACK", raising=False)
    monkeypatch.delenv("OMS_AUTH_KEY_PASSWORD", raising=False)
    with pytest.raises(SystemExit, match="OMS_AUTH_KEY_PASSWORD is required"):
        api_service()
    monkeypatch.setenv("OMS_AUTH_KEY_PASSWORD", "a-long-key-password")
    service = api_service()
    service.app.close()
    monkeypatch.setenv("OMS_AUTH_KEY_PASSWORD", "another-key-password")
    with pytest.raises(SystemExit, match="does not open"):
        api_service()


# --- users, sales reps, partners -------------------------------------------------------------


def test_post_users_answers_the_new_user_and_refuses_naming_the_field(
    client: TestClient, admin: Headers
) -> None:
    created = client.post(
        "/users",
        json={"username": "Maria", "password": PASSWORD, "role": "back_office", "language": "es"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert set(created.json()) == {"user_id", "username", "role"}
    assert (created.json()["username"], created.json()["role"]) == ("Maria", "back_office")
    for body, status, field in (
        ({"username": "MARIA", "role": "back_office"}, 409, "username"),
        ({"username": "joe", "role": "back_office", "password": "too-short"}, 422, "password"),
        ({"username": "joe", "role": "emperor"}, 422, "role"),
        ({"username": "joe", "role": "back_office", "language": "fr"}, 422, "language"),
        ({"username": "joe", "role": "customer", "customer_id": "nope"}, 422, "customer_id"),
        ({"username": "joe", "role": "sales_rep", "sales_rep_id": "nope"}, 422, "sales_rep_id"),
        ({"username": "joe", "role": "partner"}, 422, "partner_id"),
        ({"username": "joe", "role": "back_office", "password": None}, 422, "password"),
    ):
        answer = client.post("/users", json={"password": PASSWORD, **body}, headers=admin)
        assert answer.status_code == status, (body, answer.text)
        assert problem_field(answer) == field, body


def test_the_user_list_is_paged_by_username_without_any_hash(
    orders: ServiceOnStack, client: TestClient, admin: Headers
) -> None:
    for username in ("carla", "Bruno", "dora"):
        new_user(client, admin, username, "warehouse")
    orders.catch_up()
    first = client.get("/users", params={"limit": 2}, headers=admin)
    assert first.status_code == 200, first.text
    assert [u["username"] for u in first.json()["items"]] == ["admin", "Bruno"]
    second = client.get(
        "/users", params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=admin
    )
    assert [u["username"] for u in second.json()["items"]] == ["carla", "dora"]
    assert second.json()["next_cursor"] is None
    assert "hash" not in first.text + second.text and "argon2" not in first.text + second.text
    warehouse = client.get("/users", params={"role": "warehouse"}, headers=admin)
    assert [u["username"] for u in warehouse.json()["items"]] == ["Bruno", "carla", "dora"]


def test_a_user_changes_his_own_password(client: TestClient, admin: Headers) -> None:
    bo = new_user(client, admin, "bo", "back_office")
    wrong = client.post(
        "/users/me/password",
        json={"current_password": "not-my-password", "new_password": "a-new-long-password"},
        headers=bo,
    )
    assert wrong.status_code == 422 and problem_field(wrong) == "current_password"
    changed = client.post(
        "/users/me/password",
        json={"current_password": PASSWORD, "new_password": "a-new-long-password"},
        headers=bo,
    )
    assert changed.status_code == 204, changed.text
    assert sign_in(client, "bo", PASSWORD).status_code == 400
    bo = bearer(sign_in(client, "bo", "a-new-long-password"))
    for _ in range(5):  # (the change forgot the first wrong one)
        guess = {"current_password": "a-guess-at-it", "new_password": "whatever-it-is"}
        assert client.post("/users/me/password", json=guess, headers=bo).status_code == 422
    slowed = client.post("/users/me/password", json=guess, headers=bo)
    assert slowed.status_code == 429, slowed.text
    assert slowed.headers["content-type"] == "application/problem+json"
    assert int(slowed.headers["retry-after"]) > 0
    assert sign_in(client, "bo", "a-new-long-password").status_code == 200  # not locked out


def test_sales_reps_are_the_back_offices_and_listed_for_staff(
    orders: ServiceOnStack, client: TestClient, admin: Headers
) -> None:
    bo = new_user(client, admin, "bo", "back_office")
    for name in ("Rui", "Rita"):
        created = client.post(
            "/sales-reps", json={"name": name, "email": f"{name.lower()}@example.com"}, headers=bo
        )
        assert created.status_code == 201, created.text
    bad = client.post("/sales-reps", json={"name": "X", "email": "nope"}, headers=bo)
    assert bad.status_code == 422 and problem_field(bad) == "email"
    orders.catch_up()
    listed = client.get("/sales-reps", params={"limit": 1}, headers=bo)
    assert [r["name"] for r in listed.json()["items"]] == ["Rita"]
    rest = client.get("/sales-reps", params={"cursor": listed.json()["next_cursor"]}, headers=bo)
    assert [r["name"] for r in rest.json()["items"]] == ["Rui"]


def test_identity_routes_refuse_other_roles_and_callers_without_a_token(
    client: TestClient, admin: Headers
) -> None:
    rep_id = client.post(
        "/sales-reps", json={"name": "Rita", "email": "rita@example.com"}, headers=admin
    ).json()["sales_rep_id"]
    customer_id = new_customer(client, admin, rep_id)
    partner = client.post(
        "/partners", json={"name": "Shop", "customer_id": customer_id}, headers=admin
    ).json()
    callers = {
        "back_office": new_user(client, admin, "bo", "back_office"),
        "warehouse": new_user(client, admin, "wh", "warehouse"),
        "sales_rep": new_user(client, admin, "rita", "sales_rep", sales_rep_id=rep_id),
        "customer": new_user(client, admin, "ana", "customer", customer_id=customer_id),
        "partner": bearer(
            client.post(
                TOKEN,
                data={
                    "grant_type": "client_credentials",
                    "client_id": partner["client_id"],
                    "client_secret": partner["client_secret"],
                },
            )
        ),
    }
    user_body = {"username": "eve", "password": PASSWORD, "role": "admin"}
    admin_only = [
        ("POST", "/users", user_body),
        ("GET", "/users", None),
        ("POST", "/users/some-id/disable", None),
        ("POST", "/users/some-id/enable", None),
        ("POST", "/partners", {"name": "Evil", "customer_id": customer_id}),
        ("POST", f"/partners/{partner['partner_id']}/rotate-secret", None),
        ("POST", f"/partners/{partner['partner_id']}/disable", None),
        ("POST", "/auth/keys/rotate", None),
    ]
    staff_only = [
        ("POST", "/sales-reps", {"name": "Eve", "email": "eve@example.com"}),
        ("GET", "/sales-reps", None),
    ]
    for role, headers in callers.items():
        for method, path, body in admin_only + (staff_only if role != "back_office" else []):
            answer = client.request(method, path, json=body, headers=headers)
            assert answer.status_code == 403, (role, method, path, answer.text)
    for method, path, body in [*admin_only, *staff_only, ("GET", "/users/me", None)]:
        answer = client.request(method, path, json=body)
        assert answer.status_code == 401, (method, path)
        assert answer.headers["www-authenticate"] == "Bearer"
    assert sign_in(client, "eve", PASSWORD).status_code == 400  # nobody was made


def test_the_docs_sign_in_with_the_password_grant(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["flows"]["password"]["tokenUrl"] == TOKEN
    assert {"OAuth2PasswordBearer": []} in spec["paths"]["/orders"]["get"]["security"]
    assert {"OAuth2PasswordBearer": []} in spec["paths"]["/users/me"]["get"]["security"]
    token = spec["paths"][TOKEN]["post"]
    assert (
        "security" not in token
        and "security" not in (spec["paths"]["/.well-known/jwks.json"]["get"])
    )
    form = token["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["properties"]["grant_type"]["enum"] == ["password", "client_credentials"]


def test_the_first_admin_is_made_once_when_processes_start_together(stack: Stack) -> None:
    started: list[Any] = []

    settings: dict[str, Any] = {
        **stack.settings_overrides(),
        "dev_stack": True,
        "admin_password": ADMIN_PASSWORD,
    }

    def start() -> None:
        started.append(bootstrap(passwords=FAST_PASSWORDS, **settings))

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len(started) == 3
        app = started[0].app
        admin = app.find_user("admin")
        assert admin is not None and admin.version == 1
        registered = [
            n
            for n in app.recorder.select_notifications(1, 1000)
            if n.topic.endswith("UserRegistered")
        ]
        assert len(registered) == 1
    finally:
        for service in started:
            service.app.close()

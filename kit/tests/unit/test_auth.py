"""Token verification, the caller's role checks and scope, without I/O."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter
from oms_dev.auth import TestIssuer
from oms_kit.auth import (
    BACK_OFFICE,
    CUSTOMER,
    ROLES,
    SALES_REP,
    SERVICE,
    STAFF,
    Caller,
    CurrentUser,
    JwksVerifier,
    KeysUnavailable,
    Scope,
    Unauthorized,
    allow,
    open_to_services,
)
from oms_kit.context import current_metadata
from oms_kit.http import create_app
from oms_kit.paging import Where
from pydantic import BaseModel


@pytest.fixture
def issuer(tmp_path: Path) -> TestIssuer:
    return TestIssuer(tmp_path)


def test_a_valid_token_gives_its_caller(issuer: TestIssuer) -> None:
    token = issuer.token(SALES_REP, "maria", sales_rep_id="rep-1")
    caller = issuer.verifier.verify(token)
    assert caller == Caller(subject="maria", role=SALES_REP, sales_rep_id="rep-1")


def test_the_published_keys_verify_the_same_tokens(issuer: TestIssuer) -> None:
    verifier = JwksVerifier(issuer.jwks_url, issuer.issuer)
    caller = verifier.verify(issuer.token(CUSTOMER, "c-user", customer_id="c-1"))
    assert (caller.role, caller.customer_id) == (CUSTOMER, "c-1")


@pytest.mark.parametrize("kind", ["expired", "forged", "none", "garbage", "other issuer"])
def test_bad_tokens_are_refused(issuer: TestIssuer, tmp_path: Path, kind: str) -> None:
    token = {
        "expired": lambda: issuer.expired_token(),
        "forged": lambda: issuer.forged_token(),
        "none": lambda: issuer.none_token(),
        "garbage": lambda: "not.a.token",
        "other issuer": lambda: issuer.sign({**issuer.claims("admin"), "iss": "someone-else"}),
    }[kind]()
    with pytest.raises(Unauthorized):
        issuer.verifier.verify(token)
    with pytest.raises(Unauthorized):
        JwksVerifier(issuer.jwks_url, issuer.issuer).verify(token)


def test_keys_that_cannot_be_read_make_a_token_unverifiable_now_not_bad(
    issuer: TestIssuer, tmp_path: Path
) -> None:
    """The keys' source down (the issuer's database gone): 503 rather than 401, the token
    may be valid; once read, a key not among them is a bad token again."""
    missing = tmp_path / "later" / "jwks.json"
    verifier = JwksVerifier(missing.as_uri(), issuer.issuer)
    token = issuer.token("admin")
    with pytest.raises(KeysUnavailable):
        verifier.verify(token)

    async def answer() -> httpx.Response:
        app = create_app(service="t", title="t", verifier=verifier, routers=[_whoami_router()])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/whoami", headers={"Authorization": f"Bearer {token}"})

    unavailable = asyncio.run(answer())
    assert unavailable.status_code == 503 and unavailable.headers["retry-after"] == "1"
    missing.parent.mkdir()
    missing.write_text(issuer.jwks_file.read_text())
    verifier.refetch_s = 0.0
    assert verifier.verify(token).role == "admin"
    with pytest.raises(Unauthorized):
        verifier.verify(TestIssuer(tmp_path / "other").token("admin"))


def _whoami_router() -> APIRouter:
    router = APIRouter()

    @router.get("/whoami")
    def whoami(caller: CurrentUser) -> dict[str, str]:
        return {"sub": caller.subject}

    return router


@pytest.mark.parametrize(
    "claims",
    [
        {"role": "superuser"},
        {"role": SALES_REP},  # a rep token must say which rep
        {"role": CUSTOMER, "sales_rep_id": "rep-1"},
        {"sub": ""},
        {"role": SERVICE, "sub": "notifications"},  # a service's subject is service:<id>
        {"role": SERVICE, "sub": "service:"},
    ],
)
def test_tokens_without_a_proper_role_are_refused(issuer: TestIssuer, claims: dict) -> None:
    with pytest.raises(Unauthorized):
        issuer.verifier.verify(issuer.sign({**issuer.claims("admin"), **claims}))


def test_scope_of_each_role() -> None:
    assert Scope.of(Caller("a", "admin")).everything
    assert Scope.of(Caller("b", BACK_OFFICE)).everything
    assert Scope.of(Caller("c", CUSTOMER, customer_id="c-1")) == Scope(customer_id="c-1")
    assert Scope.of(Caller("r", SALES_REP, sales_rep_id="r-1")) == Scope(sales_rep_id="r-1")
    assert Scope.of(Caller("w", "warehouse")) == Scope()
    assert Scope.of(Caller("service:notifications", SERVICE)).everything


def test_a_service_token_stands_for_nobody_and_is_not_staff(issuer: TestIssuer) -> None:
    """Role ``service``: subject ``service:<client id>``, no claim of whom it stands for
    (one given is not kept), not staff, and no role a user may be given."""
    token = issuer.token(SERVICE, "service:notifications", customer_id="c-1", sales_rep_id="r")
    caller = issuer.verifier.verify(token)
    assert caller == Caller(subject="service:notifications", role=SERVICE)
    assert caller.is_service and not caller.is_staff
    assert SERVICE not in STAFF and SERVICE not in ROLES


def test_scope_restricts_queries_and_single_records() -> None:
    reps = {"c-1": "r-1", "c-2": "r-2"}
    rep_scope = Scope(sales_rep_id="r-1")
    assert rep_scope.allows("c-1", reps.get) and not rep_scope.allows("c-2", reps.get)
    assert Scope(customer_id="c-2").allows("c-2", reps.get)
    assert not Scope().allows("c-1", reps.get)
    where = rep_scope.restrict(Where(), column="customer_id", portfolio="x_portfolio")
    assert "SELECT customer_id FROM x_portfolio WHERE sales_rep_id = %s" in where.sql().as_string()
    assert where.params == ["r-1"]
    assert Scope().restrict(Where(), column="c", portfolio="p").sql().as_string() == " WHERE false"
    assert Scope(everything=True).restrict(Where(), column="c", portfolio="p").clauses == []


class Note(BaseModel):
    text: str


@pytest.fixture
def app_client(issuer: TestIssuer) -> Iterator[httpx.AsyncClient]:
    router = APIRouter()
    public = APIRouter()

    @router.get("/whoami")
    def whoami(caller: CurrentUser) -> dict[str, str | None]:
        return {"sub": caller.subject, "actor": current_metadata().get("actor")}

    @router.post("/approve", dependencies=[allow(BACK_OFFICE)])
    def approve() -> dict[str, str]:
        return {"status": "approved"}

    @router.get("/documents/{name}", dependencies=[allow(BACK_OFFICE, CUSTOMER, SERVICE)])
    def document(name: str) -> dict[str, str]:
        return {"document": name}

    @router.post("/notes")
    def add_note(note: Note, caller: CurrentUser) -> dict[str, str]:
        return {"text": note.text, "by": caller.subject}

    @public.get("/open")
    def open_route() -> dict[str, str]:
        return {"status": "open"}

    app = create_app(
        service="t", title="t", verifier=issuer.verifier, routers=[router], public_routers=[public]
    )
    yield httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def test_routes_need_a_token_and_roles_are_checked(
    issuer: TestIssuer, app_client: httpx.AsyncClient
) -> None:
    async def calls() -> list[httpx.Response]:
        async with app_client as client:
            return [
                await client.get("/whoami"),
                await client.get("/whoami", headers={"Authorization": "Bearer x.y.z"}),
                await client.get(
                    "/whoami", headers={"Authorization": f"Bearer {issuer.none_token()}"}
                ),
                await client.get("/whoami", headers=issuer.headers("warehouse", "wh-1")),
                await client.post("/approve", headers=issuer.headers("warehouse")),
                await client.post("/approve", headers=issuer.headers(BACK_OFFICE)),
                await client.post("/approve", headers=issuer.headers("admin")),
                await client.get("/open"),
                await client.get("/health"),
            ]

    none, bad, alg_none, whoami, forbidden, approved, admin, open_, health = asyncio.run(calls())
    for refused in (none, bad, alg_none):
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["www-authenticate"] == "Bearer"
    assert whoami.json() == {"sub": "wh-1", "actor": "wh-1"}  # the actor is the token's subject
    assert forbidden.status_code == 403 and forbidden.json()["title"] == "Forbidden"
    assert approved.status_code == admin.status_code == 200
    assert open_.status_code == health.status_code == 200


def test_a_service_is_refused_everywhere_but_where_a_route_allows_it(
    issuer: TestIssuer, app_client: httpx.AsyncClient
) -> None:
    """Closed by default: a route that checks only the token (its scope would be
    everything) or allows other roles answers a service 403; the route whose ``allow``
    names ``service`` answers it."""
    service = issuer.headers(SERVICE, "service:notifications")

    async def calls() -> list[httpx.Response]:
        async with app_client as client:
            return [
                await client.get("/whoami", headers=service),
                await client.post("/approve", headers=service),
                await client.post("/notes", json={"text": "hi"}, headers=service),
                await client.get("/documents/a.pdf", headers=service),
                await client.get("/documents/a.pdf", headers=issuer.headers("warehouse")),
                await client.get("/documents/a.pdf", headers=issuer.headers("admin")),
                await client.get("/open", headers=service),
            ]

    whoami, approve, note, document, warehouse, admin, open_ = asyncio.run(calls())
    for refused in (whoami, approve, note, warehouse):
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    assert document.status_code == admin.status_code == 200
    assert document.json() == {"document": "a.pdf"}
    assert open_.status_code == 200  # a public route asks for no token at all


def test_a_route_is_open_to_services_only_if_every_allow_on_it_names_the_role() -> None:
    """A router's ``allow`` without ``service`` closes its routes even where a route's own
    ``allow`` names it."""
    closed_router = APIRouter(dependencies=[allow(BACK_OFFICE)])
    open_router = APIRouter()

    @closed_router.get("/a", dependencies=[allow(BACK_OFFICE, SERVICE)])
    @open_router.get("/a", dependencies=[allow(BACK_OFFICE, SERVICE)])
    def a() -> None: ...

    @open_router.get("/b")
    def b(caller: CurrentUser) -> None: ...

    @open_router.get("/c", dependencies=[allow(SERVICE)])
    def c(caller: CurrentUser) -> None: ...

    opened = {route.path: open_to_services(route) for route in open_router.routes}
    assert opened == {"/a": True, "/b": False, "/c": True}
    assert [open_to_services(route) for route in closed_router.routes] == [False]
    assert not open_to_services(None)


def test_without_a_token_the_answer_is_401_whatever_the_body(
    issuer: TestIssuer, app_client: httpx.AsyncClient
) -> None:
    """FastAPI reads a body before the route's dependencies: the token is checked first,
    so a caller without one learns nothing from a bad body (400, 422) either."""
    verified: list[str] = []
    verify = issuer.verifier.verify

    def counting(token: str) -> Caller:
        verified.append(token)
        return verify(token)

    async def calls() -> list[httpx.Response]:
        async with app_client as client:
            app = client._transport.app  # type: ignore[attr-defined]
            app.state.verifier = type("Counting", (), {"verify": staticmethod(counting)})()
            not_json = {"content": b"{not json", "headers": {"content-type": "application/json"}}
            return [
                await client.post("/notes", **not_json),  # type: ignore[arg-type]
                await client.post("/notes", json={"txt": 1}),
                await client.post(
                    "/notes",
                    content=b"{not json",
                    headers={"content-type": "application/json", **issuer.headers("admin")},
                ),
                await client.post("/notes", json={"text": "hi"}, headers=issuer.headers("admin")),
            ]

    bad_body, wrong_body, signed_in_bad_body, note = asyncio.run(calls())
    for refused in (bad_body, wrong_body):
        assert refused.status_code == 401, refused.text
        assert refused.headers["www-authenticate"] == "Bearer"
    assert signed_in_bad_body.status_code == 422
    assert note.json() == {"text": "hi", "by": "admin-user"}
    assert len(verified) == 2  # once per signed-in request, not once per check

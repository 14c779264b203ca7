"""The leak suite (issue 10, DESIGN section 9): orders, inventory and billing as processes,
orders issuing the tokens; two sales reps, two customers of each, a user of every role, a
partner and a service client (the notifications service's own credential: it reads the
proposal and invoice documents of any customer and gets 403 on every other route); every
route of every service called as each of them, without a token and with expired, forged,
another issuer's and ``alg: none`` tokens, and again after a customer moves to the other
rep. No caller receives a record, a total or a count outside his reach, and every answer
is the one DESIGN section 9's table gives (401, 403, 404). The same check is the
reliability suite's ``access`` scenario."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from oms_dev.access import (
    ALLOW,
    DENY,
    EITHER,
    RULES,
    SERVICE_ROUTES,
    Caller,
    Rec,
    World,
    check_access,
    expect,
    issuer_signer,
)
from oms_dev.manifest import names
from oms_dev.testing import Stack, running_services
from oms_kit.auth import ADMIN, BACK_OFFICE, CUSTOMER, PARTNER, SALES_REP, SERVICE, WAREHOUSE

ROLES = frozenset({BACK_OFFICE, WAREHOUSE, SALES_REP, CUSTOMER, PARTNER, SERVICE})


class _NoToken:
    def token(self) -> str:
        raise AssertionError("not signed in")


def _world() -> tuple[World, dict[str, Caller]]:
    world = World("t")
    for customer, rep in (("c1a", "r1"), ("c1b", "r1"), ("c2a", "r2")):
        world.rep_of_customer[customer] = rep
        world.add(Rec("customer", customer, customer_id=customer))
        world.add(Rec("order", f"order-{customer}", customer_id=customer, attrs={"total": "1"}))
        world.add(Rec("invoice", f"inv-{customer}", customer_id=customer), f"A-{customer}")
    world.add(Rec("sales_rep", "r1", rep_id="r1"))
    world.add(Rec("sales_rep", "r2", rep_id="r2"))
    world.add(Rec("product", "SKU-1"))
    callers = {
        "admin": Caller("admin", ADMIN, _NoToken()),
        "back_office": Caller("bo", BACK_OFFICE, _NoToken()),
        "warehouse": Caller("wh", WAREHOUSE, _NoToken()),
        "rep1": Caller("rep1", SALES_REP, _NoToken(), sales_rep_id="r1"),
        "c1a": Caller("c1a", CUSTOMER, _NoToken(), customer_id="c1a"),
        "partner": Caller("p", PARTNER, _NoToken(), partner_id="p1"),
        "service": Caller("notifications", SERVICE, _NoToken()),
    }
    return world, callers


def test_the_check_finds_what_a_caller_must_not_see() -> None:
    """The checker itself: foreign ids anywhere in an answer (nested, in a longer text, an
    invoice number) are found; the caller's own and everybody's records are not."""
    world, callers = _world()
    body = {
        "items": [{"order_id": "order-c1a", "lines": [{"sku": "SKU-1"}]}],
        "history": [{"data": {"invoice_number": "A-c1b"}}],
        "sales_rep_id": "r1",
    }
    assert world.foreign_in(callers["c1a"], body) == [world.texts["A-c1b"]]
    assert {r.id for r in world.foreign_in(callers["rep1"], body)} == set()
    assert {r.id for r in world.foreign_in(callers["rep1"], {"x": ["order-c2a", "r2"]})} == {
        "order-c2a",
        "r2",
    }
    assert world.foreign_in(callers["back_office"], {"x": "order-c2a"}) == []
    assert world.foreign_in(callers["warehouse"], {"order_id": "order-c2a"}) == []
    assert [r.id for r in world.foreign_in(callers["warehouse"], {"c": "c2a"})] == ["c2a"]
    assert [r.id for r in world.foreign_in(callers["partner"], {"o": "order-c1a"})] == ["order-c1a"]
    uuid_id = "0b3c9f0e-8a1d-4c55-9a43-1f2e3d4c5b6a"
    world.add(Rec("order", uuid_id, customer_id="c2a"))
    assert [r.id for r in world.foreign_in(callers["c1a"], {"m": f"see {uuid_id} here"})] == [
        uuid_id
    ]
    # A service reaches every customer's documents (the routes open to it are few).
    assert world.foreign_in(callers["service"], {"x": ["order-c2a", "A-c1b", "c1a"]}) == []


def test_the_answers_the_table_gives() -> None:
    assert not expect(DENY, True, write=False).met(200)
    assert expect(DENY, True, write=False).met(403)
    assert expect(ALLOW, True, write=False).met(200)
    assert not expect(ALLOW, True, write=False).met(404)
    assert expect(ALLOW, False, write=False).met(404)
    assert not expect(ALLOW, False, write=False).met(200)
    assert expect(ALLOW, False, write=False, listing=True).met(200)  # then scanned
    assert expect(ALLOW, True, write=True).met(409)
    assert not expect(ALLOW, False, write=True).met(409)
    assert expect(EITHER, True, write=True).met(403)
    assert not expect(EITHER, False, write=True).met(201)
    # a route that finds nothing there yet (nothing saved for later): 404 where he may act,
    # still 403 where he may not, and 404 only for a record outside his scope
    assert expect(ALLOW, True, write=True, absent=True).met(404)
    assert not expect(ALLOW, True, write=True).met(404)
    assert not expect(DENY, True, write=True, absent=True).met(404)
    assert not expect(ALLOW, False, write=True, absent=True).met(200)
    # every rule names roles that exist
    for rule in RULES.values():
        assert rule.allow <= ROLES and rule.either <= ROLES


def test_a_service_may_call_the_document_routes_and_nothing_else() -> None:
    """The rules let a service's token through on the proposal PDF and an invoice's PDF
    and XML only; everywhere else (a route without a rule too) it must get 403."""
    opened = {key for key, rule in RULES.items() if rule.access(SERVICE) != DENY}
    assert opened == SERVICE_ROUTES
    assert all(RULES[key].access(SERVICE) == ALLOW for key in SERVICE_ROUTES)


def test_a_cart_is_a_customer_users_own() -> None:
    """Every cart route lets a customer through and refuses every other role, the admin
    too (he has no cart)."""
    cart = {key for key in RULES if key[0] == "orders" and key[2].startswith("/cart")}
    assert len(cart) == 5
    for key in cart:
        assert {role for role in (ADMIN, *ROLES) if RULES[key].access(role) != DENY} == {CUSTOMER}


@pytest.mark.stack
@pytest.mark.timeout(600)
def test_no_caller_reaches_past_his_role_or_scope(stack: Stack, tmp_path: Path) -> None:
    services = names()
    started = time.monotonic()
    with running_services(stack, services, tmp_path / "logs") as running:
        report = check_access(
            running.urls,
            running.admin,
            issuer_signer(stack.pg_dsn),
            admin_password=running.admin_password,
            orders_per_customer=4,
            log=lambda line: print(f"{time.monotonic() - started:6.1f} s  {line}"),
        )
    print(report.summary())
    print(report.checked())
    shown = "\n".join(report.problems()[:80])
    assert (len(report.leaks), len(report.unexpected), len(report.uncovered)) == (0, 0, 0), (
        f"{report.summary()}\n{shown}"
    )
    # admin, back office, warehouse, 2 reps, 4 customers, partner, the notifications service
    assert report.callers == 11
    assert report.routes >= 30 and report.calls > report.routes * report.callers

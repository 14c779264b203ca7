"""The portal under load (issue 15's figure): orders, inventory and billing as processes and
the portal as its own process, ``users`` customers signed in at once, each walking his
dashboard, his orders, his proposals and one of each, page after page for ``seconds``. The
median page time is set against the 300 ms limit.

``python -m bench.portal`` runs it alone against the dev stack of ``python -m bench``'s
kind (``OMS_PG_DSN`` / ``OMS_KAFKA_BOOTSTRAP`` or embedded)."""

from __future__ import annotations

import re
import statistics
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from oms_dev.client import SignIn, create_user, new_password
from oms_dev.devstack import free_port
from oms_dev.testing import Stack, running_services

#: What the portal calls to draw a customer's pages.
SERVICES = ["orders", "inventory", "billing"]
PORTAL = "portal"
#: The limit issue 15 names: the median page, 20 customers signed in at once.
LIMIT_P50_MS = 300.0
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Customer:
    username: str
    password: str
    orders: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)


def _post(http: httpx.Client, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(url, json=body)
    if response.is_error:
        raise RuntimeError(f"POST {url}: {response.status_code} {response.text}")
    answer: dict[str, Any] = response.json()
    return answer


def _setup(admin: SignIn, orders: str, users: int) -> list[Customer]:
    """A product and, per customer, a user, three orders and two sent proposals."""
    people: list[Customer] = []
    with httpx.Client(timeout=60.0, auth=admin.auth) as http:
        sku = f"BENCH-{uuid.uuid4().hex[:6].upper()}"
        _post(
            http,
            f"{orders}/products",
            {
                "sku": sku,
                "name": "Bench item",
                "unit_price": "12.50",
                "currency": "BRL",
                "tax_rate": "0.10",
            },
        )
        for n in range(users):
            customer = _post(
                http,
                f"{orders}/customers",
                {
                    "name": f"Bench customer {n}",
                    "tax_id": f"BENCH-{uuid.uuid4().hex[:8]}",
                    "email": f"bench{n}@example.com",
                    "credit_limit": "1000000.00",
                    "payment_terms_days": [30, 60],
                },
            )
            customer_id = str(customer["customer_id"])
            person = Customer(f"bench-{uuid.uuid4().hex[:8]}", new_password())
            create_user(
                admin, "customer", person.username, person.password, customer_id=customer_id
            )
            body = {"customer_id": customer_id, "lines": [{"sku": sku, "quantity": 1 + n % 3}]}
            for _ in range(3):
                order = _post(http, f"{orders}/orders", body)
                person.orders.append(str(order["order_id"]))
            for _ in range(2):
                quote = _post(http, f"{orders}/quotes", body)
                _post(http, f"{orders}/quotes/{quote['quote_id']}/send", {})
                person.quotes.append(str(quote["quote_id"]))
            people.append(person)
    return people


def _sign_in(portal: str, person: Customer) -> httpx.Client:
    """A browser-like client signed in at the portal (its session cookie kept)."""
    client = httpx.Client(base_url=portal, timeout=30.0, follow_redirects=True)
    form = client.get("/sign-in")
    form.raise_for_status()
    token = _CSRF.search(form.text)
    assert token, "the sign-in form carries no CSRF token"
    answer = client.post(
        "/sign-in",
        data={"csrf_token": token[1], "username": person.username, "password": person.password},
    )
    answer.raise_for_status()
    assert "/customer" in str(answer.url), f"signed in to {answer.url}"
    return client


def _pages(person: Customer) -> list[str]:
    return [
        "/customer",
        "/customer/orders",
        "/customer/proposals",
        f"/customer/orders/{person.orders[0]}",
        f"/customer/proposals/{person.quotes[0]}",
    ]


_LOCK = threading.Lock()
#: A person reads a page before opening the next: one second is a quick reader. The same
#: walk with no pause at all is measured too (what the machine can serve; not a person).
THINK_S = 1.0


@dataclass
class Walk:
    times: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0

    def figures(self, prefix: str) -> dict[str, Any]:
        ordered = sorted(self.times)
        p50 = statistics.median(ordered) if ordered else 0.0
        return {
            f"{prefix}_p50_ms": round(p50, 1),
            f"{prefix}_p95_ms": round(ordered[int(len(ordered) * 0.95)], 1) if ordered else 0.0,
            f"{prefix}_p50_ratio": round(p50 / LIMIT_P50_MS, 3),
            f"{prefix}_pages_per_s": round(len(ordered) / self.seconds, 1) if self.seconds else 0,
            f"{prefix}_statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


def _walker(client: httpx.Client, pages: list[str], until: float, think: float, walk: Walk) -> None:
    n = 0
    while time.monotonic() < until:
        page = pages[n % len(pages)]
        n += 1
        started = time.perf_counter()
        response = client.get(page)
        took = (time.perf_counter() - started) * 1000
        with _LOCK:
            walk.times.append(took)
            walk.statuses[response.status_code] += 1
        if think:
            time.sleep(think)


def _walk(
    clients: list[httpx.Client], people: list[Customer], seconds: float, think: float
) -> Walk:
    """Every signed-in customer walks his pages at once for ``seconds``."""
    walk = Walk(seconds=seconds)
    until = time.monotonic() + seconds
    walkers = [
        threading.Thread(target=_walker, args=(client, _pages(person), until, think, walk))
        for client, person in zip(clients, people, strict=True)
    ]
    for walker in walkers:
        walker.start()
    for walker in walkers:
        walker.join()
    return walk


def run_portal(stack: Stack, log_dir: Path, users: int, seconds: float, say: Any) -> dict[str, Any]:
    with running_services(stack, SERVICES, log_dir) as running:
        port = free_port()
        running.supervisor.start(PORTAL, port)
        running.supervisor.wait_ready([PORTAL], timeout=60)
        portal = running.supervisor.url(PORTAL)
        say(f"portal: {users} customers with three orders and two proposals each")
        people = _setup(running.admin, running.url("orders"), users)
        clients = [_sign_in(portal, person) for person in people]
        try:
            # One walk first: the services' views catch up and every connection is open.
            for client, person in zip(clients, people, strict=True):
                for page in _pages(person):
                    client.get(page).raise_for_status()
            say(f"portal: {users} signed-in customers, a page each {THINK_S:g} s, {seconds:g} s")
            users_walk = _walk(clients, people, seconds, THINK_S)
            say(f"portal: the same {users} customers with no pause between pages, {seconds:g} s")
            stress_walk = _walk(clients, people, seconds, 0.0)
        finally:
            for client in clients:
                client.close()
    return {
        **users_walk.figures("portal"),
        **stress_walk.figures("portal_no_pause"),
        "portal_users": users,
        "portal_think_s": THINK_S,
    }

"""Order to cash across orders, inventory and billing, each running as separate processes
(api + worker) on the real PostgreSQL and broker; they share nothing but Kafka events, and
the tokens orders issues: every client signs in there (the admin orders creates at start),
and inventory and billing verify with orders' published keys. The services start once for the
module; every test makes its own products, customers and users."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from oms_dev.client import SignIn
from oms_dev.demo import run_demo
from oms_dev.manifest import names
from oms_dev.testing import RunningServices, Stack, running_services, wait_until

SERVICES = names()


@pytest.fixture(scope="module")
def system(
    module_stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServices]:
    """One start of the services for the module: each test makes its own products,
    customers and users."""
    logs = tmp_path_factory.mktemp("logs")
    with running_services(module_stack, SERVICES, logs) as running:
        yield running


class Client:
    def __init__(self, system: RunningServices, signed_in: SignIn | None = None) -> None:
        self.http = httpx.Client(timeout=10.0, auth=(signed_in or system.admin).auth)
        self.orders = system.url("orders")
        self.inventory = system.url("inventory")
        self.billing = system.url("billing")

    def post(self, url: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        response = self.http.post(url, json=body)
        assert response.status_code == status, response.text
        result: dict[str, Any] = response.json()
        return result

    def get(self, url: str, **params: Any) -> dict[str, Any]:
        response = self.http.get(url, params=params)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def product(self, price: str = "10.00", tax: str = "0.21") -> str:
        sku = f"SKU-{uuid.uuid4().hex[:6]}"
        self.post(
            f"{self.orders}/products",
            {"sku": sku, "name": "Widget", "unit_price": price, "currency": "EUR", "tax_rate": tax},
        )
        return sku

    def customer(self, credit_limit: str = "100000.00") -> str:
        body = self.post(
            f"{self.orders}/customers",
            {
                "name": "Acme",
                "tax_id": "ES-B1",
                "email": "ap@acme.example",
                "credit_limit": credit_limit,
                "payment_terms_days": [30],
                "currency": "EUR",
            },
        )
        return str(body["customer_id"])

    def receive(self, sku: str, quantity: int, lot: str = "L1") -> None:
        self.post(
            f"{self.inventory}/stock/receipts",
            {"sku": sku, "warehouse": "MAD", "lot": lot, "quantity": quantity},
        )

    def order(self, customer_id: str, sku: str, quantity: int) -> dict[str, Any]:
        return self.post(
            f"{self.orders}/orders",
            {"customer_id": customer_id, "lines": [{"sku": sku, "quantity": quantity}]},
        )

    def order_view(self, order_id: str) -> dict[str, Any]:
        return self.get(f"{self.orders}/orders/{order_id}")

    def stock(self, sku: str) -> dict[str, Any]:
        return self.get(f"{self.inventory}/stock/{sku}")

    def status_becomes(self, order_id: str, *statuses: str) -> dict[str, Any]:
        return wait_until(
            lambda: (v := self.order_view(order_id))["status"] in statuses and v,
            what=f"order {order_id} to become {statuses}",
        )


def test_full_flow_two_partial_pickings_two_stamped_invoices_payments_close_it(
    system: RunningServices,
) -> None:
    timeline = run_demo(
        system.url("orders"),
        system.url("inventory"),
        system.url("billing"),
        system.admin,
        timeout=60,
    )
    client = Client(system)
    view = client.order_view(timeline.order_id)
    assert view["status"] in ("paid", "completed")
    assert len(view["invoices"]) == 2 and len(view["shipments"]) == 2
    assert all(i["stamp"] and i["stamp"]["uuid"] for i in view["invoices"])
    numbers = sorted(i["number"] for i in view["invoices"])
    assert numbers[0] != numbers[1]
    invoiced = sum(Decimal(i["total"]) for i in view["invoices"])
    assert invoiced == Decimal(view["total"])
    history = client.get(f"{client.orders}/orders/{timeline.order_id}/history")["items"]
    assert len(history) >= 5
    assert [h["occurred_at"] for h in history] == sorted(h["occurred_at"] for h in history)


def test_an_order_over_the_credit_limit_is_held_naming_credit(system: RunningServices) -> None:
    client = Client(system)
    sku = client.product(price="100.00", tax="0.00")
    client.receive(sku, 10)
    customer = client.customer(credit_limit="150.00")
    placed = client.order(customer, sku, 2)  # 200.00 > 150.00
    assert placed["status"] == "on_hold"
    view = client.order_view(placed["order_id"])
    assert view["status"] == "on_hold" and "credit" in view["status_reason"]
    assert view["stock_status"] is None  # never released: inventory was not asked
    assert client.stock(sku)["reserved"] == 0


def test_unbilled_orders_count_against_credit_until_billing_invoices_them(
    system: RunningServices,
) -> None:
    """DESIGN section 15: the credit used is the open receivables plus the orders that
    passed the check and are not invoiced yet; the invoiced order's installments are
    what ``GET /orders?due_from=&due_to=`` filters by."""
    client = Client(system)
    sku = client.product(price="100.00", tax="0.00")
    client.receive(sku, 10)
    customer = client.customer(credit_limit="350.00")
    first = client.order(customer, sku, 2)  # 200.00: 0 + 0 + 200 <= 350
    second = client.order(customer, sku, 2)  # 200.00 + 200.00 > 350
    assert (first["status"], second["status"]) == ("confirmed", "on_hold")
    assert "unbilled orders 200.00" in second["status_reason"]

    pick = wait_until(
        lambda: client.get(f"{client.inventory}/pick-lists", order_id=first["order_id"])["items"],
        what="the first order's pick list",
    )[0]
    client.post(
        f"{client.inventory}/pick-lists/{pick['pick_list_id']}/confirm",
        {"lines": pick["lines"]},
        status=200,
    )
    due_on = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()  # 30 days' terms
    view = wait_until(
        lambda: (v := client.order_view(first["order_id"]))["installments"] and v,
        what="the first order's receivable heard by orders",
    )
    assert [(i["due_on"], i["amount"]) for i in view["installments"]] == [(due_on, "200.00")]
    credit = client.get(f"{client.orders}/customers/{customer}")
    assert (credit["open_balance"], credit["unbilled_orders"]) == ("200.00", "0.00")

    def due(since: str, until: str) -> list[str]:
        found = client.get(
            f"{client.orders}/orders", customer_id=customer, due_from=since, due_to=until
        )
        return [item["order_id"] for item in found["items"]]

    wait_until(lambda: due(due_on, due_on) == [first["order_id"]], what="the order due then")
    assert due("2000-01-01", "2000-12-31") == []
    # Still 200 open + 200 more > 350: the held order waits until the invoice is paid.
    refused = client.http.post(f"{client.orders}/orders/{second['order_id']}/approve")
    assert refused.status_code == 409, refused.text
    invoice = client.get(f"{client.billing}/invoices", order_id=first["order_id"])["items"][0]
    client.post(f"{client.billing}/invoices/{invoice['invoice_id']}/payments", {"amount": "200.00"})
    wait_until(
        lambda: client.get(f"{client.orders}/customers/{customer}")["open_balance"] == "0.00",
        what="the payment heard by orders",
    )
    approved = client.post(f"{client.orders}/orders/{second['order_id']}/approve", {}, status=200)
    assert approved["status"] == "confirmed"


def test_a_credit_note_and_a_cancellation_reach_the_order_and_the_credit(
    system: RunningServices,
) -> None:
    """DESIGN section 15: a credit note or a cancelled invoice reverses the receivable:
    orders hears it, so the order shows the invoice cancelled or the amount credited and
    the customer's open balance (the credit check's) falls by what was open of it."""
    client = Client(system)
    sku = client.product(price="100.00", tax="0.00")
    client.receive(sku, 10)
    customer = client.customer()
    invoices: list[dict[str, Any]] = []
    for _ in range(2):
        placed = client.order(customer, sku, 2)  # 200.00 each
        pick = wait_until(
            lambda order_id=placed["order_id"]: client.get(
                f"{client.inventory}/pick-lists", order_id=order_id
            )["items"],
            what="the order's pick list",
        )[0]
        client.post(
            f"{client.inventory}/pick-lists/{pick['pick_list_id']}/confirm",
            {"lines": pick["lines"]},
            status=200,
        )
        invoices.append(
            wait_until(
                lambda order_id=placed["order_id"]: client.get(
                    f"{client.billing}/invoices", order_id=order_id
                )["items"],
                what="the order's invoice",
            )[0]
        )
    first, second = invoices
    wait_until(
        lambda: client.get(f"{client.orders}/customers/{customer}")["open_balance"] == "400.00",
        what="both receivables heard by orders",
    )
    note = client.post(
        f"{client.billing}/invoices/{first['invoice_id']}/credit-notes",
        {"reason": "damaged", "amount": "50.00"},
    )
    client.post(
        f"{client.billing}/invoices/{second['invoice_id']}/cancel", {"reason": "wrong"}, status=200
    )
    credited = wait_until(
        lambda: (v := client.order_view(first["order_id"]))["credit_notes"] and v,
        what="the credit note heard by orders",
    )
    assert (credited["status"], credited["credited_amount"]) == ("invoiced", "50.00")
    assert [(n["number"], n["total"]) for n in credited["credit_notes"]] == [
        (note["number"], "50.00")
    ]
    cancelled = client.status_becomes(second["order_id"], "shipped")
    assert [(i["number"], i["status"]) for i in cancelled["invoices"]] == [
        (second["number"], "cancelled")
    ]
    assert cancelled["invoiced_amount"] == "0.00"
    # 400 open - 50 credited - 200 cancelled.
    wait_until(
        lambda: client.get(f"{client.orders}/customers/{customer}")["open_balance"] == "150.00",
        what="the balance after the credit note and the cancellation",
    )
    # The rest of the credited invoice paid: the order is done.
    client.post(f"{client.billing}/invoices/{first['invoice_id']}/payments", {"amount": "150.00"})
    done = client.status_becomes(first["order_id"], "completed")
    assert (done["paid_amount"], done["credited_amount"]) == ("150.00", "50.00")
    wait_until(
        lambda: client.get(f"{client.orders}/customers/{customer}")["open_balance"] == "0.00",
        what="the balance after the payment",
    )


def test_an_order_without_enough_stock_is_held_naming_stock(system: RunningServices) -> None:
    client = Client(system)
    sku = client.product()
    client.receive(sku, 2)
    placed = client.order(client.customer(), sku, 3)
    assert (placed["status"], placed["stock_status"]) == ("confirmed", "pending")
    view = client.status_becomes(placed["order_id"], "on_hold")
    assert "stock" in view["status_reason"]
    assert view["stock_status"] == "short"
    assert client.stock(sku)["available"] == 2


def test_cancel_releases_the_reserved_stock(system: RunningServices) -> None:
    client = Client(system)
    sku = client.product()
    client.receive(sku, 5)
    placed = client.order(client.customer(), sku, 3)
    wait_until(lambda: client.stock(sku)["reserved"] == 3, what="stock reserved")
    wait_until(
        lambda: client.order_view(placed["order_id"])["stock_status"] == "reserved",
        what="the order's stock_status reserved",
    )
    cancelled = client.post(
        f"{client.orders}/orders/{placed['order_id']}/cancel",
        {"reason": "customer changed their mind"},
        status=200,
    )
    assert cancelled["status"] == "cancelled"
    assert client.order_view(placed["order_id"])["stock_status"] == "released"
    wait_until(lambda: client.stock(sku)["reserved"] == 0, what="stock released")
    assert client.stock(sku)["available"] == 5


def test_twenty_concurrent_one_unit_orders_on_five_units_confirm_exactly_five(
    system: RunningServices,
) -> None:
    client = Client(system)
    sku = client.product()
    client.receive(sku, 5)
    customer = client.customer()
    with ThreadPoolExecutor(max_workers=10) as pool:
        placed = list(pool.map(lambda _: Client(system).order(customer, sku, 1), range(20)))
    ids = [p["order_id"] for p in placed]

    def held_for_stock() -> int:
        views = [client.order_view(i) for i in ids]
        return sum(
            1 for v in views if v["status"] == "on_hold" and "stock" in (v["status_reason"] or "")
        )

    # An oversold run never gets here: fewer than 15 orders would be held.
    wait_until(lambda: held_for_stock() == 15, what="15 orders held for stock")
    wait_until(lambda: client.stock(sku)["reserved"] == 5, what="5 units reserved")
    statuses = [client.order_view(i)["status"] for i in ids]
    assert statuses.count("confirmed") == 5
    assert statuses.count("on_hold") == 15
    stock = client.stock(sku)
    assert (stock["reserved"], stock["available"]) == (5, 0)


def test_every_service_takes_the_tokens_orders_issues_and_nothing_else(
    system: RunningServices,
) -> None:
    """Inventory and billing verify orders' tokens with its published keys: the role a
    token carries decides there too; no token, or a made-up one, is 401 everywhere."""
    admin = Client(system)
    sku = admin.product()
    warehouse = Client(system, system.create_user("warehouse"))
    warehouse.receive(sku, 3)
    assert warehouse.stock(sku)["on_hand"] == 3
    refused = warehouse.http.post(
        f"{warehouse.orders}/products",
        json={"sku": "X-1", "name": "No", "unit_price": "1.00", "currency": "EUR", "tax_rate": "0"},
    )
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    admin.get(f"{admin.billing}/invoices")
    with httpx.Client(timeout=10.0) as anonymous:
        for url in (
            f"{admin.orders}/orders",
            f"{admin.inventory}/stock/{sku}",
            f"{admin.billing}/invoices",
        ):
            for headers in ({}, {"Authorization": "Bearer not-a-token"}):
                answer = anonymous.get(url, headers=headers)
                assert answer.status_code == 401, (url, headers, answer.text)
                assert answer.headers["www-authenticate"] == "Bearer"

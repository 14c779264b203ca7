"""Commissions through the real flow: orders, inventory, billing and commissions as
processes on the real PostgreSQL and broker, every client signed in at orders. Two reps;
discounts in percent and amount; a rule per customer, per product and per both; an order
invoiced in two goods issues, one invoice paid in two payments, a cancelled order. Each
view's figures are checked to the cent against the numbers of ``commissions_flow`` (the
same lines, computed by hand), then a rep's reach and one settlement."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from commissions_flow import I1, O1, O2, Figures, invoiced_i1, invoiced_i2, o2_figures, paid_i1
from oms_dev.testing import RunningServices, Stack, running_services, wait_until

D = Decimal
SERVICES = ["orders", "inventory", "billing", "commissions"]


@pytest.fixture
def system(stack: Stack, tmp_path: Path) -> Iterator[RunningServices]:
    with running_services(stack, SERVICES, tmp_path / "logs") as running:
        yield running


class Client:
    def __init__(self, system: RunningServices, auth: Any) -> None:
        self.http = httpx.Client(timeout=15.0, auth=auth)
        self.system = system

    def call(self, method: str, service: str, path: str, status: int, **kwargs: Any) -> Any:
        answer = self.http.request(method, f"{self.system.url(service)}{path}", **kwargs)
        assert answer.status_code == status, (method, path, answer.status_code, answer.text)
        return answer.json()


def _figures(item: dict[str, str]) -> Figures:
    return Figures(D(item["titles_total"]), D(item["base"]), D(item["commission"]))


def test_commissions_follow_orders_invoices_and_payments(system: RunningServices) -> None:
    admin = Client(system, system.admin.auth)
    rep_1 = admin.call(
        "POST", "orders", "/sales-reps", 201, json={"name": "Ana", "email": "ana@x.example"}
    )
    rep_2 = admin.call(
        "POST", "orders", "/sales-reps", 201, json={"name": "Bo", "email": "bo@x.example"}
    )
    reps = {"rep-1": rep_1["sales_rep_id"], "rep-2": rep_2["sales_rep_id"]}

    def customer(name: str, rep: str) -> str:
        body = {
            "name": name,
            "tax_id": f"ES-{name}",
            "email": f"{name.lower()}@x.example",
            "credit_limit": "100000.00",
            "payment_terms_days": [30],
            "currency": "EUR",
            "sales_rep_id": reps[rep],
        }
        return str(admin.call("POST", "orders", "/customers", 201, json=body)["customer_id"])

    customer_a, customer_c = customer("Alfa", "rep-1"), customer("Gama", "rep-2")
    skus = {}
    for sku, price in (("SKU-X", "33.33"), ("SKU-Y", "50.00"), ("SKU-Z", "19.99")):
        real = f"{sku}-{datetime.now(UTC).strftime('%H%M%S%f')}"
        admin.call(
            "POST",
            "orders",
            "/products",
            201,
            json={
                "sku": real,
                "name": sku,
                "unit_price": price,
                "currency": "EUR",
                "tax_rate": "0.16",
            },
        )
        admin.call(
            "POST",
            "inventory",
            "/stock/receipts",
            201,
            json={"sku": real, "warehouse": "MAD", "lot": "L1", "quantity": 10},
        )
        skus[sku] = real

    admin.call(
        "PUT",
        "commissions",
        f"/sales-reps/{reps['rep-1']}/commission",
        200,
        json={"rate_percent": "5"},
    )
    admin.call(
        "PUT",
        "commissions",
        f"/sales-reps/{reps['rep-2']}/commission",
        200,
        json={"rate_percent": "3"},
    )
    for rule in (
        {"customer_id": customer_a, "rate_percent": "6"},
        {"sku": skus["SKU-X"], "rate_percent": "7"},
        {"customer_id": customer_a, "sku": skus["SKU-Y"], "rate_percent": "8"},
    ):
        admin.call(
            "POST",
            "commissions",
            "/commission-rules",
            201,
            json={"sales_rep_id": reps["rep-1"], **rule},
        )

    def place(customer_id: str, lines: list[Any], expected: str | None) -> str:
        body: dict[str, Any] = {
            "customer_id": customer_id,
            "lines": [
                {
                    "sku": skus[line.sku],
                    "quantity": int(line.quantity),
                    "unit_price": str(line.unit_price),
                    **(
                        {"discount_percent": str(line.discount_percent)}
                        if line.discount_percent
                        else {}
                    ),
                    **(
                        {"discount_amount": str(line.discount_amount)}
                        if line.discount_amount
                        else {}
                    ),
                }
                for line in lines
            ],
        }
        if expected:
            body["expected_delivery_date"] = expected
        return str(admin.call("POST", "orders", "/orders", 201, json=body)["order_id"])

    order_1 = place(customer_a, O1.lines, "2026-12-20")
    place(customer_c, O2.lines, "2026-12-24")
    order_3 = place(customer_a, [O1.lines[2]], None)
    admin.call("POST", "orders", f"/orders/{order_3}/cancel", 200, json={"reason": "changed mind"})

    def open_pick_list() -> dict[str, Any] | None:
        items = admin.call("GET", "inventory", "/pick-lists", 200, params={"order_id": order_1})[
            "items"
        ]
        return next((p for p in items if p["status"] == "open"), None)

    def pick(pick_list: dict[str, Any], quantities: dict[str, int]) -> None:
        lines = []
        for line in pick_list["lines"]:
            wanted = quantities.get(line["sku"], 0)
            if wanted:
                lines.append({**line, "quantity": wanted})
        admin.call(
            "POST",
            "inventory",
            f"/pick-lists/{pick_list['pick_list_id']}/confirm",
            200,
            json={"lines": lines},
        )

    def invoices(count: int) -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = admin.call(
            "GET", "billing", "/invoices", 200, params={"order_id": order_1}
        )["items"]
        return items if len(items) >= count else None

    # Two goods issues: 2 SKU-X and 2 SKU-Y first, then 1 SKU-X and the SKU-Z.
    pick(wait_until(open_pick_list, what="the pick list"), {skus["SKU-X"]: 2, skus["SKU-Y"]: 2})
    [first_invoice] = wait_until(lambda: invoices(1), what="the first invoice")
    pick(
        wait_until(open_pick_list, what="the follow-up pick list"),
        {skus["SKU-X"]: 1, skus["SKU-Z"]: 1},
    )
    wait_until(lambda: invoices(2), what="the second invoice")
    assert D(first_invoice["total"]) == I1.total
    paid = D("100.00")
    for amount in (paid, I1.total - paid):
        admin.call(
            "POST",
            "billing",
            f"/invoices/{first_invoice['invoice_id']}/payments",
            201,
            json={"amount": str(amount)},
        )

    i1, _ = invoiced_i1()
    i2 = invoiced_i2()
    first, second = paid_i1()
    expected = {
        "to_invoice": {customer_c: o2_figures()},
        "invoiced": {
            customer_a: Figures(
                i1.titles_total + i2.titles_total, i1.base + i2.base, i1.commission + i2.commission
            )
        },
        "paid": {
            customer_a: Figures(
                first.titles_total + second.titles_total,
                first.base + second.base,
                first.commission + second.commission,
            )
        },
    }

    def view(name: str, client: Client = admin) -> dict[str, Any]:
        body: dict[str, Any] = client.call(
            "GET", "commissions", "/commissions", 200, params={"view": name}
        )
        return body

    def shows(name: str, figures: dict[str, Figures]) -> bool:
        return {item["customer_id"]: _figures(item) for item in view(name)["items"]} == figures

    for name, figures in expected.items():
        wait_until(lambda: shows(name, figures), what=f"the {name} view", timeout=60)  # noqa: B023
        [item] = view(name)["items"]
        assert item["customer_name"] in ("Alfa", "Gama")

    rep_2_user = system.create_user("sales_rep", sales_rep_id=reps["rep-2"])
    as_rep_2 = Client(system, rep_2_user.auth)
    assert view("invoiced", as_rep_2)["items"] == []
    assert [i["customer_id"] for i in view("to_invoice", as_rep_2)["items"]] == [customer_c]

    today = datetime.now(UTC).date().isoformat()
    settled = admin.call(
        "POST",
        "commissions",
        "/settlements",
        201,
        json={"sales_rep_id": reps["rep-1"], "until": today},
    )
    assert D(settled["amount"]) == first.commission + second.commission
    admin.call(
        "POST",
        "commissions",
        "/settlements",
        409,
        json={"sales_rep_id": reps["rep-1"], "until": today},
    )
    _ = order_1

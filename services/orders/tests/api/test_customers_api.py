"""``GET /customers`` over HTTP on the real PostgreSQL: by name (case aside), a search in
name, tax id and e-mail, paged with the service's cursors; the back office sees every
customer, a rep his portfolio (a customer moved to another rep moves with him), a
customer himself, the warehouse and partners 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from oms_dev.testing import ServiceOnStack
from oms_kit.auth import CUSTOMER, PARTNER, SALES_REP, WAREHOUSE


def customer(client: TestClient, name: str, sales_rep_id: str, email: str) -> str:
    body = {
        "name": name,
        "tax_id": f"T-{name.split()[0].upper()}",
        "email": email,
        "credit_limit": "1000.00",
        "payment_terms_days": [30],
        "sales_rep_id": sales_rep_id,
    }
    response = client.post("/customers", json=body)
    assert response.status_code == 201, response.text
    customer_id: str = response.json()["customer_id"]
    return customer_id


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def test_customers_are_listed_by_name_searched_paged_and_within_reach(
    client: TestClient, orders: ServiceOnStack, catch_up: Callable[[], None]
) -> None:
    ana = customer(client, "ana Souza", "rep-a", "compras@souza.example")
    customer(client, "Bodega Bob", "rep-b", "bob@bodega.example")
    customer(client, "Casa 100% Lar", "rep-a", "lar@casa.example")
    customer(client, "Zeta_Tools", "rep-a", "z@zeta.example")
    catch_up()
    rita = orders.headers(SALES_REP, "rita", sales_rep_id="rep-a")

    assert names(client.get("/customers")) == [
        "ana Souza",
        "Bodega Bob",
        "Casa 100% Lar",
        "Zeta_Tools",
    ]
    assert names(client.get("/customers", headers=rita)) == [
        "ana Souza",
        "Casa 100% Lar",
        "Zeta_Tools",
    ]
    # The search: anywhere in the name, tax id or e-mail, case aside, % and _ as themselves.
    assert names(client.get("/customers", params={"q": "SOUZA"}, headers=rita)) == ["ana Souza"]
    assert names(client.get("/customers", params={"q": "t-zeta"}, headers=rita)) == ["Zeta_Tools"]
    assert names(client.get("/customers", params={"q": "100%"}, headers=rita)) == ["Casa 100% Lar"]
    assert names(client.get("/customers", params={"q": "a_t"}, headers=rita)) == ["Zeta_Tools"]
    assert names(client.get("/customers", params={"q": "bodega"}, headers=rita)) == []

    # Pages of one: every customer of his once, in order, then no cursor.
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 1}
    while True:
        page = client.get("/customers", params=params, headers=rita)
        seen += names(page)
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
        params["cursor"] = cursor
    assert seen == ["ana Souza", "Casa 100% Lar", "Zeta_Tools"]
    refused = client.get("/customers", params={"cursor": "not-a-cursor"}, headers=rita)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["cursor"]

    # A customer sees himself; roles without customers may not ask.
    ana_user = orders.headers(CUSTOMER, "ana", customer_id=ana)
    mine = client.get("/customers", headers=ana_user)
    assert names(mine) == ["ana Souza"]
    assert mine.json()["items"][0]["customer_id"] == ana
    warehouse = orders.headers(WAREHOUSE, "wanda")
    partner = orders.headers(PARTNER, "p-1", partner_id="p-1")
    for headers in (warehouse, partner):
        assert client.get("/customers", headers=headers).status_code == 403

    # Ana moved to rep-b: she leaves Rita's list and joins Rui's, renamed as she now is.
    moved = client.patch(f"/customers/{ana}", json={"sales_rep_id": "rep-b", "name": "Ana S."})
    assert moved.status_code == 200, moved.text
    catch_up()
    rui = orders.headers(SALES_REP, "rui", sales_rep_id="rep-b")
    assert names(client.get("/customers", headers=rita)) == ["Casa 100% Lar", "Zeta_Tools"]
    assert names(client.get("/customers", headers=rui)) == ["Ana S.", "Bodega Bob"]

    # How she is invoiced (per goods issue unless told), set on creation or by a change.
    assert client.get(f"/customers/{ana}").json()["invoicing"] == "per_goods_issue"
    set_on_demand = client.patch(f"/customers/{ana}", json={"invoicing": "on_demand"})
    assert set_on_demand.status_code == 200, set_on_demand.text
    assert client.get(f"/customers/{ana}").json()["invoicing"] == "on_demand"
    refused = client.patch(f"/customers/{ana}", json={"invoicing": "monthly"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["invoicing"]

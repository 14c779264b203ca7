"""Invoicing on demand (issue 17) over HTTP on the real stack: a customer invoiced on
demand has his goods issues wait, listed by GET /goods-issues; POST /invoices/batch makes
one invoice per order of the chosen ones, numbered without gaps after the invoices made
per goods issue; the same choice again answers the same invoices; a goods issue invoiced
otherwise is a conflict naming it, an unknown one a 422 naming it."""

from __future__ import annotations

from decimal import Decimal

from billing_examples import customer_registered, goods_issued, order_confirmed
from oms_dev.testing import ServiceOnStack

D = Decimal
CENT = D("0.01")


def test_goods_issues_wait_and_are_invoiced_on_demand_one_invoice_per_order(
    billing: ServiceOnStack,
) -> None:
    billing.deliver(
        customer_registered("cust-d").model_copy(update={"invoicing": "on_demand"}),
        aggregate_version=1,
    )
    billing.deliver(customer_registered("cust-e"), aggregate_version=1)
    # A customer invoiced per goods issue: invoiced at once, A-000001.
    billing.deliver(order_confirmed("ord-e", "cust-e"))
    billing.deliver(goods_issued("gi-e", "ord-e", ("SKU-B", 1)))
    # The on-demand customer: two goods issues of one order, one of another (that one
    # before its order is confirmed: held, then waiting).
    billing.deliver(order_confirmed("ord-d1", "cust-d"))
    billing.deliver(goods_issued("gi-d1a", "ord-d1", ("SKU-A", 1)))
    billing.deliver(goods_issued("gi-d1b", "ord-d1", ("SKU-A", 2)))
    billing.deliver(goods_issued("gi-d2", "ord-d2", ("SKU-B", 1)))
    billing.deliver(order_confirmed("ord-d2", "cust-d"))
    billing.catch_up()

    assert billing.client.get("/invoices", params={"customer_id": "cust-d"}).json()["items"] == []
    [per_goods_issue] = billing.client.get("/invoices").json()["items"]
    assert per_goods_issue["number"] == "A-000001"
    waiting = billing.client.get(
        "/goods-issues", params={"customer_id": "cust-d", "uninvoiced": "true"}
    )
    assert waiting.status_code == 200, waiting.text
    assert [
        (gi["goods_issue_id"], gi["order_id"], gi["lines"], gi["invoiced"])
        for gi in waiting.json()["items"]
    ] == [
        ("gi-d1a", "ord-d1", [{"sku": "SKU-A", "quantity": 1}], False),
        ("gi-d1b", "ord-d1", [{"sku": "SKU-A", "quantity": 2}], False),
        ("gi-d2", "ord-d2", [{"sku": "SKU-B", "quantity": 1}], False),
    ]

    for body in (
        {"goods_issue_ids": []},
        {"goods_issue_ids": ["gi-nope"]},
        {"goods_issue_ids": ["gi-e"]},
        {},
    ):
        refused = billing.client.post("/invoices/batch", json=body)
        assert refused.status_code == 422, body
        assert [e["field"] for e in refused.json()["errors"]] == ["goods_issue_ids"], body
    # A NUL character cannot even be looked up: refused by the model, naming the item.
    refused = billing.client.post("/invoices/batch", json={"goods_issue_ids": ["gi-d2", "g\u0000"]})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["goods_issue_ids.1"]

    chosen = {"goods_issue_ids": ["gi-d2", "gi-d1a", "gi-d1b"]}
    batch = billing.client.post("/invoices/batch", json=chosen)
    assert batch.status_code == 201, batch.text
    invoices = {i["order_id"]: i for i in batch.json()["items"]}
    # ord-d1: the three SKU-A (100.00 net) at 16%; ord-d2: SKU-B 50.00 net at 16%.
    assert invoices["ord-d1"]["total"] == str(
        D("100.00") + (D("100.00") * D("0.16")).quantize(CENT)
    )
    assert invoices["ord-d2"]["total"] == str(D("50.00") + (D("50.00") * D("0.16")).quantize(CENT))
    assert invoices["ord-d1"]["goods_issue_ids"] == ["gi-d1a", "gi-d1b"]
    assert [i["quantity"] for i in invoices["ord-d1"]["lines"]] == [3]
    # Gap-free: the next numbers of the one series, in the order the orders were named.
    assert [i["number"] for i in batch.json()["items"]] == ["A-000002", "A-000003"]
    assert [i["installments"] != [] for i in batch.json()["items"]] == [True, True]

    again = billing.client.post("/invoices/batch", json=chosen)
    assert again.status_code == 201
    assert again.headers["idempotent-replay"] == "true"
    assert [i["invoice_id"] for i in again.json()["items"]] == [
        i["invoice_id"] for i in batch.json()["items"]
    ]
    other_choice = billing.client.post("/invoices/batch", json={"goods_issue_ids": ["gi-d1a"]})
    assert other_choice.status_code == 409
    assert [e["field"] for e in other_choice.json()["errors"]] == ["goods_issue_ids"]
    assert "gi-d1a" in other_choice.json()["detail"]

    billing.catch_up()
    listed = billing.client.get("/goods-issues", params={"customer_id": "cust-d"}).json()
    assert [(gi["invoiced"], gi["invoice_id"]) for gi in listed["items"]] == [
        (True, invoices["ord-d1"]["invoice_id"]),
        (True, invoices["ord-d1"]["invoice_id"]),
        (True, invoices["ord-d2"]["invoice_id"]),
    ]
    assert (
        billing.client.get(
            "/goods-issues", params={"customer_id": "cust-d", "uninvoiced": "true"}
        ).json()["items"]
        == []
    )
    numbers = [i["number"] for i in billing.client.get("/invoices").json()["items"]]
    assert sorted(numbers) == ["A-000001", "A-000002", "A-000003"]

"""The invoice routes over HTTP on the real stack: the list (DESIGN section 5) paged newest
first by cursor and filtered, one invoice with its stamp, and 404 problems."""

from __future__ import annotations

from billing_examples import goods_issued, order_confirmed
from oms_billing.adapters.stamping import LocalStampingProvider
from oms_dev.testing import ServiceOnStack


def test_invoices_are_listed_and_shown_with_their_stamp(
    billing: ServiceOnStack, provider: LocalStampingProvider
) -> None:
    billing.deliver(order_confirmed("ord-1"))
    billing.deliver(goods_issued("gi-1", "ord-1", ("SKU-A", 2)))
    billing.deliver(goods_issued("gi-2", "ord-1", ("SKU-A", 1), ("SKU-B", 1)))
    billing.catch_up()

    listed = billing.client.get("/invoices", params={"order_id": "ord-1"})
    assert listed.status_code == 200
    body = listed.json()
    assert body["next_cursor"] is None
    items = body["items"]
    assert [i["number"] for i in items] == ["A-000002", "A-000001"]  # newest first
    first = items[1]
    assert {
        key: first[key]
        for key in ("order_id", "customer_id", "status", "net_total", "tax_total", "total")
    } == {
        "order_id": "ord-1",
        "customer_id": "cust-1",
        "status": "stamped",
        "net_total": "66.67",
        "tax_total": "10.67",
        "total": "77.34",
    }
    assert [i["open_amount"] for i in items] == ["96.66", "77.34"]
    assert all(i["stamp"]["provider"] == "local-rsa" and i["stamp"]["uuid"] for i in items)
    assert all(i["stamp"]["stamped_at"] for i in items)

    detail = billing.client.get(f"/invoices/{items[0]['invoice_id']}").json()
    assert (detail["goods_issue_id"], detail["status"]) == ("gi-2", "stamped")
    assert [(li["sku"], li["quantity"], li["net_amount"]) for li in detail["lines"]] == [
        ("SKU-A", 1, "33.33"),
        ("SKU-B", 1, "50.00"),
    ]
    assert [i["amount"] for i in detail["installments"]] == ["48.33", "48.33"]
    xml = detail["stamp"]["xml"].encode()
    assert b'Folio="000002"' in xml
    assert provider.verify(xml, detail["stamp"]["signature"])


def test_the_invoice_list_pages_newest_first_by_cursor_and_filters(
    billing: ServiceOnStack,
) -> None:
    billing.deliver(order_confirmed("ord-a", customer_id="cust-1"))
    billing.deliver(order_confirmed("ord-b", customer_id="cust-1"))
    billing.deliver(order_confirmed("ord-c", customer_id="cust-2"))
    billing.deliver(goods_issued("gi-a1", "ord-a", ("SKU-A", 1)))
    billing.deliver(goods_issued("gi-b", "ord-b", ("SKU-B", 1)))
    billing.deliver(goods_issued("gi-c", "ord-c", ("SKU-B", 1)))
    billing.deliver(goods_issued("gi-a2", "ord-a", ("SKU-B", 1)))
    billing.catch_up()

    def numbers(**params: object) -> tuple[list[str], str | None]:
        response = billing.client.get("/invoices", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        return [i["number"] for i in body["items"]], body["next_cursor"]

    page, cursor = numbers(limit=3)
    assert page == ["A-000004", "A-000003", "A-000002"]
    assert cursor is not None
    assert numbers(limit=3, cursor=cursor) == (["A-000001"], None)
    assert numbers(order_id="ord-a") == (["A-000004", "A-000001"], None)
    assert numbers(customer_id="cust-2") == (["A-000003"], None)
    page, cursor = numbers(customer_id="cust-1", limit=2)
    assert page == ["A-000004", "A-000002"]
    assert numbers(customer_id="cust-1", limit=2, cursor=cursor) == (["A-000001"], None)
    assert numbers(customer_id="cust-2", order_id="ord-a") == ([], None)

    for params, field in (({"cursor": "not-a-cursor"}, "cursor"), ({"limit": 0}, "limit")):
        response = billing.client.get("/invoices", params=params)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == [field]


def test_unknown_invoices_are_404_problems(billing: ServiceOnStack) -> None:
    for invoice_id in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        for response in (
            billing.client.get(f"/invoices/{invoice_id}"),
            billing.client.post(f"/invoices/{invoice_id}/payments", json={"amount": "1.00"}),
        ):
            assert response.status_code == 404
            assert response.headers["content-type"].startswith("application/problem+json")
            assert [e["field"] for e in response.json()["errors"]] == ["invoice_id"]

"""The commissions routes on the real PostgreSQL: each view's figures to the cent against
the scenario's hand-computed numbers, a rep's reach, concurrent settlements settling once,
and a replay of every read model giving identical rows."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from commissions_examples import confirmed, customer
from commissions_flow import (
    O1,
    O2,
    Figures,
    accrued_o1,
    feed,
    invoiced_i1,
    invoiced_i2,
    o2_figures,
    paid_i1,
)
from oms_commissions.bootstrap import bootstrap
from oms_dev.testing import ServiceOnStack, Stack
from oms_kit.auth import BACK_OFFICE, CUSTOMER, PARTNER, SALES_REP, WAREHOUSE
from oms_kit.projection import ProjectionRunner

D = Decimal
TODAY = datetime.now(UTC).date().isoformat()


@pytest.fixture
def commissions(stack: Stack) -> Iterator[ServiceOnStack]:
    service = ServiceOnStack(bootstrap, stack)
    service.client.headers.update(service.headers(BACK_OFFICE))
    feed(service)
    service.catch_up()
    yield service
    service.close()


def _figures(item: dict[str, str]) -> Figures:
    return Figures(D(item["titles_total"]), D(item["base"]), D(item["commission"]))


def _view(service: ServiceOnStack, view: str, **params: str) -> dict[str, Any]:
    answer = service.client.get("/commissions", params={"view": view, **params})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _by_customer(body: dict[str, Any]) -> dict[str, Figures]:
    return {item["customer_id"]: _figures(item) for item in body["items"]}


def test_each_view_to_the_cent(commissions: ServiceOnStack) -> None:
    # to_invoice: o-1 left nothing to invoice (two invoices), o-3 was cancelled: o-2 only.
    to_invoice = _view(commissions, "to_invoice")
    assert _by_customer(to_invoice) == {"cust-c": o2_figures()}
    assert to_invoice["totals"] == o2_figures().as_json()
    [item] = to_invoice["items"]
    assert item["customer_name"] == "Gama ME" and item["sales_rep_id"] == "rep-2"

    i1, _ = invoiced_i1()
    i2 = invoiced_i2()
    invoiced = _view(commissions, "invoiced")
    both = Figures(
        i1.titles_total + i2.titles_total, i1.base + i2.base, i1.commission + i2.commission
    )
    assert _by_customer(invoiced) == {"cust-a": both}
    assert invoiced["totals"] == both.as_json()
    # The invoices of o-1 add up to what it accrued.
    assert both.base == accrued_o1().base and both.commission == accrued_o1().commission

    first, second = paid_i1()
    paid = _view(commissions, "paid")
    assert _by_customer(paid) == {
        "cust-a": Figures(
            first.titles_total + second.titles_total,
            first.base + second.base,
            first.commission + second.commission,
        )
    }


def test_before_invoicing_the_to_invoice_view_dates_by_expected_delivery(
    stack: Stack,
) -> None:
    service = ServiceOnStack(bootstrap, stack)
    service.client.headers.update(service.headers(BACK_OFFICE))
    service.app.set_rate("rep-1", D("5"))
    service.app.add_rule("rep-1", D("6"), customer_id="cust-a")
    service.app.add_rule("rep-1", D("7"), sku="SKU-X")
    service.app.add_rule("rep-1", D("8"), customer_id="cust-a", sku="SKU-Y")
    service.app.set_rate("rep-2", D("3"))
    service.deliver(customer("cust-a", "Alfa Ltda", "rep-1"), aggregate_version=1)
    for event in (O1, confirmed(O1), O2, confirmed(O2)):
        service.deliver(event)
    service.catch_up()
    everything = _view(service, "to_invoice")
    assert [item["customer_id"] for item in everything["items"]] == ["cust-c", "cust-a"]
    december_20 = _view(service, "to_invoice", **{"from": "2026-12-01", "to": "2026-12-20"})
    assert _by_customer(december_20) == {"cust-a": accrued_o1()}
    page = service.client.get("/commissions", params={"view": "to_invoice", "limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = service.client.get(
        "/commissions", params={"view": "to_invoice", "limit": 1, "cursor": page["next_cursor"]}
    ).json()
    assert [item["customer_id"] for item in rest["items"]] == ["cust-a"]
    assert rest["next_cursor"] is None
    assert page["totals"] == everything["totals"]
    service.close()


def test_a_rep_sees_only_his_rows(commissions: ServiceOnStack) -> None:
    rep_2 = commissions.headers(SALES_REP, "rep2", sales_rep_id="rep-2")
    answer = commissions.client.get("/commissions", params={"view": "to_invoice"}, headers=rep_2)
    assert {item["sales_rep_id"] for item in answer.json()["items"]} == {"rep-2"}
    answer = commissions.client.get("/commissions", params={"view": "paid"}, headers=rep_2)
    assert answer.json()["items"] == [] and answer.json()["totals"]["commission"] == "0.00"
    # Naming the other rep does not widen his reach.
    answer = commissions.client.get(
        "/commissions", params={"view": "invoiced", "sales_rep_id": "rep-1"}, headers=rep_2
    )
    assert answer.json()["items"] == []
    assert commissions.client.get("/sales-reps/rep-1/commission", headers=rep_2).status_code == 404
    assert commissions.client.get("/sales-reps/rep-2/commission", headers=rep_2).status_code == 200
    for role, ids in (
        (CUSTOMER, {"customer_id": "cust-a"}),
        (WAREHOUSE, {}),
        (PARTNER, {"partner_id": "p-1"}),
    ):
        headers = commissions.headers(role, f"someone-{role}", **ids)
        for path in ("/commissions?view=paid", "/settlements"):
            assert commissions.client.get(path, headers=headers).status_code == 403
    refused = commissions.client.post(
        "/settlements", json={"sales_rep_id": "rep-2", "until": TODAY}, headers=rep_2
    )
    assert refused.status_code == 403
    assert commissions.client.get("/commissions", params={"view": "x"}).status_code == 422


def test_rates_and_rules_over_http(commissions: ServiceOnStack) -> None:
    answer = commissions.client.put("/sales-reps/rep-7/commission", json={"rate_percent": "4.5"})
    assert answer.status_code == 200 and answer.json()["rate_percent"] == "4.5"
    answer = commissions.client.post(
        "/commission-rules", json={"sales_rep_id": "rep-7", "sku": "SKU-A", "rate_percent": "9"}
    )
    assert answer.status_code == 201 and answer.json()["rule_id"]
    refused = commissions.client.post(
        "/commission-rules", json={"sales_rep_id": "rep-7", "rate_percent": "9"}
    )
    assert refused.status_code == 422
    refused = commissions.client.put("/sales-reps/rep-7/commission", json={"rate_percent": "120"})
    assert refused.status_code == 422
    plan = commissions.client.get("/sales-reps/rep-7/commission").json()
    assert plan["rules"][0]["sku"] == "SKU-A"


def test_two_settlements_at_once_settle_once(commissions: ServiceOnStack) -> None:
    def settle() -> int:
        answer = commissions.client.post(
            "/settlements", json={"sales_rep_id": "rep-1", "until": TODAY}
        )
        return int(answer.status_code)

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(lambda _: settle(), range(4)))
    assert statuses == [201, 409, 409, 409]
    commissions.catch_up()
    listed = commissions.client.get("/settlements", params={"sales_rep_id": "rep-1"}).json()
    [settlement] = listed["items"]
    first, second = paid_i1()
    assert D(settlement["amount"]) == first.commission + second.commission
    assert {line["entry_id"] for line in settlement["lines"]} == {"p-1", "p-2"}
    rep_1 = commissions.headers(SALES_REP, "rep1", sales_rep_id="rep-1")
    assert len(commissions.client.get("/settlements", headers=rep_1).json()["items"]) == 1
    rep_2 = commissions.headers(SALES_REP, "rep2", sales_rep_id="rep-2")
    assert commissions.client.get("/settlements", headers=rep_2).json()["items"] == []


def test_every_read_model_replays_to_identical_rows(commissions: ServiceOnStack) -> None:
    commissions.client.post("/settlements", json={"sales_rep_id": "rep-1", "until": TODAY})
    commissions.catch_up()
    for view in commissions.service.views:
        before = view.rows()  # type: ignore[attr-defined]
        assert before
        ProjectionRunner(commissions.service.app, view).rebuild()
        assert view.rows() == before, view.name  # type: ignore[attr-defined]

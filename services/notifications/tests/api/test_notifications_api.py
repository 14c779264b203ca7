"""The notifications routes on the real PostgreSQL: who may call what (403, and 404 for a
record out of reach), validation naming the field, the log's scope and paging, settings,
templates (edited and default), resend and stock alerts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from notifications_examples import (
    MAIL_FROM,
    Clock,
    MadeUpDocuments,
    RecordingMailer,
    customer,
    order_confirmed,
    product,
    queued_ids,
    sales_rep,
    send_all,
    stock_level,
)
from oms_contracts.orders import CustomerUpdated
from oms_dev.testing import ServiceOnStack, Stack
from oms_kit.auth import (
    ADMIN,
    BACK_OFFICE,
    CUSTOMER,
    PARTNER,
    SALES_REP,
    SERVICE,
    WAREHOUSE,
)
from oms_notifications.bootstrap import bootstrap
from oms_notifications.sending.sender import Sender

ROUTES = [
    ("GET", "/settings", None),
    ("PUT", "/settings/order_confirmed", {"enabled": False}),
    ("GET", "/templates/order_confirmed/en", None),
    ("PUT", "/templates/order_confirmed/en", {"subject": "s", "body": "b"}),
    ("GET", "/notifications", None),
    ("POST", "/notifications/00000000-0000-0000-0000-000000000000/resend", None),
    ("POST", "/stock-alerts", {"sku": "SKU-1", "sales_rep_id": "rep-1"}),
    ("GET", "/stock-alerts", None),
]
#: Who may call each route (admin may call all).
ALLOWED = {
    "/settings": {BACK_OFFICE},
    "/settings/order_confirmed": {BACK_OFFICE},
    "/templates/order_confirmed/en": {BACK_OFFICE},
    "/notifications": {BACK_OFFICE, SALES_REP, CUSTOMER},
    "/notifications/00000000-0000-0000-0000-000000000000/resend": {BACK_OFFICE},
    "/stock-alerts": {BACK_OFFICE, SALES_REP},
}
IDS = {
    SALES_REP: {"sales_rep_id": "rep-1"},
    CUSTOMER: {"customer_id": "cust-1"},
    PARTNER: {"partner_id": "partner-1"},
}


@pytest.fixture
def notifications(stack: Stack) -> Iterator[ServiceOnStack]:
    service = ServiceOnStack(bootstrap, stack, mail_from=MAIL_FROM, dev_stack=True)
    service.client.headers.update(service.headers(BACK_OFFICE))
    service.deliver(sales_rep("rep-1"))
    service.deliver(sales_rep("rep-2", name="Raul", email="raul@oms.example"))
    service.deliver(customer("cust-1", sales_rep_id="rep-1", email="one@acme.example"))
    service.deliver(customer("cust-2", sales_rep_id="rep-2", email="two@beta.example"))
    service.deliver(product())
    for n in range(3):
        service.deliver(order_confirmed(order_id=f"o-1{n}", customer_id="cust-1"))
    for n in range(2):
        service.deliver(order_confirmed(order_id=f"o-2{n}", customer_id="cust-2"))
    service.catch_up()
    yield service
    service.close()


def _as(service: ServiceOnStack, role: str, **ids: str) -> dict[str, str]:
    sub = "service:notifications" if role == SERVICE else None
    return service.headers(role, sub, **{**IDS.get(role, {}), **ids})


def _call(service: ServiceOnStack, method: str, path: str, body: Any, role: str) -> int:
    answer = service.client.request(method, path, json=body, headers=_as(service, role))
    return answer.status_code


def _items(service: ServiceOnStack, role: str, **params: Any) -> list[dict[str, Any]]:
    answer = service.client.get("/notifications", params=params, headers=_as(service, role))
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _field(answer: Any) -> str:
    assert answer.status_code == 422, answer.text
    return str(answer.json()["errors"][0]["field"])


@pytest.mark.parametrize(
    "role", [ADMIN, BACK_OFFICE, SALES_REP, CUSTOMER, WAREHOUSE, PARTNER, SERVICE]
)
def test_each_role_may_call_only_its_routes(notifications: ServiceOnStack, role: str) -> None:
    for method, path, body in ROUTES:
        status = _call(notifications, method, path, body, role)
        if role == ADMIN or role in ALLOWED[path]:
            assert status != 403, f"{role} {method} {path}: {status}"
        else:
            assert status == 403, f"{role} {method} {path}: {status}"
    no_token = {"Authorization": ""}
    assert notifications.client.get("/notifications", headers=no_token).status_code == 401


def test_each_caller_sees_his_part_of_the_log(notifications: ServiceOnStack) -> None:
    assert len(_items(notifications, BACK_OFFICE)) == 5
    mine = _items(notifications, CUSTOMER)
    assert {item["customer_id"] for item in mine} == {"cust-1"} and len(mine) == 3
    assert {i["customer_id"] for i in _items(notifications, CUSTOMER, customer_id="cust-1")} == {
        "cust-1"
    }
    assert _items(notifications, CUSTOMER, customer_id="cust-2") == []
    rep_2 = _as(notifications, SALES_REP, sales_rep_id="rep-2")
    portfolio = notifications.client.get("/notifications", headers=rep_2).json()["items"]
    assert {item["customer_id"] for item in portfolio} == {"cust-2"}
    other = _items(notifications, BACK_OFFICE, customer_id="cust-2")[0]["notification_id"]
    answer = notifications.client.get(
        f"/notifications/{other}", headers=_as(notifications, CUSTOMER)
    )
    assert answer.status_code == 404
    answer = notifications.client.get(f"/notifications/{other}")
    assert answer.status_code == 200 and answer.json()["status"] == "pending"
    assert notifications.client.get("/notifications/not-an-id").status_code == 404


def test_a_rep_sees_his_portfolio_as_it_is_now(notifications: ServiceOnStack) -> None:
    rep_1 = _as(notifications, SALES_REP, sales_rep_id="rep-1")
    rep_2 = _as(notifications, SALES_REP, sales_rep_id="rep-2")
    notifications.deliver(stock_level(available="0"), aggregate_id="stock-1", aggregate_version=1)
    alert = notifications.client.post("/stock-alerts", json={"sku": "SKU-1"}, headers=rep_2)
    assert alert.status_code == 201
    notifications.deliver(stock_level(available="2"), aggregate_id="stock-1", aggregate_version=2)
    # cust-2 moves from rep-2 to rep-1: the notifications about him go with him.
    moved = CustomerUpdated(customer_id="cust-2", sales_rep_id="rep-1")
    notifications.deliver(moved, aggregate_id="customer-2", aggregate_version=2)
    notifications.catch_up()

    def seen(headers: dict[str, str]) -> list[tuple[str | None, str]]:
        items = notifications.client.get("/notifications", headers=headers).json()["items"]
        return sorted((item["customer_id"], item["document_type"]) for item in items)

    assert seen(rep_1) == [("cust-1", "order_confirmed")] * 3 + [("cust-2", "order_confirmed")] * 2
    assert seen(rep_2) == [(None, "stock_available")]  # his own alert, no customer's


def test_the_log_is_paged_newest_first(notifications: ServiceOnStack) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = notifications.client.get("/notifications", params=params).json()
        seen += [item["document_id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == ["o-21", "o-20", "o-12", "o-11", "o-10"]
    filtered = notifications.client.get("/notifications", params={"document_id": "o-11"}).json()
    assert [item["document_id"] for item in filtered["items"]] == ["o-11"]
    assert _field(notifications.client.get("/notifications", params={"cursor": "x"})) == "cursor"
    assert _field(notifications.client.get("/notifications", params={"status": "lost"})) == "status"


def test_settings_default_change_and_validate(notifications: ServiceOnStack) -> None:
    settings = {
        s["document_type"]: s for s in notifications.client.get("/settings").json()["items"]
    }
    assert len(settings) == 6
    assert settings["invoice_stamped"] == {
        "document_type": "invoice_stamped",
        "enabled": True,
        "to_customer": True,
        "to_sales_rep": False,
        "cc": [],
        "attach_documents": True,
    }
    assert settings["stock_available"]["to_sales_rep"] is True
    assert settings["stock_available"]["to_customer"] is False
    answer = notifications.client.put(
        "/settings/invoice_stamped", json={"cc": ["finance@acme.example"], "to_sales_rep": True}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["cc"] == ["finance@acme.example"] and answer.json()["enabled"] is True
    changed = notifications.client.get("/settings").json()["items"]
    assert [s["to_sales_rep"] for s in changed if s["document_type"] == "invoice_stamped"] == [True]
    assert _field(notifications.client.put("/settings/invoices", json={})) == "document_type"
    bad = notifications.client.put(
        "/settings/invoice_stamped", json={"cc": ["ok@x.example", "nope"]}
    )
    assert _field(bad) == "cc.1"
    assert _field(notifications.client.put("/settings/quote_sent", json={"enabled": "maybe"})) == (
        "enabled"
    )


def test_templates_edited_or_default(notifications: ServiceOnStack) -> None:
    default = notifications.client.get("/templates/quote_sent/de").json()
    assert default["default"] is True and "{{ quote_id }}" in default["subject"]
    edited = {"subject": "Angebot {{ quote_id }}", "body": "Hallo {{ recipient_name }}"}
    answer = notifications.client.put("/templates/quote_sent/de", json=edited)
    assert answer.status_code == 200 and answer.json()["default"] is False
    now = notifications.client.get("/templates/quote_sent/de").json()
    assert (now["subject"], now["body"], now["default"]) == (*edited.values(), False)
    assert notifications.client.get("/templates/quote_sent/pt").json()["default"] is True
    assert _field(notifications.client.get("/templates/quote_sent/fr")) == "language"
    assert _field(notifications.client.get("/templates/quote/de")) == "document_type"
    missing = notifications.client.put("/templates/quote_sent/de", json={"subject": "x"})
    assert _field(missing) == "body"


@pytest.mark.parametrize(
    ("field", "source"),
    [
        ("body", "{{ ''.__class__.__mro__[1].__subclasses__() }}"),
        ("body", "{{ cycler.__init__.__globals__ }}"),
        ("subject", "{{ quote_id.__class__ }}"),
        ("subject", "{% if %}"),
        ("body", "{{ 'x' * 10000000 }}"),
    ],
)
def test_a_template_reaching_for_internals_is_refused(
    notifications: ServiceOnStack, field: str, source: str
) -> None:
    body = {"subject": "Angebot", "body": "Hallo", field: source}
    answer = notifications.client.put("/templates/quote_sent/de", json=body)
    assert _field(answer) == field
    assert notifications.client.get("/templates/quote_sent/de").json()["default"] is True


def test_resend_a_sent_notification(notifications: ServiceOnStack) -> None:
    mailer = RecordingMailer()
    sender = Sender(
        notifications.app,
        lambda now, limit: [],
        mailer,
        MadeUpDocuments(),
        MAIL_FROM,
        clock=Clock(),
    )
    assert send_all(notifications, sender).count("sent") == 5
    notifications.catch_up()
    first = queued_ids(notifications)[0]
    answer = notifications.client.post(f"/notifications/{first}/resend")
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"notification_id": str(first), "status": "pending"}
    notifications.catch_up()
    row = notifications.client.get(f"/notifications/{first}").json()
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert [entry["outcome"] for entry in row["history"]] == ["sent"]
    unknown = "/notifications/00000000-0000-0000-0000-000000000000/resend"
    assert notifications.client.post(unknown).status_code == 404


def test_stock_alerts_for_a_rep(notifications: ServiceOnStack) -> None:
    rep = _as(notifications, SALES_REP)
    answer = notifications.client.post("/stock-alerts", json={"sku": "SKU-1"}, headers=rep)
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "waiting" and answer.json()["sales_rep_id"] == "rep-1"
    staff = notifications.client.post(
        "/stock-alerts", json={"sku": "SKU-1", "sales_rep_id": "rep-2"}
    )
    assert staff.status_code == 201, staff.text
    notifications.catch_up()
    mine = notifications.client.get("/stock-alerts", headers=rep).json()["items"]
    assert [alert["sales_rep_id"] for alert in mine] == ["rep-1"]
    assert len(notifications.client.get("/stock-alerts").json()["items"]) == 2
    assert _field(notifications.client.post("/stock-alerts", json={"sku": "SKU-1"})) == (
        "sales_rep_id"
    )
    unknown_rep = {"sku": "SKU-1", "sales_rep_id": "rep-404"}
    assert _field(notifications.client.post("/stock-alerts", json=unknown_rep)) == "sales_rep_id"
    other = {"sku": "SKU-1", "sales_rep_id": "rep-2"}
    assert _field(notifications.client.post("/stock-alerts", json=other, headers=rep)) == (
        "sales_rep_id"
    )
    assert (
        _field(notifications.client.post("/stock-alerts", json={"sku": "NOPE"}, headers=rep))
        == "sku"
    )

"""The order status follows inventory and billing events fed through the exactly-once
consumer; the customer's open balance follows receivables and payments; the public events
the relay would publish."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient
from oms_contracts import ContractEvent, Envelope
from oms_contracts import billing as bill
from oms_contracts import inventory as inv
from oms_contracts import orders as contract
from oms_kit.consumer import ExactlyOnceConsumer
from oms_kit.projection import ProjectionRunner
from oms_kit.service import Service

D = Decimal
positions = itertools.count(1)


def raw(event: ContractEvent, position: int | None = None) -> bytes:
    envelope = Envelope[Any](
        event_id=uuid4(),
        event_type=type(event).__name__,
        event_version=1,
        occurred_at=datetime.now(UTC),
        source=event.source,
        source_position=position or next(positions),
        aggregate_id=str(uuid4()),
        aggregate_version=1,
        payload=event,
    )
    return json.dumps(json.loads(envelope.model_dump_json())).encode()


def feed(service: Service, *events: ContractEvent) -> list[str]:
    consumer = ExactlyOnceConsumer(service.app, "orders", list(service.sources), service.handlers)
    return [consumer.process(raw(e)).status for e in events]


def lots(*pairs: tuple[str, int]) -> list[inv.LotQuantity]:
    return [inv.LotQuantity(sku=s, quantity=D(q), warehouse="MAD", lot="L1") for s, q in pairs]


def setup_order(client: TestClient, credit_limit: str = "1000.00") -> tuple[str, str]:
    """A confirmed order of 10 x SKU-1 and 2 x SKU-2: 121.00 + 24.20 = 145.20."""
    for sku, price in (("SKU-1", "10.00"), ("SKU-2", "10.00")):
        client.post(
            "/products",
            json={
                "sku": sku,
                "name": sku,
                "unit_price": price,
                "currency": "EUR",
                "tax_rate": "0.21",
            },
        )
    customer = client.post(
        "/customers",
        json={
            "name": "Ana",
            "tax_id": "T",
            "email": "a@example.com",
            "credit_limit": credit_limit,
            "payment_terms_days": [30],
        },
    ).json()["customer_id"]
    order = client.post(
        "/orders",
        json={
            "customer_id": customer,
            "lines": [{"sku": "SKU-1", "quantity": 10}, {"sku": "SKU-2", "quantity": 2}],
        },
    ).json()
    assert order["status"] == "confirmed"
    assert order["total"] == "145.20"
    return customer, order["order_id"]


def status(client: TestClient, order_id: str) -> str:
    result: str = client.get(f"/orders/{order_id}").json()["status"]
    return result


def test_stock_shortage_holds_the_order_and_reservations_keep_it_confirmed(
    client: TestClient, service: Service
) -> None:
    _, order_id = setup_order(client)
    feed(service, inv.StockReserved(order_id=order_id, allocations=lots(("SKU-1", 10))))
    assert status(client, order_id) == "confirmed"
    feed(service, inv.StockShortage(order_id=order_id, sku="SKU-2", requested=D(2), available=D(1)))
    order = client.get(f"/orders/{order_id}").json()
    assert order["status"] == "on_hold"
    assert order["status_reason"] == "stock shortage: SKU-2 requested 2, available 1"


def test_shipping_invoicing_and_payment_move_the_order_to_completed(
    client: TestClient, service: Service
) -> None:
    customer_id, order_id = setup_order(client)
    gi1 = inv.GoodsIssued(goods_issue_id="gi-1", order_id=order_id, lines=lots(("SKU-1", 6)))
    assert feed(service, gi1) == ["applied"]
    assert status(client, order_id) == "partially_shipped"
    gi2 = inv.GoodsIssued(
        goods_issue_id="gi-2", order_id=order_id, lines=lots(("SKU-1", 4), ("SKU-2", 2))
    )
    feed(service, gi2)
    assert status(client, order_id) == "shipped"

    def invoice(n: int, total: str) -> bill.InvoiceIssued:
        return bill.InvoiceIssued(
            invoice_id=f"inv-{n}",
            number=f"F-2025-{n}",
            order_id=order_id,
            customer_id=customer_id,
            currency="EUR",
            lines=[],
            net_total=D(total),
            tax_total=D("0"),
            total=D(total),
        )

    feed(service, invoice(1, "72.60"))
    assert status(client, order_id) == "partially_invoiced"
    stamped_at = datetime(2025, 3, 1, 12, tzinfo=UTC)
    feed(
        service,
        bill.InvoiceStamped(
            invoice_id="inv-1",
            order_id=order_id,
            number="F-2025-1",
            stamp_uuid="cfdi-1",
            stamped_at=stamped_at,
            provider="sat",
        ),
        invoice(2, "72.60"),
    )
    order = client.get(f"/orders/{order_id}").json()
    assert order["status"] == "invoiced"
    assert [(i["number"], i["total"]) for i in order["invoices"]] == [
        ("F-2025-1", "72.60"),
        ("F-2025-2", "72.60"),
    ]
    assert order["invoices"][0]["stamp"]["uuid"] == "cfdi-1"
    assert order["invoices"][1]["stamp"] is None
    assert [s["goods_issue_id"] for s in order["shipments"]] == ["gi-1", "gi-2"]

    def receivable(n: int) -> bill.ReceivableOpened:
        return bill.ReceivableOpened(
            receivable_id=f"r-{n}",
            invoice_id=f"inv-{n}",
            order_id=order_id,
            customer_id=customer_id,
            currency="EUR",
            amount=D("72.60"),
            installments=[],
        )

    def payment(n: int) -> bill.PaymentReceived:
        return bill.PaymentReceived(
            payment_id=f"p-{n}",
            invoice_id=f"inv-{n}",
            order_id=order_id,
            customer_id=customer_id,
            currency="EUR",
            amount=D("72.60"),
            open_after=D("0"),
        )

    feed(service, receivable(1), receivable(2), payment(1))
    assert client.get(f"/customers/{customer_id}").json()["open_balance"] == "72.60"
    assert status(client, order_id) == "invoiced"
    feed(
        service,
        bill.InvoicePaid(invoice_id="inv-1", order_id=order_id, customer_id=customer_id),
        payment(2),
    )
    order = client.get(f"/orders/{order_id}").json()
    assert order["status"] == "completed"
    assert order["paid_amount"] == "145.20"
    assert order["invoices"][0]["status"] == "paid"
    assert client.get(f"/customers/{customer_id}").json()["open_balance"] == "0.00"

    ProjectionRunner(service.app, service.projection("order_list")).catch_up()
    by_number = client.get("/orders", params={"invoice_number": "F-2025-2"}).json()
    assert [(i["order_id"], i["status"]) for i in by_number["items"]] == [(order_id, "completed")]
    assert by_number["items"][0]["invoice_numbers"] == ["F-2025-1", "F-2025-2"]
    history = client.get(f"/orders/{order_id}/history").json()["items"]
    assert history[-1]["event_type"] == "OrderCompleted"
    assert history[-1]["actor"] == "service:billing"


def test_open_balance_from_billing_drives_the_credit_check(
    client: TestClient, service: Service
) -> None:
    customer_id, order_id = setup_order(client, credit_limit="200.00")
    feed(
        service,
        bill.ReceivableOpened(
            receivable_id="r-1",
            invoice_id="inv-1",
            order_id=order_id,
            customer_id=customer_id,
            currency="EUR",
            amount=D("145.20"),
            installments=[],
        ),
    )
    second = client.post(
        "/orders", json={"customer_id": customer_id, "lines": [{"sku": "SKU-1", "quantity": 5}]}
    ).json()
    assert second["status"] == "on_hold"
    assert second["status_reason"] == (
        "credit limit exceeded: open balance 145.20 + order 60.50 > limit 200.00"
    )


def test_repeats_change_nothing_unknown_orders_are_ignored_and_bad_input_dead_letters(
    client: TestClient, service: Service
) -> None:
    _, order_id = setup_order(client)
    consumer = ExactlyOnceConsumer(service.app, "orders", list(service.sources), service.handlers)
    shipped = raw(
        inv.GoodsIssued(goods_issue_id="gi-1", order_id=order_id, lines=lots(("SKU-1", 1)))
    )
    assert consumer.process(shipped).status == "applied"
    assert consumer.process(shipped).status == "duplicate"
    unknown = inv.GoodsIssued(goods_issue_id="gi-9", order_id=str(uuid4()), lines=lots(("X", 1)))
    assert feed(service, unknown) == ["applied"]  # nothing to change: no dead letter
    stamp_first = bill.InvoiceStamped(
        invoice_id="inv-404",
        order_id=order_id,
        number="F-404",
        stamp_uuid="u",
        stamped_at=datetime.now(UTC),
        provider="sat",
    )
    assert feed(service, stamp_first) == ["dead-letter"]
    assert len(client.get(f"/orders/{order_id}").json()["shipments"]) == 1


def test_order_events_map_to_their_public_contracts(client: TestClient, service: Service) -> None:
    _, order_id = setup_order(client)
    client.post(f"/orders/{order_id}/cancel", json={"reason": "changed mind"})
    published = [
        service.outbound(service.app.mapper.to_domain_event(n))
        for n in service.app.recorder.select_notifications(1, 100)
    ]
    public = [e for e in published if e is not None]
    assert [type(e).__name__ for e in public] == [
        "ProductDefined",
        "ProductDefined",
        "CustomerRegistered",
        "OrderPlaced",
        "OrderConfirmed",
        "OrderCancelled",
    ]
    confirmed = public[4]
    assert isinstance(confirmed, contract.OrderConfirmed)
    assert confirmed.order_id == order_id
    assert confirmed.total == D("145.20")
    assert confirmed.payment_terms_days == [30]
    assert [(ln.sku, ln.quantity, ln.net_amount) for ln in confirmed.lines] == [
        ("SKU-1", D(10), D("100.00")),
        ("SKU-2", D(2), D("20.00")),
    ]

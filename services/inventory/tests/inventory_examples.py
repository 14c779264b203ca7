"""Example contract events inventory consumes, and readings of its state: from the
Application, or over HTTP (as the warehouse, unless the client says otherwise)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from oms_contracts.orders import Line, OrderCancelled, OrderConfirmed
from oms_inventory.application import InventoryApplication

D = Decimal


def order_confirmed(order_id: str, *lines: tuple[str, int | str]) -> OrderConfirmed:
    """An order released for picking: ``(sku, quantity)`` per line."""
    return OrderConfirmed(
        order_id=order_id,
        customer_id="c-1",
        currency="EUR",
        lines=[
            Line(
                line_no=number,
                sku=sku,
                quantity=D(quantity),
                unit_price=D("1.00"),
                tax_rate=D("0.23"),
                net_amount=D(quantity),
            )
            for number, (sku, quantity) in enumerate(lines, start=1)
        ],
        total=sum((D(quantity) for _, quantity in lines), D(0)),
    )


def order_cancelled(order_id: str, reason: str = "customer asked") -> OrderCancelled:
    return OrderCancelled(order_id=order_id, reason=reason)


def levels(app: InventoryApplication, sku: str) -> tuple[Decimal, Decimal, Decimal]:
    """On hand, reserved and available of ``sku``."""
    stock = app.get_stock(sku)
    return stock.on_hand, stock.reserved, stock.available


def receive(
    client: TestClient,
    sku: str,
    warehouse: str,
    lot: str,
    quantity: float,
    expires_on: str | None = None,
) -> dict[str, Any]:
    """``POST /stock/receipts``; the stock it answers."""
    body: dict[str, Any] = {"sku": sku, "warehouse": warehouse, "lot": lot, "quantity": quantity}
    if expires_on:
        body["expires_on"] = expires_on
    response = client.post("/stock/receipts", json=body)
    assert response.status_code == 201, response.text
    stock: dict[str, Any] = response.json()
    return stock


def stock_levels(client: TestClient, sku: str) -> tuple[float, float, float]:
    """On hand, reserved and available of ``sku``, from ``GET /stock/{sku}``."""
    body = client.get(f"/stock/{sku}").json()
    return body["on_hand"], body["reserved"], body["available"]


def pick_lists(client: TestClient, order_id: str) -> list[dict[str, Any]]:
    """``GET /pick-lists?order_id=``: the order's pick lists, oldest first."""
    response = client.get("/pick-lists", params={"order_id": order_id})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items"}
    items: list[dict[str, Any]] = body["items"]
    return items

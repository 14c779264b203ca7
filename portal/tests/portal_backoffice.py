"""What the back office does through the services' APIs before a customer looks at the
portal: products, customers and their users, a proposal with a contract, an invoiced
order. Signed in as the admin orders creates at start."""

from __future__ import annotations

import struct
import uuid
import zlib
from dataclasses import dataclass
from typing import Any

import httpx
from oms_dev.client import create_user, new_password
from oms_dev.testing import RunningServices, wait_until

#: The smallest file the orders service takes for a PDF (it checks the first bytes).
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour (a product's photo): what a browser draws."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class Person:
    customer_id: str
    name: str
    username: str
    password: str


@dataclass(frozen=True)
class Rep:
    sales_rep_id: str
    name: str
    username: str
    password: str


class BackOffice:
    def __init__(self, system: RunningServices) -> None:
        self.system = system
        self.http = httpx.Client(timeout=30.0, auth=system.admin.auth)
        self.orders = system.url("orders")
        self.inventory = system.url("inventory")
        self.billing = system.url("billing")

    def close(self) -> None:
        self.http.close()

    def post(self, url: str, status: int = 201, **options: Any) -> dict[str, Any]:
        response = self.http.post(url, **options)
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        return body

    def get(self, url: str, **params: Any) -> dict[str, Any]:
        response = self.http.get(url, params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def product(self, name: str, price: str, tax: str = "0.10") -> str:
        sku = f"P-{uuid.uuid4().hex[:6].upper()}"
        self.post(
            f"{self.orders}/products",
            json={
                "sku": sku,
                "name": name,
                "unit_price": price,
                "currency": "BRL",
                "tax_rate": tax,
            },
        )
        return sku

    def photo(self, sku: str, image: bytes) -> None:
        """The product's photo, uploaded as the back office does (``PUT
        /products/{sku}/image``)."""
        response = self.http.put(
            f"{self.orders}/products/{sku}/image",
            files={"file": (f"{sku}.png", image, "image/png")},
        )
        assert response.status_code == 200, response.text

    def associate(self, sku: str, associated: list[str]) -> None:
        response = self.http.put(
            f"{self.orders}/products/{sku}/associated", json={"skus": associated}
        )
        assert response.status_code == 200, response.text

    def stock(self, sku: str, quantity: int) -> None:
        """Goods received at inventory, then heard by orders (the catalogue's availability)."""
        self.post(
            f"{self.inventory}/stock/receipts",
            json={"sku": sku, "warehouse": "SP", "lot": f"L-{sku}", "quantity": quantity},
        )
        wait_until(
            lambda: self.get(f"{self.orders}/products/{sku}").get("available") is not None,
            what=f"orders to hear of the stock of {sku}",
        )

    def customer(
        self, name: str, language: str, terms: list[int], sales_rep_id: str | None = None
    ) -> Person:
        body = self.post(
            f"{self.orders}/customers",
            json={
                "name": name,
                "tax_id": f"T-{uuid.uuid4().hex[:8]}",
                "email": "buyer@example.com",
                "credit_limit": "1000000.00",
                "payment_terms_days": terms,
                "currency": "BRL",
                "language": language,
                "sales_rep_id": sales_rep_id,
            },
        )
        customer_id = str(body["customer_id"])
        password = new_password()
        username = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:4]}"
        create_user(
            self.system.admin,
            "customer",
            username,
            password,
            customer_id=customer_id,
            language=language,
        )
        return Person(customer_id, name, username, password)

    def sales_rep(self, name: str, language: str) -> Rep:
        """A sales rep (orders' ``POST /sales-reps``) and his user of role sales_rep."""
        body = self.post(
            f"{self.orders}/sales-reps",
            json={"name": name, "email": f"{name.split()[0].lower()}@example.com"},
        )
        sales_rep_id = str(body["sales_rep_id"])
        password = new_password()
        username = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:4]}"
        create_user(
            self.system.admin,
            "sales_rep",
            username,
            password,
            sales_rep_id=sales_rep_id,
            language=language,
        )
        return Rep(sales_rep_id, name, username, password)

    def sent_proposal(self, customer_id: str, lines: list[dict[str, Any]], contract: bool) -> str:
        body = {"customer_id": customer_id, "lines": lines}
        quote = self.post(f"{self.orders}/quotes", json=body)
        quote_id = str(quote["quote_id"])
        if contract:
            self.post(
                f"{self.orders}/quotes/{quote_id}/attachments",
                files={"file": ("contrato.pdf", PDF, "application/pdf")},
                data={"kind": "contract"},
            )
        self.post(f"{self.orders}/quotes/{quote_id}/send", status=200)
        return quote_id

    def invoiced_order(self, customer_id: str, sku: str, quantity: int) -> dict[str, Any]:
        """An order placed, picked whole and invoiced by billing (with its installments)."""
        self.post(
            f"{self.inventory}/stock/receipts",
            json={"sku": sku, "warehouse": "SP", "lot": f"L-{sku}", "quantity": quantity},
        )
        order = self.post(
            f"{self.orders}/orders",
            json={
                "customer_id": customer_id,
                "origin": "backoffice",
                "lines": [{"sku": sku, "quantity": quantity}],
            },
        )
        order_id = order["order_id"]

        def open_pick_list() -> dict[str, Any] | None:
            items = self.get(f"{self.inventory}/pick-lists", order_id=order_id)["items"]
            return next((p for p in items if p["status"] == "open"), None)

        pick_list = wait_until(open_pick_list, what="the pick list")
        self.post(
            f"{self.inventory}/pick-lists/{pick_list['pick_list_id']}/confirm",
            status=200,
            json={"lines": pick_list["lines"]},
        )
        invoices = wait_until(
            lambda: self.get(f"{self.billing}/invoices", order_id=order_id)["items"],
            what="the invoice",
        )
        wait_until(
            lambda: self.get(f"{self.orders}/orders/{order_id}")["invoices"],
            what="orders to hear of the invoice",
        )
        return {"order_id": order_id, "invoice": invoices[0]}

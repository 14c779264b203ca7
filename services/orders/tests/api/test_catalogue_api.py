"""The catalogue for B2B ordering over HTTP on the real PostgreSQL (DESIGN sections 14 and
15): the search by name or sku (case aside, ``%`` and ``_`` as themselves), paged with the
service's cursors, with the photo's address and the stock heard from inventory; a product
with its stock; the photo (PNG or JPEG by content, 422 naming ``file`` otherwise, 413 over
the limit, the bytes with their type); associated products (422 naming an unknown sku or
the product itself). Readers: back office, rep, customer, warehouse; the photo and the
associations are the back office's to change; a partner reads nothing of it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from oms_contracts.inventory import StockLevelChanged
from oms_dev.testing import ServiceOnStack
from oms_kit.auth import CUSTOMER, PARTNER, SALES_REP, WAREHOUSE

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n%%EOF\n"


def product(client: TestClient, sku: str, name: str, price: str = "10.00") -> None:
    body = {"sku": sku, "name": name, "unit_price": price, "currency": "BRL", "tax_rate": "0.10"}
    response = client.post("/products", json=body)
    assert response.status_code == 201, response.text


def skus(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["sku"] for item in response.json()["items"]]


def fields(response: Any) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def test_the_catalogue_is_searched_paged_with_photos_and_stock(
    client: TestClient, orders: ServiceOnStack, catch_up: Callable[[], None]
) -> None:
    product(client, "SCR-10", "Parafuso 10mm")
    product(client, "NUT-10", "porca 10mm")
    product(client, "WSH_1", "Arruela 100% aço")
    product(client, "HAM-1", "Martelo")
    photo = client.put("/products/SCR-10/image", files={"file": ("p.png", PNG, "image/png")})
    assert photo.status_code == 200, photo.text
    assert photo.json()["image_url"] == "/products/SCR-10/image"
    orders.deliver(
        StockLevelChanged(
            sku="SCR-10", on_hand=Decimal(50), reserved=Decimal(20), available=Decimal(30)
        ),
        aggregate_id="stock-scr-10",
        aggregate_version=2,
    )
    catch_up()
    rep = orders.headers(SALES_REP, "rita", sales_rep_id="rep-a")

    everything = client.get("/products", headers=rep)
    assert skus(everything) == ["WSH_1", "HAM-1", "SCR-10", "NUT-10"]  # by name, case aside
    screw = everything.json()["items"][2]
    assert screw == {
        "sku": "SCR-10",
        "name": "Parafuso 10mm",
        "unit_price": "10.00",
        "currency": "BRL",
        "image_url": "/products/SCR-10/image",
        "on_hand": 50,
        "reserved": 20,
        "available": 30,
    }
    assert everything.json()["items"][0]["image_url"] is None
    assert everything.json()["items"][0]["available"] is None

    assert skus(client.get("/products", params={"q": "10MM"}, headers=rep)) == [
        "SCR-10",
        "NUT-10",
    ]
    assert skus(client.get("/products", params={"q": "ham-"}, headers=rep)) == ["HAM-1"]
    assert skus(client.get("/products", params={"q": "100%"}, headers=rep)) == ["WSH_1"]
    assert skus(client.get("/products", params={"q": "h_1"}, headers=rep)) == ["WSH_1"]

    seen: list[str] = []
    params: dict[str, Any] = {"limit": 1}
    while True:
        page = client.get("/products", params=params, headers=rep)
        seen += skus(page)
        if page.json()["next_cursor"] is None:
            break
        params["cursor"] = page.json()["next_cursor"]
    assert seen == ["WSH_1", "HAM-1", "SCR-10", "NUT-10"]
    refused = client.get("/products", params={"cursor": "nope"}, headers=rep)
    assert (refused.status_code, fields(refused)) == (422, ["cursor"])

    # One product: its stock as last heard (read from its own record, not the view).
    one = client.get("/products/SCR-10", headers=rep).json()
    assert (one["on_hand"], one["reserved"], one["available"]) == (50, 20, 30)
    assert one["image_url"] == "/products/SCR-10/image"
    hammer = client.get("/products/HAM-1", headers=rep).json()
    assert (hammer["available"], hammer["image_url"]) == (None, None)
    missing = client.get("/products/NOPE", headers=rep)
    assert (missing.status_code, fields(missing)) == (404, ["sku"])


def test_the_photo_is_a_png_or_jpeg_served_with_its_type(
    client: TestClient, orders: ServiceOnStack
) -> None:
    product(client, "SCR-10", "Parafuso 10mm")
    for data, kind in ((PDF, "application/pdf"), (b"GIF89a", "image/gif"), (b"", "image/png")):
        refused = client.put("/products/SCR-10/image", files={"file": ("x.png", data, kind)})
        assert (refused.status_code, fields(refused)) == (422, ["file"]), refused.text
    no_file = client.put("/products/SCR-10/image")
    assert (no_file.status_code, fields(no_file)) == (422, ["file"])
    too_big = PNG + b"\x00" * orders.service.app.attachment_max_bytes
    large = client.put("/products/SCR-10/image", files={"file": ("x.png", too_big, "image/png")})
    assert large.status_code == 413
    unknown = client.put("/products/NOPE/image", files={"file": ("x.png", PNG, "image/png")})
    assert (unknown.status_code, fields(unknown)) == (404, ["sku"])

    none_yet = client.get("/products/SCR-10/image")
    assert (none_yet.status_code, fields(none_yet)) == (404, ["image"])
    client.put("/products/SCR-10/image", files={"file": ("x.jpg", JPEG, "image/jpeg")})
    for role, ids in (
        (CUSTOMER, {"customer_id": "c-1"}),
        (WAREHOUSE, {}),
        (SALES_REP, {"sales_rep_id": "r"}),
    ):
        image = client.get("/products/SCR-10/image", headers=orders.headers(role, "u", **ids))
        assert image.status_code == 200, (role, image.text)
        assert (image.content, image.headers["content-type"]) == (JPEG, "image/jpeg")

    # Only the back office changes it; a partner reads nothing of the catalogue.
    customer = orders.headers(CUSTOMER, "ana", customer_id="c-1")
    rep = orders.headers(SALES_REP, "rita", sales_rep_id="rep-a")
    for headers in (customer, rep, orders.headers(WAREHOUSE, "wes")):
        put = client.put(
            "/products/SCR-10/image",
            files={"file": ("x.png", PNG, "image/png")},
            headers=headers,
        )
        assert put.status_code == 403
    partner = orders.headers(PARTNER, "partner-x", partner_id="p-1")
    for path in ("/products", "/products/SCR-10", "/products/SCR-10/image"):
        assert client.get(path, headers=partner).status_code == 403


def test_associated_products_name_known_skus_and_not_themselves(
    client: TestClient, orders: ServiceOnStack
) -> None:
    product(client, "DRL-1", "Furadeira", "300.00")
    product(client, "BIT-6", "Broca 6mm", "8.50")
    product(client, "BIT-8", "Broca 8mm", "9.50")

    put = client.put("/products/DRL-1/associated", json={"skus": ["BIT-8", "BIT-6"]})
    assert put.status_code == 200, put.text
    expected = [
        {"sku": "BIT-8", "name": "Broca 8mm", "unit_price": "9.50", "currency": "BRL"},
        {"sku": "BIT-6", "name": "Broca 6mm", "unit_price": "8.50", "currency": "BRL"},
    ]
    assert put.json()["items"] == expected
    customer = orders.headers(CUSTOMER, "ana", customer_id="c-1")
    read = client.get("/products/DRL-1/associated", headers=customer)
    assert (read.status_code, read.json()["items"]) == (200, expected)
    assert client.get("/products/BIT-6/associated").json()["items"] == []

    unknown = client.put("/products/DRL-1/associated", json={"skus": ["BIT-6", "NOPE"]})
    assert (unknown.status_code, fields(unknown)) == (422, ["skus.1"])
    itself = client.put("/products/DRL-1/associated", json={"skus": ["DRL-1"]})
    assert (itself.status_code, fields(itself)) == (422, ["skus"])
    no_body = client.put("/products/DRL-1/associated", json={})
    assert no_body.status_code == 422
    missing = client.put("/products/NOPE/associated", json={"skus": ["BIT-6"]})
    assert (missing.status_code, fields(missing)) == (404, ["sku"])
    assert client.get("/products/DRL-1/associated").json()["items"] == expected

    rep = orders.headers(SALES_REP, "rita", sales_rep_id="rep-a")
    for headers in (customer, rep):
        refused = client.put("/products/DRL-1/associated", json={"skus": []}, headers=headers)
        assert refused.status_code == 403
    cleared = client.put("/products/DRL-1/associated", json={"skus": []})
    assert (cleared.status_code, cleared.json()["items"]) == (200, [])

"""A quote's documents over HTTP on the real PostgreSQL (DESIGN section 10): upload limits
answered 422 and 413 whatever the file's name, the signed-contract gate (409 naming it,
then 201 and 200), the renamed file and its bytes, the order awaiting invoicing and
released to confirmed with ``stock_status`` pending; a customer reads neither another's
attachment nor his proposal PDF (404); the files outlive the service's restart."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from oms_dev.testing import ServiceOnStack, Stack
from oms_kit.auth import CUSTOMER, SALES_REP
from oms_orders.bootstrap import bootstrap
from pypdf import PdfReader

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def new_customer(client: TestClient, name: str, language: str) -> str:
    response = client.post(
        "/customers",
        json={
            "name": name,
            "tax_id": f"T-{name}",
            "email": "c@example.com",
            "credit_limit": "100000.00",
            "payment_terms_days": [30, 60],
            "language": language,
        },
    )
    assert response.status_code == 201, response.text
    customer_id: str = response.json()["customer_id"]
    return customer_id


def sent_quote(client: TestClient, customer_id: str) -> str:
    response = client.post(
        "/quotes",
        json={
            "customer_id": customer_id,
            "lines": [{"sku": "DOC-1", "quantity": 150, "note": "entregar pela manhã"}],
        },
    )
    assert response.status_code == 201, response.text
    quote_id: str = response.json()["quote_id"]
    assert client.post(f"/quotes/{quote_id}/send").status_code == 200
    return quote_id


def test_the_signed_contract_gate_and_the_documents_scope(
    orders: ServiceOnStack, client: TestClient, stack: Stack
) -> None:
    client.post(
        "/products",
        json={
            "sku": "DOC-1",
            "name": "Parafuso",
            "unit_price": "10.00",
            "currency": "BRL",
            "tax_rate": "0.10",
        },
    )
    ana = new_customer(client, "Ana", "pt")
    bob = new_customer(client, "Bob", "de")
    quote_id = sent_quote(client, ana)
    bobs_quote = sent_quote(client, bob)
    as_ana = orders.headers(CUSTOMER, "ana", customer_id=ana)
    as_bob = orders.headers(CUSTOMER, "bob", customer_id=bob)

    # Limits: type by content (a text file named .pdf is refused), size by the setting.
    fake = client.post(
        f"/quotes/{quote_id}/attachments",
        files={"file": ("contract.pdf", b"not a pdf", "application/pdf")},
        data={"kind": "contract"},
    )
    assert fake.status_code == 422
    assert fake.json()["errors"][0]["field"] == "file"
    big = client.post(
        f"/quotes/{quote_id}/attachments",
        files={"file": ("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "application/pdf")},
        data={"kind": "contract"},
    )
    assert big.status_code == 413
    renamed_png = client.post(
        f"/quotes/{quote_id}/attachments",
        files={"file": ("photo.pdf", PNG, "application/pdf")},
        data={"kind": "other"},
    )
    assert renamed_png.status_code == 201
    assert renamed_png.json()["content_type"] == "image/png"
    contract = client.post(
        f"/quotes/{quote_id}/attachments",
        files={"file": ("contrato.pdf", PDF, "application/pdf")},
        data={"kind": "contract"},
    )
    assert contract.status_code == 201, contract.text
    assert contract.json()["uploaded_by"] == "maria"
    # Only the back office uploads.
    assert (
        client.post(
            f"/quotes/{quote_id}/attachments",
            files={"file": ("x.pdf", PDF, "application/pdf")},
            headers=as_ana,
        ).status_code
        == 403
    )

    # The gate: no approval before the signed copy.
    refused = client.post(f"/quotes/{quote_id}/approve", headers=as_ana)
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "signed_contract"
    signed = client.post(
        f"/quotes/{quote_id}/signed-contract",
        files={"file": ("scan 0042.PDF", PDF, "application/pdf")},
        headers=as_ana,
    )
    assert signed.status_code == 201, signed.text
    assert (signed.json()["name"], signed.json()["kind"]) == (
        "Contrato Assinado.pdf",
        "signed_contract",
    )
    approved = client.post(f"/quotes/{quote_id}/approve", headers=as_ana)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["quote_id"], body["status"], body["order_status"]) == (
        quote_id,
        "accepted",
        "awaiting_invoicing",
    )
    order = client.get(f"/orders/{body['order_id']}").json()
    assert (order["status"], order["stock_status"]) == ("awaiting_invoicing", None)
    released = client.post(f"/orders/{body['order_id']}/approve")
    assert released.json()["status"] == "confirmed"
    order = client.get(f"/orders/{body['order_id']}").json()
    assert (order["status"], order["stock_status"]) == ("confirmed", "pending")

    # The list: the proposal first, then the files; each downloads.
    listed = client.get(f"/quotes/{quote_id}/attachments", headers=as_ana).json()["items"]
    assert [(a["kind"], a["name"]) for a in listed] == [
        ("proposal", f"{quote_id[:8].upper()}.pdf"),
        ("other", "photo.pdf"),
        ("contract", "contrato.pdf"),
        ("signed_contract", "Contrato Assinado.pdf"),
    ]
    for attachment in listed:
        got = client.get(f"/attachments/{attachment['attachment_id']}", headers=as_ana)
        assert got.status_code == 200
        assert got.headers["content-type"] == attachment["content_type"]
        assert len(got.content) == attachment["size"]
    order_docs = client.get(f"/orders/{body['order_id']}/attachments", headers=as_ana).json()
    assert len(order_docs["items"]) == 4

    # The proposal PDF, in Ana's language and number format.
    pdf = client.get(f"/quotes/{quote_id}/pdf", headers=as_ana)
    assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().replace("\xa0", " ")
    for expected in ("Proposta comercial", "Ana", "Parafuso", "entregar pela manhã", "R$ 1.650,00"):
        assert expected in text

    # Bob sees none of Ana's documents, nor does a rep outside her portfolio.
    as_rep = orders.headers(SALES_REP, "joao", sales_rep_id="rep-x")
    for headers in (as_bob, as_rep):
        assert client.get(f"/quotes/{quote_id}/pdf", headers=headers).status_code == 404
        assert client.get(f"/quotes/{quote_id}/attachments", headers=headers).status_code == 404
        for attachment in listed:
            missing = client.get(f"/attachments/{attachment['attachment_id']}", headers=headers)
            assert missing.status_code == 404
    assert client.post(f"/quotes/{quote_id}/approve", headers=as_bob).status_code == 404
    assert (
        client.post(
            f"/quotes/{quote_id}/signed-contract",
            files={"file": ("s.pdf", PDF, "application/pdf")},
            headers=as_bob,
        ).status_code
        == 404
    )
    assert client.get(f"/quotes/{bobs_quote}/pdf", headers=as_bob).status_code == 200

    # Another start of the service (a restart) serves the same files.
    again = ServiceOnStack(bootstrap, stack)
    try:
        contract_id = contract.json()["attachment_id"]
        got = again.client.get(f"/attachments/{contract_id}", headers=as_ana)
        assert (got.status_code, got.content) == (200, PDF)
    finally:
        again.close()

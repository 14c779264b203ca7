"""A Mexican company's invoice documents over HTTP on the real stack: the stamped CFDI at
GET /invoices/{id}/xml and the PDF at GET /invoices/{id}/pdf, for the customer himself and
nobody outside his scope (404, as an unknown invoice); and for a service's token (the
notifications service attaching them to e-mails), whoever's invoice it is."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from billing_examples import goods_issued, mexican_customer, named_order_confirmed
from cfdi_checks import NS, check_cfdi
from cryptography import x509
from oms_billing.adapters.cfdi import LocalCfdiStampingProvider
from oms_dev.testing import ServiceOnStack
from oms_kit.auth import BACK_OFFICE, CUSTOMER, SERVICE
from pypdf import PdfReader


def test_the_customer_reads_his_stamped_cfdi_and_pdf_and_nobody_elses(
    make_billing: Callable[..., ServiceOnStack],
    mexican_billing: Callable[..., dict[str, Any]],
    local_pac: LocalCfdiStampingProvider,
) -> None:
    billing = make_billing(**mexican_billing())
    billing.deliver(mexican_customer("cust-mx-1"), aggregate_version=1)
    billing.deliver(mexican_customer("cust-mx-2", language="en"), aggregate_version=1)
    billing.deliver(named_order_confirmed("ord-mx-1", "cust-mx-1"))
    billing.deliver(goods_issued("gi-mx-1", "ord-mx-1", ("SKU-A", 3), ("SKU-B", 1)))
    billing.catch_up()
    [item] = billing.client.get(
        "/invoices", params={"order_id": "ord-mx-1"}, headers=billing.headers(BACK_OFFICE)
    ).json()["items"]
    invoice_id, folio = item["invoice_id"], item["stamp"]["uuid"]
    owner = billing.headers(CUSTOMER, "user-mx-1", customer_id="cust-mx-1")
    other = billing.headers(CUSTOMER, "user-mx-2", customer_id="cust-mx-2")

    xml = billing.client.get(f"/invoices/{invoice_id}/xml", headers=owner)
    assert xml.status_code == 200, xml.text
    assert xml.headers["content-type"].startswith("application/xml")
    pac = x509.load_der_x509_certificate(local_pac.pac.certificate_bytes())
    document = check_cfdi(xml.content, pac)
    stamp = document.find("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
    assert stamp.get("UUID") == folio
    assert document.get("Total") == item["total"] == "174.00"

    pdf = billing.client.get(f"/invoices/{invoice_id}/pdf", headers=owner)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert f"Factura {item['number']}" in text
    assert folio in text and "Tornillo hexagonal" in text

    for document_path in ("xml", "pdf"):
        outside = billing.client.get(f"/invoices/{invoice_id}/{document_path}", headers=other)
        assert outside.status_code == 404
        assert [e["field"] for e in outside.json()["errors"]] == ["invoice_id"]


def test_a_service_token_fetches_the_stamped_cfdi_and_pdf_of_any_customer(
    make_billing: Callable[..., ServiceOnStack],
    mexican_billing: Callable[..., dict[str, Any]],
    local_pac: LocalCfdiStampingProvider,
) -> None:
    billing = make_billing(**mexican_billing())
    service = billing.headers(SERVICE, "service:notifications")
    pac = x509.load_der_x509_certificate(local_pac.pac.certificate_bytes())
    for n, language in ((1, "es"), (2, "en")):
        billing.deliver(mexican_customer(f"cust-mx-{n}", language=language), aggregate_version=1)
        billing.deliver(named_order_confirmed(f"ord-mx-{n}", f"cust-mx-{n}"))
        billing.deliver(goods_issued(f"gi-mx-{n}", f"ord-mx-{n}", ("SKU-A", n)))
    billing.catch_up()
    for n in (1, 2):
        [item] = billing.client.get(
            "/invoices", params={"order_id": f"ord-mx-{n}"}, headers=billing.headers(BACK_OFFICE)
        ).json()["items"]
        xml = billing.client.get(f"/invoices/{item['invoice_id']}/xml", headers=service)
        assert xml.status_code == 200, xml.text
        stamp = check_cfdi(xml.content, pac).find("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
        assert stamp.get("UUID") == item["stamp"]["uuid"]
        pdf = billing.client.get(f"/invoices/{item['invoice_id']}/pdf", headers=service)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert item["number"] in text
        listed = billing.client.get("/invoices", headers=service)
        assert listed.status_code == 403

"""The invoice's documents in memory: a Mexican company's CFDI 4.0 (valid against SAT's
schemas, sealed with the company's CSD, stamped by the local PAC with a
TimbreFiscalDigital 1.1), the plain document without a fiscal country, and the invoice PDF
in the customer's language."""

from __future__ import annotations

import base64
import io
import stat
import tempfile
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.numbers import format_currency, format_decimal
from billing_examples import (
    customer_registered,
    goods_issued,
    mexican_customer,
    named_order_confirmed,
    order_confirmed,
)
from cfdi_checks import NS, check_cfdi
from cryptography import x509
from oms_billing.adapters import invoice_pdf
from oms_billing.adapters.cfdi import GENERIC_RFC, LocalCfdiStampingProvider
from oms_billing.adapters.invoice_pdf import (
    FONT_DIRS,
    SMALL_FONT_RANGES,
    Font,
    InvoicePdfRenderer,
    _SmallFont,
    _unicode_font,
)
from oms_billing.application import BillingApplication
from oms_billing.application.stamping import StampingFailed
from oms_billing.bootstrap import bootstrap
from oms_billing.domain.invoice import Invoice
from oms_contracts.orders import CustomerUpdated
from oms_dev.inmemory import ServiceInMemory
from oms_kit.settings import Company
from pypdf import PdfReader


def pac_certificate(pac: LocalCfdiStampingProvider) -> x509.Certificate:
    return x509.load_der_x509_certificate(pac.pac.certificate_bytes())


def invoice_of(billing: ServiceInMemory, goods_issue_id: str) -> Invoice:
    app: BillingApplication = billing.app
    return app.get_invoice(Invoice.create_id(goods_issue_id))


def stamped_xml(invoice: Invoice) -> bytes:
    assert invoice.stamp is not None, invoice.last_stamping_error
    return base64.b64decode(invoice.stamp["xml"])


@pytest.fixture
def mexican(mexican_billing: Callable[..., dict[str, Any]]) -> ServiceInMemory:
    return ServiceInMemory(bootstrap, **mexican_billing())


def test_a_mexican_invoice_is_a_sealed_and_stamped_cfdi(
    mexican: ServiceInMemory, local_pac: LocalCfdiStampingProvider
) -> None:
    mexican.deliver(mexican_customer("cust-mx"), aggregate_version=1)
    mexican.deliver(named_order_confirmed("order-1", "cust-mx"))
    mexican.deliver(goods_issued("gi-1", "order-1", ("SKU-A", 3), ("SKU-B", 1)))
    invoice = invoice_of(mexican, "gi-1")
    document = check_cfdi(stamped_xml(invoice), pac_certificate(local_pac))

    assert (document.get("Serie"), document.get("Folio")) == ("A", "000001")
    assert document.get("Total") == "174.00" == format(invoice.total, "f")
    assert document.get("SubTotal") == "150.00"
    assert document.get("Moneda") == "MXN"
    assert (document.get("MetodoPago"), document.get("FormaPago")) == ("PPD", "99")
    assert document.get("LugarExpedicion") == "42501"
    issuer = document.find("cfdi:Emisor", NS)
    assert (issuer.get("Rfc"), issuer.get("RegimenFiscal")) == ("EKU9003173C9", "601")
    receiver = document.find("cfdi:Receptor", NS)
    assert receiver.get("Rfc") == "XIQB891116QE4"
    assert receiver.get("Nombre") == "BERENICE XOCHILT IBARRA"
    assert receiver.get("RegimenFiscalReceptor") == "612"
    assert receiver.get("DomicilioFiscalReceptor") == "03100"
    assert receiver.get("UsoCFDI") == "G03"
    first, second = document.findall("cfdi:Conceptos/cfdi:Concepto", NS)
    assert first.get("ClaveProdServ") == "31161500"
    assert first.get("Descripcion") == "Tornillo hexagonal"
    assert (first.get("Cantidad"), first.get("Importe")) == ("3", "100.00")
    assert (second.get("ClaveProdServ"), second.get("ClaveUnidad")) == ("01010101", "H87")
    taxes = document.find("cfdi:Impuestos", NS)
    assert taxes.get("TotalImpuestosTrasladados") == "24.00"
    stamp = document.find("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
    assert invoice.stamp is not None and stamp.get("UUID") == invoice.stamp["uuid"]
    assert stamp.get("RfcProvCertif") == "SPR190613I52"


def test_a_customer_without_fiscal_data_gets_the_generic_rfc(
    mexican: ServiceInMemory, local_pac: LocalCfdiStampingProvider
) -> None:
    mexican.deliver(customer_registered("cust-1"), aggregate_version=1)
    mexican.deliver(order_confirmed("order-1", "cust-1"))
    mexican.deliver(goods_issued("gi-1", "order-1", ("SKU-B", 1)))
    document = check_cfdi(stamped_xml(invoice_of(mexican, "gi-1")), pac_certificate(local_pac))
    receiver = document.find("cfdi:Receptor", NS)
    assert (receiver.get("Rfc"), receiver.get("UsoCFDI")) == (GENERIC_RFC, "S01")
    assert receiver.get("DomicilioFiscalReceptor") == "42501"


def test_the_stamp_is_the_same_document_the_company_sealed(
    mexican: ServiceInMemory, local_pac: LocalCfdiStampingProvider
) -> None:
    """The PAC adds its stamp and changes nothing it sealed: a tampered CFDI is refused."""
    mexican.deliver(mexican_customer("cust-mx"), aggregate_version=1)
    mexican.deliver(order_confirmed("order-1", "cust-mx"))
    mexican.deliver(goods_issued("gi-1", "order-1", ("SKU-B", 1)))
    app: BillingApplication = mexican.app
    invoice = invoice_of(mexican, "gi-1")
    sealed = app.documents.build(invoice, app.recipient("cust-mx"))
    check_cfdi(sealed)
    tampered = sealed.replace(b'Total="58.00"', b'Total="5.80"')
    assert tampered != sealed
    with pytest.raises(StampingFailed, match="Sello"):
        local_pac.stamp(tampered)


def test_the_fiscal_data_of_an_update_reaches_the_next_invoice(
    mexican: ServiceInMemory, local_pac: LocalCfdiStampingProvider
) -> None:
    mexican.deliver(mexican_customer("cust-mx", cfdi_use=None), aggregate_version=1)
    mexican.deliver(
        CustomerUpdated(customer_id="cust-mx", cfdi_use="I01", postal_code="64000"),
        aggregate_version=2,
    )
    mexican.deliver(order_confirmed("order-1", "cust-mx"))
    mexican.deliver(goods_issued("gi-1", "order-1", ("SKU-B", 1)))
    document = check_cfdi(stamped_xml(invoice_of(mexican, "gi-1")), pac_certificate(local_pac))
    receiver = document.find("cfdi:Receptor", NS)
    assert (receiver.get("UsoCFDI"), receiver.get("DomicilioFiscalReceptor")) == ("I01", "64000")
    assert receiver.get("RegimenFiscalReceptor") == "612"


def test_without_a_fiscal_country_the_local_stamp_stays(billing: ServiceInMemory) -> None:
    billing.deliver(customer_registered("cust-1"), aggregate_version=1)
    billing.deliver(order_confirmed("order-1", "cust-1"))
    billing.deliver(goods_issued("gi-1", "order-1", ("SKU-B", 1)))
    invoice = invoice_of(billing, "gi-1")
    assert invoice.stamp is not None and invoice.stamp["provider"] == "local-rsa"
    assert b"TimbreFiscalDigital" not in stamped_xml(invoice)


# --- the invoice PDF ----------------------------------------------------------------------


def pdf_text(document: bytes) -> str:
    assert document.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


def plain(text: str) -> str:
    """Text as a PDF's extraction gives it back: any kind of space as one space."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.mark.parametrize(
    ("language", "locale", "title", "total_label"),
    [
        ("es", "es_MX", "Factura", "Total"),
        ("pt", "pt_BR", "Fatura", "Total"),
        ("pl", "pl_PL", "Faktura", "Do zapłaty"),
        ("de", "de_DE", "Rechnung", "Gesamtbetrag"),
        ("en", "en_US", "Invoice", "Total"),
    ],
)
def test_the_invoice_pdf_is_in_the_customers_language(
    mexican: ServiceInMemory, language: str, locale: str, title: str, total_label: str
) -> None:
    mexican.deliver(mexican_customer("cust-mx", language=language), aggregate_version=1)
    mexican.deliver(named_order_confirmed("order-1", "cust-mx"))
    mexican.deliver(goods_issued("gi-1", "order-1", ("SKU-A", 3), ("SKU-B", 1)))
    app: BillingApplication = mexican.app
    invoice = invoice_of(mexican, "gi-1")
    renderer = InvoicePdfRenderer(Company(name="Ferretería del Norte", tax_id="EKU9003173C9"))
    text = plain(
        pdf_text(
            renderer.render(invoice, app.recipient("cust-mx"), app.find_receivable(invoice.id))
        )
    )

    def money(amount: str) -> str:
        return plain(format_currency(Decimal(amount), "MXN", locale=locale))

    assert f"{title} A-000001" in text
    assert "Ferretería del Norte" in text
    assert "Berenice Xochilt Ibarra" in text
    assert "Tornillo hexagonal" in text and "Entrega parcial" in text
    assert "Caja de cartón" in text
    assert f"{total_label}: {money('174.00')}" in text
    assert money("150.00") in text and money("24.00") in text
    assert money("87.00") in text  # each of the two installments
    assert plain(format_decimal(Decimal(3), locale=locale)) in text
    assert invoice.stamp is not None and invoice.stamp["uuid"] in text


COMPANY = Company(name="Ferretería del Norte", tax_id="EKU9003173C9")


def one_invoice(mexican: ServiceInMemory) -> tuple[BillingApplication, Invoice]:
    """Customer cust-mx's order-1 shipped and invoiced (three of SKU-A)."""
    mexican.deliver(mexican_customer("cust-mx"), aggregate_version=1)
    mexican.deliver(named_order_confirmed("order-1", "cust-mx"))
    mexican.deliver(goods_issued("gi-1", "order-1", ("SKU-A", 3)))
    return mexican.app, invoice_of(mexican, "gi-1")


@pytest.mark.parametrize(
    ("name", "fonts"),
    [
        ("Ferretería Ñandú", ["standard"]),  # Windows-1252: the standard Helvetica
        ("Almacén № 5", ["standard", "western"]),  # the numero sign: in the Western cut
        ("Łukasz Żółkiewski", ["standard", "western", "wider"]),  # Polish: the wider cut
        ("Ծաղկաձոր ՍՊԸ", ["standard", "western", "wider", "whole"]),  # Armenian: whole font
    ],
)
def test_the_invoice_pdf_draws_every_name_with_the_font_that_has_it(
    mexican: ServiceInMemory, name: str, fonts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, invoice = one_invoice(mexican)
    # A line's note is drawn under its description after a line break, which needs no glyph.
    invoice.lines[0]["note"] = "Entregar en el almacén\ncon cita previa"
    renderer = InvoicePdfRenderer(COMPANY)
    recipient = replace(app.recipient("cust-mx"), name=name)
    drawn: list[str] = []

    cuts = {invoice_pdf.WESTERN_FONT_RANGES: "western", invoice_pdf.SMALL_FONT_RANGES: "wider"}

    class Page(invoice_pdf._Page):
        def __init__(self, font: Font | invoice_pdf.Standard | None) -> None:
            by_covers = {cut.covered: cuts[cut.ranges] for cut in renderer.cuts}
            if isinstance(font, invoice_pdf.Standard):
                drawn.append("standard")
            else:
                drawn.append(by_covers.get(font.covers, "whole") if font else "folded")
            super().__init__(font)

    monkeypatch.setattr(invoice_pdf, "_Page", Page)
    document = renderer.render(invoice, recipient, app.find_receivable(invoice.id))

    text = plain(pdf_text(document))
    assert name in text and "con cita previa" in text
    assert drawn == fonts


def test_an_invoice_pdf_is_drawn_once_per_version_of_what_it_shows(
    mexican: ServiceInMemory,
) -> None:
    app, invoice = one_invoice(mexican)
    renderer = InvoicePdfRenderer(COMPANY)
    recipient = app.recipient("cust-mx")

    first = renderer.render(invoice, recipient, app.find_receivable(invoice.id))
    again = renderer.render(invoice, recipient, app.find_receivable(invoice.id))
    renamed = renderer.render(
        invoice, replace(recipient, name="Ferretería Sur"), app.find_receivable(invoice.id)
    )

    assert again is first  # e.g. a mail's copy to the rep: drawn once
    assert "Ferretería Sur" in plain(pdf_text(renamed))
    assert "Ferretería Sur" not in plain(pdf_text(first))


def test_the_small_font_is_cut_once_into_a_directory_of_the_users_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    whole = _unicode_font(FONT_DIRS)
    assert whole is not None
    first = _SmallFont(whole, SMALL_FONT_RANGES).files()
    again = _SmallFont(whole, SMALL_FONT_RANGES).files()  # another process, or this one again

    assert again == first and all(path.is_file() for path in first)
    directory = first[0].parent
    assert directory.parent == tmp_path and stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert len(list(directory.iterdir())) == 2  # nothing left beside the two fonts
    # A directory of that name that others may enter is not used.
    directory.chmod(0o755)
    elsewhere = _SmallFont(whole, SMALL_FONT_RANGES).files()
    assert elsewhere[0].parent != directory


def test_without_a_writable_temporary_directory_the_pdf_is_drawn_with_the_whole_font(
    mexican: ServiceInMemory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    app, invoice = one_invoice(mexican)

    document = InvoicePdfRenderer(COMPANY).render(
        invoice, app.recipient("cust-mx"), app.find_receivable(invoice.id)
    )

    assert "Ferretería del Norte" in plain(pdf_text(document))

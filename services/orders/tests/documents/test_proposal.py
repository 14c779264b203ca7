"""The proposal PDF read back (pypdf): in each language, with the company and customer,
every line with its note and discount, taxes, totals in the customer's number format,
payment terms and installments."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from oms_kit.settings import Company
from oms_orders.documents.proposal import (
    Party,
    Proposal,
    ProposalLine,
    installments,
    render_proposal,
)
from pypdf import PdfReader

COMPANY = Company(name="Łukasz Ferragens Ltda", tax_id="12.345.678/0001-90", address="Rua A, 1")


def proposal(language: str) -> Proposal:
    return Proposal(
        number="1A2B3C4D",
        revision=2,
        issued_on=date(2026, 12, 3),
        valid_until=date(2026, 12, 31),
        currency="EUR",
        language=language,
        customer=Party(name="Zażółć Gęślą S.A.", tax_id="PL5260001246", email="c@example.com"),
        lines=[
            ProposalLine(
                line_no=1,
                sku="SKU-1",
                name="Parafuso sextavado",
                quantity=Decimal(100),
                unit_price=Decimal("12.3456"),
                discount_percent=Decimal(10),
                discount_amount=None,
                tax_rate=Decimal("0.23"),
                net_amount=Decimal("1111.10"),
                note="entregar na doca 3",
            ),
            ProposalLine(
                line_no=2,
                sku="SKU-2",
                name="Porca M8",
                quantity=Decimal(5),
                unit_price=Decimal("30.00"),
                discount_percent=None,
                discount_amount=Decimal("26.64"),
                tax_rate=Decimal("0.23"),
                net_amount=Decimal("123.36"),
            ),
        ],
        net_total=Decimal("1234.46"),
        tax_total=Decimal("283.93"),
        total=Decimal("1518.39"),
        payment_terms_days=[30, 60],
    )


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    # Babel separates thousands with a no-break space in Polish: read it as a space.
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize(
    ("language", "title", "total", "installment", "valid"),
    [
        ("pt", "Proposta comercial", "€ 1.518,39", "2ª parcela, a 60 dias", "31 de dez. de 2026"),
        ("es", "Propuesta comercial", "1.518,39 €", "Plazo 2, a 60 días", "31 dic 2026"),
        ("pl", "Oferta handlowa", "1 518,39 €", "Rata 2, płatna w ciągu 60 dni", "31 gru 2026"),
        ("en", "Sales proposal", "€1,518.39", "Instalment 2, due in 60 days", "Dec 31, 2026"),
        ("de", "Angebot", "1.518,39 €", "Rate 2, fällig nach 60 Tagen", "31.12.2026"),
    ],
)
def test_the_proposal_reads_in_the_customers_language(
    language: str, title: str, total: str, installment: str, valid: str
) -> None:
    text = text_of(render_proposal(proposal(language), COMPANY))
    for expected in (
        title,
        "1A2B3C4D",
        COMPANY.name,
        COMPANY.tax_id,
        "Zażółć Gęślą S.A.",
        "Parafuso sextavado",
        "SKU-2",
        "Porca M8",
        "entregar na doca 3",
        total,
        installment,
        valid,
    ):
        assert expected in text, f"{expected!r} not in the {language} proposal:\n{text}"


def test_numbers_discounts_and_taxes_follow_the_locale() -> None:
    portuguese = text_of(render_proposal(proposal("pt"), COMPANY))
    assert "€ 1.111,10" in portuguese  # the line's net amount
    assert "10%" in portuguese  # a discount in percent
    assert "€ 26,64" in portuguese  # a discount as an amount
    assert "23%" in portuguese
    assert "€ 283,93" in portuguese  # the taxes
    assert "30 dias / 60 dias" in portuguese
    assert "€ 759,19" in portuguese  # the first of two installments
    english = text_of(render_proposal(proposal("en"), COMPANY))
    assert "€1,234.46" in english
    assert "€759.20" in english  # the last installment takes the rounding's cent


def test_installments_add_up_to_the_total() -> None:
    assert installments(Decimal("100.00"), [30, 60, 90]) == [
        (30, Decimal("33.33")),
        (60, Decimal("33.33")),
        (90, Decimal("33.34")),
    ]
    assert installments(Decimal("10.00"), []) == []


def test_a_long_proposal_runs_over_pages() -> None:
    long = proposal("de")
    many = [
        ProposalLine(
            line_no=n,
            sku=f"SKU-{n}",
            name=f"Artikel {n}",
            quantity=Decimal(1),
            unit_price=Decimal(1),
            discount_percent=None,
            discount_amount=None,
            tax_rate=Decimal("0.19"),
            net_amount=Decimal(1),
            note="Hinweis" if n % 3 == 0 else None,
        )
        for n in range(1, 121)
    ]
    pdf = render_proposal(replace(long, lines=many), COMPANY)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 1
    assert "Artikel 120" in text_of(pdf)
    assert "Seite 2" in text_of(pdf)


def fonts_of(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }


@pytest.mark.parametrize(
    ("language", "customer", "standard"),
    [
        ("de", "Müller & Söhne GmbH", True),  # Windows-1252: the standard Helvetica
        ("pt", "João Conceição Lda", True),
        ("es", "Peña Ibáñez S.L. \u2013 Almacén", True),
        ("pl", "Hurtownia Kowalski", False),  # Polish words: DejaVu
        ("de", "Οικογένεια Παπαδόπουλου", False),  # a Greek name: DejaVu
    ],
)
def test_the_proposal_is_drawn_with_the_standard_font_where_its_texts_allow(
    language: str, customer: str, standard: bool
) -> None:
    western = Company(name="Ferragens Dias Ltda", tax_id="12.345.678/0001-90", address="Rua A")
    buyer = Party(name=customer, tax_id="X1", email="c@example.com")
    pdf = render_proposal(replace(proposal(language), customer=buyer), western)

    fonts = fonts_of(pdf)
    if standard:
        assert fonts == {"/Helvetica", "/Helvetica-Bold"}  # nothing embedded
    else:
        assert fonts and all("DejaVu" in font for font in fonts)
    assert customer in text_of(pdf) and "Ferragens Dias Ltda" in text_of(pdf)

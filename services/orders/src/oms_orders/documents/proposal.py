"""The proposal PDF (``GET /quotes/{id}/pdf``): the quote as the customer reads it, in his
language, with numbers, money and dates formatted for it (Babel).

Rendered with fpdf2: pure Python, so the service needs no system library (WeasyPrint
would need Pango and its fonts on every machine), and fast enough to make the PDF on
every request rather than keep a copy that a revision would make stale (``make bench``
has the figure). The words are the per-language templates beside this module
(``templates/proposal.<language>.toml``). The typeface is the PDF's standard Helvetica
when every text is in Windows-1252 (Portuguese, Spanish, English and German proposals):
nothing to read, subset and embed, a third of the time; otherwise (Polish, or a name in
another script) the DejaVu Sans kept in ``fonts/``, which has every letter of the five
languages."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_DOWN, Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.errors import FPDFUnicodeEncodingException
from oms_kit.settings import Company

HERE = Path(__file__).parent
LANGUAGES = ("pt", "es", "pl", "en", "de")
#: The locale each language's documents are formatted in.
LOCALES = {"pt": "pt_BR", "es": "es_ES", "pl": "pl_PL", "en": "en_US", "de": "de_DE"}
FONT = "DejaVu"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Party:
    name: str
    tax_id: str = ""
    email: str = ""


@dataclass(frozen=True)
class ProposalLine:
    line_no: int
    sku: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal | None
    discount_amount: Decimal | None
    tax_rate: Decimal
    net_amount: Decimal
    note: str | None = None


@dataclass(frozen=True)
class Proposal:
    number: str
    revision: int
    issued_on: date
    valid_until: date | None
    currency: str
    language: str
    customer: Party
    lines: list[ProposalLine]
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    payment_terms_days: list[int] = field(default_factory=list)


@cache
def wording(language: str) -> dict[str, str]:
    """The proposal's words in ``language`` (English for one without a template)."""
    path = HERE / "templates" / f"proposal.{language if language in LANGUAGES else 'en'}.toml"
    with path.open("rb") as file:
        return {key: str(value) for key, value in tomllib.load(file).items()}


def installments(total: Decimal, terms_days: list[int]) -> list[tuple[int, Decimal]]:
    """The total split over the payment terms (days after the invoice) in equal parts to
    the cent, the last taking what the rounding left."""
    if not terms_days:
        return []
    part = (total / len(terms_days)).quantize(CENT, rounding=ROUND_DOWN)
    amounts = [part] * (len(terms_days) - 1) + [total - part * (len(terms_days) - 1)]
    return list(zip(terms_days, amounts, strict=True))


class _Formats:
    def __init__(self, language: str, currency: str) -> None:
        self.locale = LOCALES.get(language, "en_US")
        self.currency = currency

    def money(self, amount: Decimal) -> str:
        return format_currency(amount, self.currency, locale=self.locale)

    def number(self, value: Decimal) -> str:
        return format_decimal(
            value.normalize() if value == value.to_integral() else value, locale=self.locale
        )

    def percent(self, rate: Decimal) -> str:
        return format_percent(rate, format="#,##0.##%", locale=self.locale)

    def day(self, value: date) -> str:
        return format_date(value, format="medium", locale=self.locale)


def render_proposal(proposal: Proposal, company: Company) -> bytes:
    """The proposal as a PDF document: with the standard font, or with DejaVu when a
    text has a character the standard font lacks."""
    try:
        return _render(proposal, company, embedded=False)
    except FPDFUnicodeEncodingException:
        return _render(proposal, company, embedded=True)


def _render(proposal: Proposal, company: Company, *, embedded: bool) -> bytes:
    words = wording(proposal.language)
    fmt = _Formats(proposal.language, proposal.currency)
    pdf = _Document(words, embedded=embedded)
    pdf.set_title(f"{words['title']} {proposal.number}")
    pdf.set_author(company.name)
    pdf.set_creation_date(datetime.combine(proposal.issued_on, time(), UTC))
    pdf.add_page()

    pdf.set_font(pdf.family, "B", 16)
    pdf.cell(0, 9, words["title"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(pdf.family, "", 10)
    pdf.cell(
        0,
        6,
        f"{words['number']} {proposal.number} ({words['revision']} {proposal.revision})",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    validity = (
        f"{words['valid_until']}: {fmt.day(proposal.valid_until)}"
        if proposal.valid_until
        else words["no_validity"]
    )
    pdf.cell(
        0,
        6,
        f"{words['issued_on']}: {fmt.day(proposal.issued_on)}    {validity}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(4)

    # Who sends it and to whom, side by side.
    supplier = [company.name]
    if company.tax_id:
        supplier.append(f"{words['tax_id']}: {company.tax_id}")
    supplier += [x for x in (company.address, company.postal_code) if x]
    supplier += [x for x in (company.email, company.phone) if x]
    customer = [proposal.customer.name]
    if proposal.customer.tax_id:
        customer.append(f"{words['tax_id']}: {proposal.customer.tax_id}")
    if proposal.customer.email:
        customer.append(proposal.customer.email)
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    top = pdf.get_y()
    for column, (heading, rows) in enumerate(
        ((words["supplier"], supplier), (words["customer"], customer))
    ):
        pdf.set_xy(pdf.l_margin + column * half, top)
        pdf.set_font(pdf.family, "B", 10)
        pdf.cell(half, 6, heading, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(pdf.family, "", 9)
        pdf.multi_cell(half - 4, 5, "\n".join(rows), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), top + 30))
    pdf.ln(4)

    # The lines, each with its note under the product.
    pdf.set_font(pdf.family, "", 8.5)
    with pdf.table(
        col_widths=(8, 62, 14, 24, 20, 14, 28),
        text_align=("RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=4.6,
        first_row_as_headings=True,
    ) as table:
        table.row(
            [
                words["line"],
                words["product"],
                words["quantity"],
                words["unit_price"],
                words["discount"],
                words["tax"],
                words["amount"],
            ]
        )
        for line in proposal.lines:
            product = f"{line.name}\n{line.sku}"
            if line.note:
                product += f"\n{words['note']}: {line.note}"
            if line.discount_percent is not None:
                discount = fmt.percent(line.discount_percent / 100)
            elif line.discount_amount is not None:
                discount = fmt.money(line.discount_amount)
            else:
                discount = ""
            table.row(
                [
                    str(line.line_no),
                    product,
                    fmt.number(line.quantity),
                    fmt.money(line.unit_price),
                    discount,
                    fmt.percent(line.tax_rate),
                    fmt.money(line.net_amount),
                ]
            )
    pdf.ln(3)

    # Totals, right-aligned.
    for label, amount, style in (
        (words["net_total"], proposal.net_total, ""),
        (words["tax_total"], proposal.tax_total, ""),
        (words["total"], proposal.total, "B"),
    ):
        pdf.set_font(pdf.family, style, 10)
        pdf.cell(
            0, 6, f"{label}: {fmt.money(amount)}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    pdf.ln(4)

    # Payment terms and the installments they make.
    if proposal.payment_terms_days:
        pdf.set_font(pdf.family, "B", 10)
        terms = " / ".join(words["days"].format(days=d) for d in proposal.payment_terms_days)
        pdf.cell(0, 6, f"{words['payment_terms']}: {terms}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(pdf.family, "", 9)
        for number, (days, amount) in enumerate(
            installments(proposal.total, proposal.payment_terms_days), start=1
        ):
            pdf.cell(
                0,
                5,
                f"{words['installment'].format(number=number, days=days)}: {fmt.money(amount)}",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        pdf.ln(4)
    pdf.set_font(pdf.family, "", 9)
    pdf.multi_cell(0, 5, words["closing"])
    return bytes(pdf.output())


class _Document(FPDF):
    def __init__(self, words: dict[str, str], *, embedded: bool) -> None:
        super().__init__(format="A4")
        self.words = words
        #: The standard Helvetica draws Windows-1252 only: fpdf2 raises
        #: ``FPDFUnicodeEncodingException`` for a text with anything else.
        self.family = "Helvetica"
        self.core_fonts_encoding = "cp1252"
        if embedded:
            self.add_font(FONT, "", str(HERE / "fonts" / "DejaVuSans.ttf"))
            self.add_font(FONT, "B", str(HERE / "fonts" / "DejaVuSans-Bold.ttf"))
            self.family = FONT
        self.set_auto_page_break(auto=True, margin=18)

    def normalize_text(self, text: str) -> str:
        # Babel's narrow no-break space (in some locales' numbers) is a no-break space
        # to the standard font, which lacks the narrow one.
        if not self.is_ttf_font:
            text = text.replace("\u202f", "\u00a0")
        return super().normalize_text(text)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.family, "", 8)
        self.cell(0, 6, self.words["page"].format(page=self.page_no()), align="C")

"""The invoice PDF, drawn with fpdf2 (pure Python: no system libraries to install, a page
in milliseconds) in the customer's language, numbers, dates and money formatted for it
with Babel. One renderer for this document type; the layout is code, the words are the
table ``LABELS``."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import stat
import tempfile
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from fontTools import subset, ttLib
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from oms_kit.settings import Company

from oms_billing.application.documents import Recipient
from oms_billing.domain.invoice import Invoice
from oms_billing.domain.money import tax_fraction
from oms_billing.domain.receivable import Receivable

log = logging.getLogger(__name__)

#: Documents kept per process, the latest drawn (about 20 kB each).
KEPT_DOCUMENTS = 64

#: The locale each document language is formatted in.
LOCALES = {"pt": "pt_BR", "es": "es_MX", "pl": "pl_PL", "en": "en_US", "de": "de_DE"}

LABELS: dict[str, dict[str, str]] = {
    "invoice": {
        "pt": "Fatura",
        "es": "Factura",
        "pl": "Faktura",
        "en": "Invoice",
        "de": "Rechnung",
    },
    "issued": {
        "pt": "Emissão",
        "es": "Fecha de emisión",
        "pl": "Data wystawienia",
        "en": "Issued",
        "de": "Rechnungsdatum",
    },
    "order": {"pt": "Pedido", "es": "Pedido", "pl": "Zamówienie", "en": "Order", "de": "Auftrag"},
    "customer": {
        "pt": "Cliente",
        "es": "Cliente",
        "pl": "Nabywca",
        "en": "Customer",
        "de": "Kunde",
    },
    "tax_id": {
        "pt": "CNPJ/CPF",
        "es": "RFC",
        "pl": "NIP",
        "en": "Tax id",
        "de": "Steuernummer",
    },
    "sku": {"pt": "Código", "es": "Clave", "pl": "Kod", "en": "SKU", "de": "Artikel"},
    "description": {
        "pt": "Descrição",
        "es": "Descripción",
        "pl": "Opis",
        "en": "Description",
        "de": "Beschreibung",
    },
    "quantity": {"pt": "Qtd.", "es": "Cant.", "pl": "Ilość", "en": "Qty", "de": "Menge"},
    "unit_price": {
        "pt": "Preço unit.",
        "es": "Precio unit.",
        "pl": "Cena jedn.",
        "en": "Unit price",
        "de": "Einzelpreis",
    },
    "net": {"pt": "Valor", "es": "Importe", "pl": "Netto", "en": "Net", "de": "Netto"},
    "tax_rate": {"pt": "Imposto", "es": "IVA", "pl": "VAT", "en": "Tax", "de": "USt."},
    "tax": {
        "pt": "Valor imposto",
        "es": "Importe IVA",
        "pl": "Kwota VAT",
        "en": "Tax amount",
        "de": "USt.-Betrag",
    },
    "taxes": {"pt": "Impostos", "es": "Impuestos", "pl": "Podatki", "en": "Taxes", "de": "Steuern"},
    "net_total": {
        "pt": "Subtotal",
        "es": "Subtotal",
        "pl": "Razem netto",
        "en": "Net total",
        "de": "Nettobetrag",
    },
    "tax_total": {
        "pt": "Total de impostos",
        "es": "Total de impuestos",
        "pl": "Razem VAT",
        "en": "Tax total",
        "de": "Steuerbetrag",
    },
    "total": {
        "pt": "Total",
        "es": "Total",
        "pl": "Do zapłaty",
        "en": "Total",
        "de": "Gesamtbetrag",
    },
    "terms": {
        "pt": "Condições de pagamento",
        "es": "Condiciones de pago",
        "pl": "Warunki płatności",
        "en": "Payment terms",
        "de": "Zahlungsbedingungen",
    },
    "days": {"pt": "dias", "es": "días", "pl": "dni", "en": "days", "de": "Tage"},
    "installment": {
        "pt": "Parcela",
        "es": "Parcialidad",
        "pl": "Rata",
        "en": "Installment",
        "de": "Rate",
    },
    "due": {
        "pt": "Vencimento",
        "es": "Vencimiento",
        "pl": "Termin",
        "en": "Due",
        "de": "Fällig am",
    },
    "fiscal_folio": {
        "pt": "Chave fiscal",
        "es": "Folio fiscal (UUID)",
        "pl": "Numer KSeF",
        "en": "Fiscal folio",
        "de": "Steuerliche Kennung",
    },
    "stamped_at": {
        "pt": "Autorizada em",
        "es": "Fecha de certificación",
        "pl": "Data nadania",
        "en": "Stamped at",
        "de": "Gestempelt am",
    },
    "stamp": {
        "pt": "Assinatura da autorização",
        "es": "Sello digital del SAT",
        "pl": "Podpis",
        "en": "Stamp",
        "de": "Stempel",
    },
    "provider": {
        "pt": "Autorizador",
        "es": "PAC",
        "pl": "Dostawca",
        "en": "Provider",
        "de": "Anbieter",
    },
    "not_stamped": {
        "pt": "Ainda não autorizada",
        "es": "Aún no timbrada",
        "pl": "Jeszcze nie zatwierdzona",
        "en": "Not stamped yet",
        "de": "Noch nicht gestempelt",
    },
}

#: A Unicode TrueType font when the machine has one (Polish needs more than Latin-1);
#: otherwise the PDF's core Helvetica, with characters it lacks transliterated.
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)


@dataclass(frozen=True)
class Formats:
    """Numbers, money and dates as the document's language writes them."""

    language: str
    currency: str

    @property
    def locale(self) -> str:
        return LOCALES.get(self.language, "en_US")

    def label(self, key: str) -> str:
        return LABELS[key].get(self.language) or LABELS[key]["en"]

    def money(self, amount: Decimal) -> str:
        return format_currency(amount, self.currency, locale=self.locale)

    def number(self, value: Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, rate: Decimal) -> str:
        return format_percent(tax_fraction(rate), format="#,##0.##%", locale=self.locale)

    def day(self, value: date) -> str:
        return format_date(value, format="short", locale=self.locale)

    def moment(self, value: datetime) -> str:
        return format_datetime(value, format="short", locale=self.locale, tzinfo=value.tzinfo)


class InvoicePdfRenderer:
    """Renders ``InvoicePdf``: one A4 page per screenful of lines, fpdf2 breaking pages."""

    def __init__(
        self,
        company: Company,
        font_dirs: tuple[str, ...] = FONT_DIRS,
        *,
        kept: int = KEPT_DOCUMENTS,
    ) -> None:
        self.company = company
        self.kept = kept
        self.font = _unicode_font(font_dirs)
        #: The cut-down copies, tried smallest first.
        self.cuts = tuple(_SmallFont(self.font, ranges) for ranges in CUTS) if self.font else ()
        self._kept: OrderedDict[Hashable, bytes] = OrderedDict()
        self._kept_lock = threading.Lock()

    def render(
        self, invoice: Invoice, recipient: Recipient, receivable: Receivable | None
    ) -> bytes:
        """The PDF of the invoice, its recipient and receivable as they are now. One drawn
        for the same versions of the three is handed out again: the copies of a mail (the
        rep's, CC addresses), a mail sent again and the portal's downloads ask for the
        same document."""
        key = (
            invoice.id,
            invoice.version,
            recipient,
            None if receivable is None else (receivable.id, receivable.version),
        )
        with self._kept_lock:
            document = self._kept.get(key)
            if document is not None:
                self._kept.move_to_end(key)
                return document
        document = self._draw(invoice, recipient, receivable)
        with self._kept_lock:
            self._kept[key] = document
            while len(self._kept) > self.kept:
                self._kept.popitem(last=False)
        return document

    def _draw(self, invoice: Invoice, recipient: Recipient, receivable: Receivable | None) -> bytes:
        """The PDF, drawn with the first font that has every character of its texts: the
        PDF's standard Helvetica (Windows-1252: Spanish, Portuguese, German and English
        documents), then the cuts of DejaVu, smallest first, then the whole of it. A text
        with a character a font lacks sends the document to the next."""
        if self.font:
            with contextlib.suppress(_NotCovered):
                return self._document(STANDARD, invoice, recipient, receivable)
        for cut in self.cuts:
            try:
                small = Font(*cut.files(), covers=cut.covered)
                return self._document(small, invoice, recipient, receivable)
            except _NotCovered:
                continue
            except OSError as exc:  # a cut could not be written: slower, not broken
                log.warning("invoice PDF drawn with the whole font: %s", exc)
                break
        whole = Font(*self.font) if self.font else None
        return self._document(whole, invoice, recipient, receivable)

    def _document(
        self,
        font: Font | Standard | None,
        invoice: Invoice,
        recipient: Recipient,
        receivable: Receivable | None,
    ) -> bytes:
        formats = Formats(recipient.language or self.company.language, invoice.currency)
        pdf = _Page(font)
        pdf.set_title(f"{formats.label('invoice')} {invoice.number}")
        pdf.set_author(self.company.name)
        pdf.set_creation_date(invoice.issued_at)
        pdf.add_page()
        self._header(pdf, invoice, recipient, formats)
        self._lines(pdf, invoice, formats)
        self._totals(pdf, invoice, formats)
        self._terms(pdf, invoice, receivable, formats)
        self._stamp(pdf, invoice, formats)
        return bytes(pdf.output())

    def _header(self, pdf: _Page, invoice: Invoice, recipient: Recipient, f: Formats) -> None:
        company = self.company
        pdf.style(16, bold=True)
        pdf.line_of(f"{f.label('invoice')} {invoice.number}", height=9)
        pdf.style(9)
        pdf.line_of(f"{f.label('issued')}: {f.day(invoice.issued_at.date())}")
        pdf.line_of(f"{f.label('order')}: {invoice.order_id}")
        pdf.ln(3)
        pdf.style(11, bold=True)
        pdf.line_of(company.name)
        pdf.style(9)
        for text in (
            f"{f.label('tax_id')}: {company.tax_id}" if company.tax_id else "",
            " ".join(part for part in (company.address, company.postal_code) if part),
            " · ".join(part for part in (company.email, company.phone) if part),
        ):
            if text:
                pdf.line_of(text)
        pdf.ln(3)
        pdf.style(9, bold=True)
        pdf.line_of(f"{f.label('customer')}:")
        pdf.style(11, bold=True)
        pdf.line_of(recipient.name or recipient.customer_id)
        pdf.style(9)
        if recipient.tax_id:
            pdf.line_of(f"{f.label('tax_id')}: {recipient.tax_id}")
        if recipient.postal_code:
            pdf.line_of(recipient.postal_code)
        pdf.ln(4)

    def _lines(self, pdf: _Page, invoice: Invoice, f: Formats) -> None:
        pdf.style(8)
        headings = [
            "#",
            f.label("sku"),
            f.label("description"),
            f.label("quantity"),
            f.label("unit_price"),
            f.label("net"),
            f.label("tax_rate"),
            f.label("tax"),
        ]
        with pdf.table(
            col_widths=(6, 20, 52, 14, 24, 26, 14, 24),
            text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
            line_height=5,
        ) as table:
            heading = table.row()
            for text in headings:
                heading.cell(pdf.safe(text))
            for line in invoice.lines:
                description = str(line.get("name") or line["sku"])
                if line.get("note"):
                    description += f"\n{line['note']}"
                row = table.row()
                for text in (
                    str(line["line_no"]),
                    str(line["sku"]),
                    description,
                    f.number(Decimal(line["quantity"])),
                    f.money(Decimal(line["unit_price"])),
                    f.money(Decimal(line["net_amount"])),
                    f.percent(Decimal(line["tax_rate"])),
                    f.money(Decimal(line["tax_amount"])),
                ):
                    row.cell(pdf.safe(text))
        pdf.ln(3)

    def _totals(self, pdf: _Page, invoice: Invoice, f: Formats) -> None:
        by_rate: dict[Decimal, list[Decimal]] = {}
        for line in invoice.lines:
            base_tax = by_rate.setdefault(Decimal(line["tax_rate"]), [Decimal(0), Decimal(0)])
            base_tax[0] += Decimal(line["net_amount"])
            base_tax[1] += Decimal(line["tax_amount"])
        pdf.style(9, bold=True)
        pdf.line_of(f"{f.label('taxes')}:")
        pdf.style(9)
        for rate, (base, tax) in sorted(by_rate.items()):
            pdf.line_of(f"{f.percent(rate)}  {f.money(base)}  ->  {f.money(tax)}")
        pdf.ln(2)
        for key, amount, bold in (
            ("net_total", invoice.net_total, False),
            ("tax_total", invoice.tax_total, False),
            ("total", invoice.total, True),
        ):
            pdf.style(11 if bold else 9, bold=bold)
            pdf.line_of(f"{f.label(key)}: {f.money(amount)}", align="R")
        pdf.ln(3)

    def _terms(
        self, pdf: _Page, invoice: Invoice, receivable: Receivable | None, f: Formats
    ) -> None:
        installments: list[dict[str, Any]] = receivable.installments if receivable else []
        if not installments:
            return
        issued_on = invoice.issued_at.date()
        days = [(_day(i["due_on"]) - issued_on).days for i in installments]
        pdf.style(9, bold=True)
        terms = "/".join(f.number(Decimal(d)) for d in days)
        pdf.line_of(f"{f.label('terms')}: {terms} {f.label('days')}")
        pdf.style(9)
        for installment in installments:
            pdf.line_of(
                f"{f.label('installment')} {installment['number']}: "
                f"{f.label('due')} {f.day(_day(installment['due_on']))}  "
                f"{f.money(Decimal(installment['amount']))}"
            )
        pdf.ln(3)

    def _stamp(self, pdf: _Page, invoice: Invoice, f: Formats) -> None:
        stamp = invoice.stamp
        pdf.style(9, bold=True)
        if stamp is None:
            pdf.line_of(f.label("not_stamped"))
            return
        pdf.line_of(f"{f.label('fiscal_folio')}: {stamp['uuid']}")
        pdf.style(8)
        stamped_at = stamp["stamped_at"]
        if isinstance(stamped_at, str):
            stamped_at = datetime.fromisoformat(stamped_at)
        pdf.line_of(f"{f.label('stamped_at')}: {f.moment(stamped_at)}")
        pdf.line_of(f"{f.label('provider')}: {stamp['provider']}")
        pdf.line_of(f"{f.label('stamp')}:")
        pdf.style(6)
        pdf.multi_cell(0, 3, pdf.safe(stamp["signature"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _unicode_font(font_dirs: tuple[str, ...]) -> tuple[Path, Path] | None:
    for directory in font_dirs:
        regular = Path(directory) / "DejaVuSans.ttf"
        bold = Path(directory) / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


#: What the first cut draws: Western European text (Latin-1 and the letters Windows-1252
#: adds: Œ, Š, Ÿ, Ž), punctuation, currency signs, No and TM. About 360 glyphs: a document
#: costs about a quarter less than with the wider cut (fpdf2 reads and subsets every glyph
#: of the file per document).
WESTERN_FONT_RANGES = (
    (0x0020, 0x007E),
    (0x00A0, 0x00FF),
    (0x0152, 0x0153),
    (0x0160, 0x0161),
    (0x0178, 0x0178),
    (0x017D, 0x017E),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2116, 0x2116),
    (0x2122, 0x2122),
)
#: What the wider cut draws: Latin (with every accent our languages use: Polish too),
#: Greek, Cyrillic, punctuation, currency signs and letterlike symbols.
SMALL_FONT_RANGES = (
    (0x0020, 0x024F),
    (0x0370, 0x03FF),
    (0x0400, 0x04FF),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2100, 0x214F),
)
CUTS = (WESTERN_FONT_RANGES, SMALL_FONT_RANGES)


@dataclass(frozen=True)
class Font:
    """The regular and bold files of a TrueType font, and the characters it draws (None:
    whatever the file has)."""

    regular: Path
    bold: Path
    covers: frozenset[int] | None = None


#: Characters fpdf2 breaks a cell's lines at, with no glyph.
LINE_BREAKS = frozenset(map(ord, "\r\n"))


class Standard:
    """The PDF's standard Helvetica, which every reader has: nothing to read, cut or embed,
    so a document costs half of one with the smallest cut of DejaVu (and weighs a sixth).
    It draws Windows-1252 only (``covers``); the narrow no-break space Babel puts in some
    numbers is drawn as a no-break space."""

    covers = frozenset(
        ord(char)
        for char in bytes(range(0x20, 0x100)).decode("cp1252", errors="ignore")
        if char != "\x7f"
    )


#: The standard font, drawing only what it has.
STANDARD = Standard()
STANDARD_DRAWS = Standard.covers | LINE_BREAKS


def _folded(char: str) -> str:
    """A character without its accents, as far as the standard font draws that."""
    return "".join(
        part
        for part in unicodedata.normalize("NFKD", char)
        if ord(part) in STANDARD_DRAWS and not unicodedata.combining(part)
    )


class _SmallFont:
    """DejaVu cut down to a few ranges of characters, kept as files fpdf2 can open.

    fpdf2 reads every glyph of a TrueType file for each document and subsets it again when
    it writes one: with DejaVu's 6,000 glyphs that was most of an invoice's CPU (about 45 of
    65 ms). A cut-down copy has a few hundred to 1,200 and no shaping or hinting tables
    (fpdf2 draws without text shaping), so a document costs less than half.

    fpdf2 opens fonts by path only, so the copies are files: in a directory of this user's
    (``oms-invoice-fonts-<uid>`` in the temporary directory, refused unless it is the
    user's own and closed to others), named by what they are cut from, so a process started
    again (or killed without cleaning up) finds them there instead of leaving another."""

    def __init__(self, whole: tuple[Path, Path], ranges: tuple[tuple[int, int], ...]) -> None:
        self.whole = whole
        self.ranges = ranges
        self.covered = frozenset(c for low, high in ranges for c in range(low, high + 1))
        self._lock = threading.Lock()
        self._files: tuple[Path, Path] | None = None

    def files(self) -> tuple[Path, Path]:
        with self._lock:
            if self._files is None:
                out = _private_directory(f"oms-invoice-fonts-{os.getuid()}")
                self._files = (self._cut(self.whole[0], out), self._cut(self.whole[1], out))
            return self._files

    def _cut(self, source: Path, directory: Path) -> Path:
        data = source.read_bytes()
        digest = hashlib.sha256(data + repr(self.ranges).encode()).hexdigest()[:16]
        target = directory / f"{source.stem}-{digest}.ttf"
        if target.is_file():
            return target
        options = subset.Options()
        options.notdef_outline = True
        options.layout_features = []
        options.hinting = False
        options.drop_tables += ["FFTM", "GDEF", "GPOS", "GSUB", "MATH"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(self.covered))
        font = ttLib.TTFont(io.BytesIO(data))
        subsetter.subset(font)
        # Written aside and renamed: a process reading it never sees half a file.
        with tempfile.NamedTemporaryFile(dir=directory, suffix=".ttf", delete=False) as part:
            font.save(part)
        os.replace(part.name, target)
        return target


def _private_directory(name: str) -> Path:
    """``name`` in the temporary directory, made if missing, and only if it is this user's
    own real directory that nobody else may enter; otherwise a fresh one of its own."""
    path = Path(tempfile.gettempdir()) / name
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = path.lstat()
    if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077:
        return path
    return Path(tempfile.mkdtemp(prefix=f"{name}-"))


class _NotCovered(Exception):
    """A text has a character the font tried (the standard one, or a cut) does not draw."""


class _Page(FPDF):
    """fpdf2's document with this renderer's fonts and a few helpers."""

    def __init__(self, font: Font | Standard | None) -> None:
        super().__init__(format="A4")
        self.unicode = isinstance(font, Font)
        # A line break is laid out, not drawn: a text with one (a line's description and its
        # note, such as "Entrega parcial") is no reason to draw the document again with the
        # whole font.
        self.covers = None if font is None or font.covers is None else font.covers | LINE_BREAKS
        self.family = "Helvetica"
        self.core_fonts_encoding = "cp1252"
        if isinstance(font, Font):
            self.add_font("DejaVu", "", str(font.regular))
            self.add_font("DejaVu", "B", str(font.bold))
            self.family = "DejaVu"
        self.set_auto_page_break(auto=True, margin=15)

    def style(self, size: float, *, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)

    def safe(self, text: str) -> str:
        """The text as the current font can draw it; ``_NotCovered`` if the font lacks
        one of its characters. Without any font file (``None``), the standard font draws
        what Windows-1252 lacks without its accents, or leaves it out."""
        if not self.unicode:
            text = text.replace("\u202f", "\u00a0")
        if self.covers is not None:
            if not self.covers.issuperset(map(ord, text)):
                raise _NotCovered(text)
            return text
        if self.unicode:
            return text
        return "".join(char if ord(char) in STANDARD_DRAWS else _folded(char) for char in text)

    def line_of(self, text: str, *, height: float = 5, align: str = "L") -> None:
        self.multi_cell(
            0, height, self.safe(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

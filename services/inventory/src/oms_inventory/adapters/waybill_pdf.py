"""The waybill of a shipment, drawn with fpdf2 (as billing's invoices and orders'
proposals are): sender, carrier and service, the tracking number as a Code 39 barcode and
in text, the parcels with their weights, and what the goods issue holds."""

from __future__ import annotations

import unicodedata

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from oms_kit.settings import Company

from oms_inventory.domain import Shipment


def _text(value: object) -> str:
    """The core fonts' Latin-1: accents kept where it has them, others dropped."""
    normal = unicodedata.normalize("NFKC", str(value))
    return normal.encode("latin-1", "ignore").decode("latin-1")


def _number(value: object) -> str:
    return format(value, "f").rstrip("0").rstrip(".") if "." in format(value, "f") else str(value)


class WaybillPdfRenderer:
    def __init__(self, company: Company) -> None:
        self.company = company

    def render(self, shipment: Shipment) -> bytes:
        pdf = FPDF(format="A5")
        pdf.set_auto_page_break(auto=True, margin=12)
        pdf.set_title(f"Waybill {shipment.tracking_number}")
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(0, 9, "Waybill", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 10)
        rows = [
            ("Sender", self.company.name),
            ("Carrier", shipment.carrier),
            ("Service", shipment.service or "-"),
            ("Order", shipment.order_id),
            ("Goods issue", shipment.goods_issue_id),
            ("Parcels", f"{len(shipment.weights)} ({_number(shipment.total_weight)} kg)"),
        ]
        for label, value in rows:
            pdf.cell(30, 6, _text(label))
            pdf.cell(0, 6, _text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
        pdf.code39(f"*{shipment.tracking_number}*", x=pdf.l_margin, y=pdf.get_y(), w=1, h=18)
        pdf.set_y(pdf.get_y() + 20)
        pdf.set_font("Courier", "B", 14)
        pdf.cell(0, 8, shipment.tracking_number, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "B", 10)
        pdf.ln(2)
        pdf.cell(0, 6, "Parcels", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 10)
        for number, weight in enumerate(shipment.weights, start=1):
            pdf.cell(0, 5, f"{number}. {_number(weight)} kg", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "B", 10)
        pdf.ln(2)
        pdf.cell(0, 6, "Contents", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 10)
        for line in shipment.lines:
            pdf.cell(
                0,
                5,
                _text(f"{line.sku}  x {_number(line.quantity)}  (lot {line.lot})"),
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        return bytes(pdf.output())

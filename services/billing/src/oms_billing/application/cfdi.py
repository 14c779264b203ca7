"""The invoice as a small CFDI-like XML document: what the stamping provider signs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from oms_billing.domain.invoice import Invoice
from oms_billing.domain.money import tax_fraction

CFDI_NS = "http://www.sat.gob.mx/cfd/4"


def _money(amount: Decimal) -> str:
    return format(amount, "f")


def invoice_xml(invoice: Invoice, issuer: str) -> bytes:
    """The invoice's document, deterministic for the same invoice."""
    ET.register_namespace("cfdi", CFDI_NS)
    series, _, folio = invoice.number.rpartition("-")
    root = ET.Element(
        f"{{{CFDI_NS}}}Comprobante",
        {
            "Version": "4.0",
            "Serie": series,
            "Folio": folio,
            "Fecha": invoice.issued_at.isoformat(),
            "Moneda": invoice.currency,
            "SubTotal": _money(invoice.net_total),
            "Total": _money(invoice.total),
            "TipoDeComprobante": "I",
            "InvoiceId": str(invoice.id),
            "Pedido": invoice.order_id,
            "Remision": invoice.goods_issue_id,
        },
    )
    ET.SubElement(root, f"{{{CFDI_NS}}}Emisor", {"Nombre": issuer})
    ET.SubElement(root, f"{{{CFDI_NS}}}Receptor", {"Id": invoice.customer_id})
    concepts = ET.SubElement(root, f"{{{CFDI_NS}}}Conceptos")
    for line in invoice.lines:
        concept = ET.SubElement(
            concepts,
            f"{{{CFDI_NS}}}Concepto",
            {
                "NoIdentificacion": str(line["sku"]),
                "Cantidad": str(line["quantity"]),
                "ValorUnitario": _money(line["unit_price"]),
                "Importe": _money(line["net_amount"]),
            },
        )
        taxes = ET.SubElement(concept, f"{{{CFDI_NS}}}Impuestos")
        ET.SubElement(
            taxes,
            f"{{{CFDI_NS}}}Traslado",
            {
                "Base": _money(line["net_amount"]),
                "TasaOCuota": _money(tax_fraction(line["tax_rate"])),
                "Importe": _money(line["tax_amount"]),
            },
        )
    ET.SubElement(
        root,
        f"{{{CFDI_NS}}}Impuestos",
        {"TotalImpuestosTrasladados": _money(invoice.tax_total)},
    )
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document

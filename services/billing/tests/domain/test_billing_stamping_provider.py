"""The local stamping provider really signs: the signature verifies, a tampered document
does not; and the invoice document carries the invoice."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from oms_billing.adapters.stamping import LocalStampingProvider
from oms_billing.application.cfdi import CFDI_NS, invoice_xml
from oms_billing.domain.invoice import Invoice


def an_invoice() -> Invoice:
    return Invoice(
        goods_issue_id="gi-1",
        number="A-000007",
        order_id="o-1",
        customer_id="c-1",
        currency="MXN",
        lines=[
            {
                "line_no": 1,
                "sku": "SKU-1",
                "quantity": Decimal("2"),
                "unit_price": Decimal("50.0000"),
                "net_amount": Decimal("100.00"),
                "tax_rate": Decimal("0.16"),
                "tax_amount": Decimal("16.00"),
            }
        ],
        net_total=Decimal("100.00"),
        tax_total=Decimal("16.00"),
        total=Decimal("116.00"),
        issued_at=datetime(2025, 1, 10, tzinfo=UTC),
    )


def test_the_invoice_document_carries_number_totals_and_lines() -> None:
    doc = ET.fromstring(invoice_xml(an_invoice(), "OMS"))
    assert doc.tag == f"{{{CFDI_NS}}}Comprobante"
    assert (doc.get("Serie"), doc.get("Folio"), doc.get("Total")) == ("A", "000007", "116.00")
    concept = doc.find(f"{{{CFDI_NS}}}Conceptos/{{{CFDI_NS}}}Concepto")
    assert concept is not None
    assert (concept.get("NoIdentificacion"), concept.get("Importe")) == ("SKU-1", "100.00")


def test_a_stamp_verifies_and_a_tampered_document_does_not() -> None:
    provider = LocalStampingProvider.generate()
    document = invoice_xml(an_invoice(), "OMS")
    stamp = provider.stamp(document)
    assert stamp.provider == "local-rsa"
    assert stamp.stamped_at.tzinfo is not None
    assert len(stamp.uuid) == 36
    assert provider.verify(document, stamp.signature)
    tampered = document.replace(b'Total="116.00"', b'Total="16.00"')
    assert tampered != document
    assert not provider.verify(tampered, stamp.signature)
    assert not LocalStampingProvider.generate().verify(document, stamp.signature)


def test_the_key_can_come_from_a_pem_file(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "stamping.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = LocalStampingProvider.from_file(path)
    document = b"<doc/>"
    assert LocalStampingProvider(key).verify(document, signer.stamp(document).signature)

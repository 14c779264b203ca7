"""Checks of a CFDI 4.0 made independently of the code that made it: SAT's cfdv40.xsd
(with the TimbreFiscalDigital 1.1 schema) through lxml, the Sello against the certificate
the CFDI carries over the original string of SAT's XSLT, the stamp's SelloSAT against the
provider's certificate over the stamp's own original string."""

from __future__ import annotations

import base64
from pathlib import Path

import satcfdi
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

SAT = Path(satcfdi.__file__).parent / "transform/schemas/www.sat.gob.mx/sitio_internet/cfd"
CFDI_NS = "http://www.sat.gob.mx/cfd/4"
TFD_NS = "http://www.sat.gob.mx/TimbreFiscalDigital"
NS = {"cfdi": CFDI_NS, "tfd": TFD_NS}

_schema: etree.XMLSchema | None = None


def schema() -> etree.XMLSchema:
    global _schema
    if _schema is None:
        wrapper = (
            '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
            f'<xs:import namespace="{CFDI_NS}" '
            f'schemaLocation="{(SAT / "4/cfdv40.xsd").as_uri()}"/>'
            f'<xs:import namespace="{TFD_NS}" schemaLocation='
            f'"{(SAT / "TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd").as_uri()}"/>'
            "</xs:schema>"
        )
        _schema = etree.XMLSchema(etree.fromstring(wrapper.encode()))
    return _schema


def original_string(document: etree._Element, xslt: Path) -> bytes:
    return str(etree.XSLT(etree.parse(str(xslt)))(document)).encode("utf-8")


def verifies(certificate: x509.Certificate, data: bytes, signature_b64: str) -> bool:
    key = certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(base64.b64decode(signature_b64), data, padding.PKCS1v15(), hashes.SHA256())
    except Exception:
        return False
    return True


def check_cfdi(xml: bytes, pac_certificate: x509.Certificate | None = None) -> etree._Element:
    """The CFDI parsed, once it validates against SAT's schemas and its seals verify."""
    document = etree.fromstring(xml)
    valid = schema().validate(document)
    assert valid, schema().error_log
    assert document.tag == f"{{{CFDI_NS}}}Comprobante"
    assert document.get("Version") == "4.0"
    certificate = x509.load_der_x509_certificate(base64.b64decode(document.get("Certificado")))
    chain = original_string(document, SAT / "4/cadenaoriginal_4_0/cadenaoriginal_4_0.xslt")
    assert chain.startswith(b"||4.0|")
    assert verifies(certificate, chain, document.get("Sello")), "the Sello does not verify"
    stamps = document.findall("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
    if pac_certificate is not None:
        assert len(stamps) == 1, "no TimbreFiscalDigital"
        stamp = stamps[0]
        assert stamp.get("Version") == "1.1"
        assert stamp.get("SelloCFD") == document.get("Sello")
        stamp_chain = original_string(
            etree.fromstring(etree.tostring(stamp)),
            SAT / "TimbreFiscalDigital/cadenaoriginal_TFD_1_1.xslt",
        )
        assert verifies(pac_certificate, stamp_chain, stamp.get("SelloSAT"))
    return document

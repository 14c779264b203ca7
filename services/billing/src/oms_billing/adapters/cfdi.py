"""A Mexican company's invoices as CFDI 4.0, built and sealed with satcfdi (it follows
SAT's Anexo 20: the schemas, the original string's XSLT, the seal), and the local stamping
provider that adds a TimbreFiscalDigital 1.1 as a PAC would, signed with a key of its own.
A real PAC implements the same ``StampingProvider`` port."""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from satcfdi.cfdi import CFDI
from satcfdi.create.cfd import cfdi40
from satcfdi.create.cfd.tfd11 import TimbreFiscalDigital
from satcfdi.exceptions import SchemaValidationError
from satcfdi.models import Certificate, Signer
from satcfdi.transform import get_timezone

from oms_billing.application.documents import FiscalDocumentFailed, Recipient
from oms_billing.application.stamping import Stamp, StampingFailed
from oms_billing.domain.invoice import Invoice
from oms_billing.domain.money import tax_fraction

#: A customer without a usable RFC and fiscal data: SAT's generic RFC of a national
#: customer, with the regime and use that RFC takes ("sin obligaciones fiscales",
#: "sin efectos fiscales"); his fiscal address is then the place of issue.
GENERIC_RFC = "XAXX010101000"
GENERIC_REGIME = "616"
GENERIC_USE = "S01"
#: SAT's defaults when a product names no keys: "no existe en el catálogo", "pieza".
DEFAULT_PRODUCT_KEY = "01010101"
DEFAULT_UNIT_KEY = "H87"
#: IVA ("002") at the line's rate.
IVA = "002"

RFC = re.compile(r"^[A-Z&Ñ]{3,4}[0-9]{2}(0[1-9]|1[012])(0[1-9]|[12][0-9]|3[01])[A-Z0-9]{2}[0-9A]$")
POSTAL_CODE = re.compile(r"^[0-9]{5}$")


@dataclass(frozen=True)
class CfdiIssuer:
    """The company as the CFDI's Emisor names it, and where it issues (LugarExpedicion)."""

    rfc: str
    name: str
    fiscal_regime: str
    postal_code: str


class Cfdi40Documents:
    """Builds each invoice's CFDI 4.0 (Ingreso) and seals it with the company's CSD; the
    document is validated against SAT's schemas before it goes to the provider."""

    def __init__(self, issuer: CfdiIssuer, csd: Signer) -> None:
        self.issuer = issuer
        self.csd = csd

    def build(self, invoice: Invoice, recipient: Recipient) -> bytes:
        comprobante = self.comprobante(invoice, recipient)
        comprobante.sign(self.csd)
        try:
            document: bytes = comprobante.xml_bytes(validate=True)
        except SchemaValidationError as exc:
            raise FiscalDocumentFailed(
                f"invoice {invoice.number}: its CFDI does not validate: {exc}"
            ) from exc
        return document

    def comprobante(self, invoice: Invoice, recipient: Recipient) -> cfdi40.Comprobante:
        series, _, folio = invoice.number.rpartition("-")
        place = self.issuer.postal_code
        # Fecha is the local time where the invoice is issued: the same for every attempt.
        issued = invoice.issued_at.astimezone(get_timezone(place)).replace(tzinfo=None)
        return cfdi40.Comprobante(
            emisor=cfdi40.Emisor(
                rfc=self.issuer.rfc,
                nombre=self.issuer.name,
                regimen_fiscal=self.issuer.fiscal_regime,
            ),
            lugar_expedicion=place,
            receptor=self.receptor(recipient),
            conceptos=[self.concepto(line) for line in invoice.lines],
            moneda=invoice.currency,
            serie=series or None,
            folio=folio,
            # Sold on credit (the receivable's installments): paid later, means unknown.
            forma_pago="99",
            metodo_pago="PPD",
            fecha=issued.replace(microsecond=0),
        )

    def receptor(self, recipient: Recipient) -> cfdi40.Receptor:
        name = (recipient.name or recipient.customer_id).upper()
        rfc = (recipient.tax_id or "").strip().upper()
        if RFC.match(rfc) and recipient.fiscal_regime and recipient.postal_code:
            return cfdi40.Receptor(
                rfc=rfc,
                nombre=name,
                domicilio_fiscal_receptor=recipient.postal_code,
                regimen_fiscal_receptor=recipient.fiscal_regime,
                uso_cfdi=recipient.cfdi_use or "G03",
            )
        return cfdi40.Receptor(
            rfc=GENERIC_RFC,
            nombre=name,
            domicilio_fiscal_receptor=self.issuer.postal_code,
            regimen_fiscal_receptor=GENERIC_REGIME,
            uso_cfdi=GENERIC_USE,
        )

    @staticmethod
    def concepto(line: dict[str, Any]) -> cfdi40.Concepto:
        quantity = Decimal(line["quantity"])
        net = Decimal(line["net_amount"])
        # The unit value that makes Cantidad x ValorUnitario the line's net amount.
        unit_value = (net / quantity).quantize(Decimal("0.000001")).normalize()
        rate = tax_fraction(Decimal(line["tax_rate"])).quantize(Decimal("0.000001"))
        return cfdi40.Concepto(
            clave_prod_serv=line.get("sat_product_key") or DEFAULT_PRODUCT_KEY,
            cantidad=quantity.normalize(),
            clave_unidad=line.get("sat_unit_key") or DEFAULT_UNIT_KEY,
            descripcion=str(line.get("name") or line["sku"]),
            valor_unitario=unit_value,
            no_identificacion=str(line["sku"]),
            impuestos=cfdi40.Impuestos(
                traslados=cfdi40.Traslado(impuesto=IVA, tipo_factor="Tasa", tasa_o_cuota=rate)
            ),
        )


class LocalCfdiStampingProvider:
    """A local PAC: checks the CFDI against SAT's schemas and its seal against the
    certificate it carries, then adds a TimbreFiscalDigital 1.1 signed with its own
    certificate (SelloSAT over the stamp's original string)."""

    name = "local-cfdi"

    def __init__(self, pac: Signer) -> None:
        self.pac = pac
        #: The folios it stamped, and the reason of each one it cancelled.
        self.stamped: set[str] = set()
        self.cancelled: dict[str, str] = {}

    def cancel(self, stamp_uuid: str, reason: str) -> None:
        """Cancel a CFDI this PAC stamped (SAT's cancellation request); one it never
        stamped is refused."""
        if stamp_uuid not in self.stamped:
            raise StampingFailed(f"folio {stamp_uuid} was not stamped by this provider")
        self.cancelled[stamp_uuid] = reason

    def stamp(self, invoice_xml: bytes) -> Stamp:
        try:
            document = CFDI.from_string(invoice_xml)
        except Exception as exc:
            raise StampingFailed(f"not a CFDI: {exc}") from exc
        if not verify_seal(document):
            raise StampingFailed("the CFDI's Sello does not verify with its Certificado")
        stamped_at = datetime.now(UTC)
        folio = str(uuid.uuid4()).upper()
        stamp = TimbreFiscalDigital(
            proveedor=self.pac,
            uuid=folio,
            fecha_timbrado=stamped_at.astimezone(get_timezone(document["LugarExpedicion"])).replace(
                tzinfo=None, microsecond=0
            ),
            sello_cfd=document["Sello"],
        )
        document["Complemento"] = {"TimbreFiscalDigital": stamp}
        try:
            stamped: bytes = document.xml_bytes(validate=True)
        except SchemaValidationError as exc:
            raise StampingFailed(f"the stamped CFDI does not validate: {exc}") from exc
        self.stamped.add(folio)
        return Stamp(
            uuid=folio,
            stamped_at=stamped_at,
            signature=str(stamp["SelloSAT"]),
            provider=self.name,
            document=stamped,
        )


def verify_seal(document: CFDI) -> bool:
    """Whether the CFDI's Sello is its certificate's signature of its original string
    (built with SAT's XSLT), as SAT and every PAC check it."""
    try:
        certificate = Certificate.load_certificate(base64.b64decode(document["Certificado"]))
        signature = base64.b64decode(document["Sello"])
    except Exception:
        return False
    return bool(certificate.verify_sha256(document.cadena_original().encode(), signature))

"""The invoice's documents: the fiscal document a provider stamps (a plain XML, or a
Mexican company's CFDI 4.0) and the PDF a person reads. Ports here; the adapters build
them (``adapters/cfdi.py``, ``adapters/invoice_pdf.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from oms_billing.application.cfdi import invoice_xml
from oms_billing.domain.customer import CustomerAccount
from oms_billing.domain.invoice import Invoice
from oms_billing.domain.receivable import Receivable


@dataclass(frozen=True)
class Recipient:
    """Whom an invoice is addressed to, as billing knows him (None: not learned yet)."""

    customer_id: str
    name: str | None = None
    tax_id: str | None = None
    language: str | None = None
    fiscal_regime: str | None = None
    postal_code: str | None = None
    cfdi_use: str | None = None

    @classmethod
    def of(cls, customer_id: str, account: CustomerAccount | None) -> Recipient:
        if account is None:
            return cls(customer_id=customer_id)
        return cls(
            customer_id=customer_id,
            name=account.name,
            tax_id=account.tax_id,
            language=account.language,
            fiscal_regime=account.fiscal_regime,
            postal_code=account.postal_code,
            cfdi_use=account.cfdi_use,
        )


class FiscalDocumentFailed(Exception):
    """The fiscal document cannot be made from the invoice and its recipient as they are."""


class FiscalDocuments(Protocol):
    def build(self, invoice: Invoice, recipient: Recipient) -> bytes:
        """The invoice's fiscal document, ready for the stamping provider (sealed where
        the country wants it); deterministic for the same invoice and recipient."""
        ...


class InvoicePdf(Protocol):
    def render(
        self, invoice: Invoice, recipient: Recipient, receivable: Receivable | None
    ) -> bytes:
        """The invoice as a PDF in the recipient's language."""
        ...


class PlainInvoiceDocument:
    """No fiscal country: the small CFDI-like XML the local provider signs."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def build(self, invoice: Invoice, recipient: Recipient) -> bytes:
        return invoice_xml(invoice, self.issuer)

"""The documents the service e-mails (DESIGN section 11), who may receive them and what is
attached to each."""

from __future__ import annotations

from typing import Final

QUOTE_SENT: Final = "quote_sent"
ORDER_CONFIRMED: Final = "order_confirmed"
ORDER_STATUS_CHANGED: Final = "order_status_changed"
INVOICE_STAMPED: Final = "invoice_stamped"
PAYMENT_RECEIVED: Final = "payment_received"
STOCK_AVAILABLE: Final = "stock_available"

DOCUMENT_TYPES: Final = (
    QUOTE_SENT,
    ORDER_CONFIRMED,
    ORDER_STATUS_CHANGED,
    INVOICE_STAMPED,
    PAYMENT_RECEIVED,
    STOCK_AVAILABLE,
)
#: Documents about a customer's business, sent to the customer by default.
CUSTOMER_DOCUMENTS: Final = frozenset(DOCUMENT_TYPES) - {STOCK_AVAILABLE}

#: The languages of templates and recipients.
LANGUAGES: Final = ("pt", "es", "pl", "en", "de")

# Who a notification is for: the customer (his e-mail), the sales rep (the customer's, or
# the one who asked for a stock alert), whoever asked for a quote to be sent (the e-mail in
# QuoteSent), or a copy to an address of the settings ("cc:<address>").
CUSTOMER: Final = "customer"
SALES_REP: Final = "sales_rep"
REQUESTER: Final = "requester"
CC_PREFIX: Final = "cc:"

PROPOSAL_PDF: Final = "proposal_pdf"
INVOICE_PDF: Final = "invoice_pdf"
INVOICE_XML: Final = "invoice_xml"

#: What each document carries when the settings attach documents.
ATTACHMENTS: Final[dict[str, tuple[str, ...]]] = {
    QUOTE_SENT: (PROPOSAL_PDF,),
    INVOICE_STAMPED: (INVOICE_PDF, INVOICE_XML),
}


def cc_audience(address: str) -> str:
    return f"{CC_PREFIX}{address}"

"""The notifications service.

It e-mails each document (a quote sent, an order confirmed or changing status, an invoice
stamped, a payment received, stock back for a rep's alert) to whom the settings of its
document type name, in the recipient's language, once; it owns the templates, the
per-document settings, the log of what was sent and the stock alerts."""

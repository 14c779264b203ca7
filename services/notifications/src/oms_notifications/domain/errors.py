"""The notifications service's errors: the kit's domain errors, naming the offending input."""

from __future__ import annotations

from oms_kit.domain import InvalidInput, NotFound


class UnknownDocumentType(InvalidInput):
    def __init__(self, document_type: str) -> None:
        super().__init__(f"no document type {document_type!r}", field="document_type")


class UnknownLanguage(InvalidInput):
    def __init__(self, language: str) -> None:
        super().__init__(f"no language {language!r} (one of pt, es, pl, en, de)", field="language")


class NotificationNotFound(NotFound):
    def __init__(self, notification_id: str) -> None:
        super().__init__(f"no notification {notification_id}", field="notification_id")


class UnknownProduct(InvalidInput):
    def __init__(self, sku: str) -> None:
        super().__init__(f"no product {sku!r}", field="sku")


class UnknownSalesRep(InvalidInput):
    def __init__(self, sales_rep_id: str) -> None:
        super().__init__(f"no sales rep {sales_rep_id!r}", field="sales_rep_id")


class SalesRepRequired(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "name the sales rep to tell (sales_rep_id): a rep asks for himself",
            field="sales_rep_id",
        )


class NotYourAlert(InvalidInput):
    def __init__(self) -> None:
        super().__init__("a sales rep asks for an alert for himself", field="sales_rep_id")

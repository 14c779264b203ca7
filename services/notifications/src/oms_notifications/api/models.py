"""Request and response models of the notifications routes (DESIGN section 11)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from oms_kit.types import Quantity
from pydantic import BaseModel, Field, StringConstraints

DocumentType = Literal[
    "quote_sent",
    "order_confirmed",
    "order_status_changed",
    "invoice_stamped",
    "payment_received",
    "stock_available",
]
Language = Literal["pt", "es", "pl", "en", "de"]
Status = Literal["pending", "sent", "failed"]
AlertStatus = Literal["waiting", "notified"]
Id = Annotated[str, StringConstraints(min_length=1, max_length=200)]
#: An e-mail address: one @, a dot in the domain, no spaces (what SMTP will take).
EmailAddress = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=254,
        pattern=r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$",
    ),
]


class DeliveryUpdate(BaseModel):
    """What to change; a field left out keeps its value."""

    enabled: bool | None = None
    to_customer: bool | None = None
    to_sales_rep: bool | None = None
    cc: Annotated[list[EmailAddress], Field(max_length=20)] | None = None
    attach_documents: bool | None = None


class DeliveryPublic(BaseModel):
    document_type: DocumentType
    enabled: bool
    to_customer: bool
    to_sales_rep: bool
    cc: list[str]
    attach_documents: bool


class SettingsListPublic(BaseModel):
    items: list[DeliveryPublic]


class TemplateUpdate(BaseModel):
    subject: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    body: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


class TemplatePublic(BaseModel):
    document_type: DocumentType
    language: Language
    subject: str
    body: str
    default: bool


class NotificationPublic(BaseModel):
    notification_id: str
    document_type: str
    document_id: str
    customer_id: str | None
    audience: str
    recipient: str | None
    language: str | None
    subject: str | None
    status: Status
    attempts: int
    queued_at: datetime
    sent_at: datetime | None
    error: str | None
    message_id: str | None
    #: When the next attempt is due (pending and not in flight).
    retry_at: datetime | None


class AttemptPublic(BaseModel):
    attempt: int
    started_at: datetime
    outcome: Literal["in_flight", "sent", "retrying", "failed"]
    detail: str | None = None


class NotificationDetailPublic(NotificationPublic):
    history: list[AttemptPublic]


class NotificationListPublic(BaseModel):
    items: list[NotificationPublic]
    next_cursor: str | None


class ResendPublic(BaseModel):
    notification_id: str
    status: Status


class StockAlertCreate(BaseModel):
    sku: Id
    #: The rep to tell; a rep asking for himself may leave it out.
    sales_rep_id: Id | None = None


class StockAlertPublic(BaseModel):
    alert_id: str
    sku: str
    sales_rep_id: str
    status: AlertStatus
    requested_at: datetime
    notified_at: datetime | None = None
    available: Quantity | None = None


class StockAlertListPublic(BaseModel):
    items: list[StockAlertPublic]
    next_cursor: str | None

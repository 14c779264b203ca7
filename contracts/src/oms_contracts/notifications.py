"""Public events of the notifications service: what became of each e-mail of a document.

``recipient`` is the address the message went (or was to go) to; ``message_id`` its SMTP
Message-ID (a resend is a new message with a new one); ``attempts`` counts every attempt
so far, the resends' too."""

from __future__ import annotations

from oms_contracts.base import ContractEvent, UtcDatetime


class _Notifications(ContractEvent):
    source = "notifications"


class NotificationSent(_Notifications):
    """The SMTP server accepted the message."""

    notification_id: str
    document_type: str
    document_id: str
    customer_id: str | None = None
    recipient: str
    message_id: str
    attempts: int
    sent_at: UtcDatetime


class NotificationFailed(_Notifications):
    """The message will not be sent: the server refused it for good (5xx), or it could not
    be made (a template that does not render, a copy to a rep the customer does not have).
    A resend may still send it."""

    notification_id: str
    document_type: str
    document_id: str
    customer_id: str | None = None
    recipient: str
    message_id: str | None = None
    attempts: int
    error: str
    failed_at: UtcDatetime

"""Private domain events of the notifications service -> public contract events, one mapping
each; the rest (what it knows of other services' records, settings, templates, stock
alerts, the claims and retries of each message) stay private."""

from __future__ import annotations

from oms_contracts.notifications import NotificationFailed, NotificationSent
from oms_kit.service import Outbound

from oms_notifications.domain.notification import Notification

outbound = Outbound()


@outbound.maps(Notification.Sent)
def notification_sent(sent: Notification.Sent) -> NotificationSent:
    return NotificationSent(
        notification_id=str(sent.originator_id),
        document_type=sent.document_type,
        document_id=sent.document_id,
        customer_id=sent.customer_id,
        recipient=sent.recipient,
        message_id=sent.message_id,
        attempts=sent.attempt,
        sent_at=sent.sent_at,
    )


@outbound.maps(Notification.Failed)
def notification_failed(failed: Notification.Failed) -> NotificationFailed:
    return NotificationFailed(
        notification_id=str(failed.originator_id),
        document_type=failed.document_type,
        document_id=failed.document_id,
        customer_id=failed.customer_id,
        recipient=failed.recipient,
        message_id=failed.message_id,
        attempts=failed.attempt,
        error=failed.error,
        failed_at=failed.failed_at,
    )

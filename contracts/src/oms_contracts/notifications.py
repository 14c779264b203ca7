"""Public events of the notifications service."""

from __future__ import annotations

from oms_contracts.base import ContractEvent


class _Notifications(ContractEvent):
    source = "notifications"


class NotificationSent(_Notifications):
    notification_id: str
    document_type: str
    document_id: str
    recipient: str
    template: str


class NotificationFailed(_Notifications):
    notification_id: str
    document_type: str
    document_id: str
    recipient: str
    reason: str

"""The settings of one document type: whether it is sent, to whom (the customer, the sales
rep, copies to fixed addresses) and with its documents attached.

Defaults, for a type the back office never set: enabled; to the customer for the
customer's documents (all but ``stock_available``); to the sales rep only for
``stock_available`` (the rep who asked); no copies; documents attached. So every document is
sent "as long as the notifications for each document type are configured" (seed 002) holds
by the back office turning a type off (``PUT /settings/{document_type}``), not by having to
turn each on.

Settings apply when the event that causes a notification arrives: what was queued before a
change goes out as it was queued."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from oms_notifications.domain.documents import CUSTOMER_DOCUMENTS, STOCK_AVAILABLE


@dataclass(frozen=True)
class Delivery:
    """Who receives a document type, and how."""

    enabled: bool
    to_customer: bool
    to_sales_rep: bool
    cc: tuple[str, ...] = field(default_factory=tuple)
    attach_documents: bool = True


def default_delivery(document_type: str) -> Delivery:
    return Delivery(
        enabled=True,
        to_customer=document_type in CUSTOMER_DOCUMENTS,
        to_sales_rep=document_type == STOCK_AVAILABLE,
        cc=(),
        attach_documents=True,
    )


class DocumentSettings(Aggregate):
    class Opened(Aggregate.Created):
        document_type: str

    class Changed(Aggregate.Event):
        enabled: bool
        to_customer: bool
        to_sales_rep: bool
        cc: list[str]
        attach_documents: bool
        changed_by: str

    @staticmethod
    def create_id(document_type: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/notifications/settings/{document_type}")

    @event(Opened)
    def __init__(self, document_type: str) -> None:
        self.document_type = document_type
        self.delivery = default_delivery(document_type)

    def change(self, delivery: Delivery, changed_by: str) -> bool:
        """Set the delivery; False when it is what it was already."""
        if delivery == self.delivery:
            return False
        self._changed(
            enabled=delivery.enabled,
            to_customer=delivery.to_customer,
            to_sales_rep=delivery.to_sales_rep,
            cc=list(delivery.cc),
            attach_documents=delivery.attach_documents,
            changed_by=changed_by,
        )
        return True

    @event(Changed)
    def _changed(
        self,
        enabled: bool,
        to_customer: bool,
        to_sales_rep: bool,
        cc: list[str],
        attach_documents: bool,
        changed_by: str,
    ) -> None:
        self.delivery = replace(
            self.delivery,
            enabled=enabled,
            to_customer=to_customer,
            to_sales_rep=to_sales_rep,
            cc=tuple(cc),
            attach_documents=attach_documents,
        )
